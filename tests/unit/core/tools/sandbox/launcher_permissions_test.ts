/**
 * The sandbox under the permissions the launcher really grants `kafclaw agent` (the agent set,
 * narrowed to KAFCLAW_HOME and the workspace), not the test suite's wider set: both kinds must
 * start their file helper and serve the file tools.
 */
import assert from "node:assert/strict";
import { denoFlags, narrowSet, PERMISSION_SETS } from "../../../../../core/permissions/mod.ts";

const MOD = new URL("../../../../../core/tools/sandbox/mod.ts", import.meta.url).href;

async function underAgentSet(prefer: "bwrap" | "worker") {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-launch-" });
  try {
    const workspace = `${home}/workspace`;
    await Deno.mkdir(workspace, { mode: 0o700 });
    const script = `${home}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `import { openSandbox } from ${JSON.stringify(MOD)};
await using sandbox = await openSandbox(${JSON.stringify(workspace)}, {
  prefer: ${JSON.stringify(prefer)},
  stateDir: ${JSON.stringify(home)},
});
await sandbox.fs.writeText("notes/a.txt", "written under the agent set");
console.log(JSON.stringify({ kind: sandbox.kind, text: await sandbox.fs.readText("notes/a.txt", { maxBytes: 1000 }) }));
`,
    );
    const set = narrowSet(PERMISSION_SETS.agent, {
      home,
      deno: Deno.execPath(),
    });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", ...denoFlags(set), script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("under the launcher's agent set, the no-bubblewrap fallback starts its file helper", async () => {
  assert.deepEqual(await underAgentSet("worker"), {
    kind: "worker",
    text: "written under the agent set",
  });
});

Deno.test("under the launcher's agent set, the bubblewrap sandbox starts its file helper", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  assert.deepEqual(await underAgentSet("bwrap"), {
    kind: "bwrap",
    text: "written under the agent set",
  });
});

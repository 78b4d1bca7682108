/**
 * The remembered bubblewrap check: an open that finds it remembered starts no process at all, and
 * any input of the check, changed, brings the check back. Run in a child process that may start
 * no process, so that a check that still ran is an error, not a guess from timing.
 */
import assert from "node:assert/strict";
import { SANDBOX_PROBE_READS } from "../../../../../core/permissions/mod.ts";
import { openSandbox } from "../../../../../core/tools/sandbox/mod.ts";
import { BWRAP_CANDIDATES, probeInputs } from "../../../../../core/tools/sandbox/probe_cache.ts";

const MOD = new URL("../../../../../core/tools/sandbox/mod.ts", import.meta.url).href;

/** Opens the sandbox of `workspace` in a child that may not start processes; its kind or error. */
async function openWithoutRun(home: string, workspace: string): Promise<string> {
  const script = `${home}/open.ts`;
  await Deno.writeTextFile(
    script,
    `import { openSandbox } from ${JSON.stringify(MOD)};
try {
  await using sandbox = await openSandbox(${JSON.stringify(workspace)}, {
    stateDir: ${JSON.stringify(`${home}/state`)},
    probeCache: ${JSON.stringify(`${home}/cache/sandbox.json`)},
  });
  console.log(sandbox.kind);
} catch (error) {
  console.log(error.name);
}
`,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "--allow-read", "--allow-write", "--allow-env"]
      .concat("--allow-sys=osRelease,osUptime", script),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test({
  name: "a remembered bubblewrap check opens the sandbox without starting a process",
  ignore: Deno.build.os !== "linux",
}, async () => {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-probe-" });
  try {
    const workspace = `${home}/workspace`;
    const cache = `${home}/cache/sandbox.json`;
    assert.equal(await openWithoutRun(home, workspace), "NotCapable", "nothing remembered yet");
    await (await openSandbox(workspace, { stateDir: `${home}/state`, probeCache: cache }))
      .close();
    assert.equal((await Deno.stat(cache)).mode! & 0o777, 0o600);
    assert.equal(await openWithoutRun(home, workspace), "bwrap", "remembered");
    assert.equal(await openWithoutRun(home, `${home}/other`), "NotCapable", "another workspace");
    const saved = JSON.parse(await Deno.readTextFile(cache));
    await Deno.writeTextFile(cache, JSON.stringify({ ...saved, checkedAt: Date.now() - 2e8 }));
    assert.equal(await openWithoutRun(home, workspace), "NotCapable", "more than a day ago");
    await Deno.writeTextFile(cache, JSON.stringify({ ...saved, booted: saved.booted - 60 }));
    assert.equal(await openWithoutRun(home, workspace), "NotCapable", "a reboot since");
    await Deno.writeTextFile(cache, JSON.stringify({ ...saved, inputs: `${saved.inputs} ` }));
    assert.equal(await openWithoutRun(home, workspace), "NotCapable", "other inputs");
    await Deno.writeTextFile(cache, "{ not json");
    assert.equal(await openWithoutRun(home, workspace), "NotCapable", "a broken file");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name: "the check's inputs name the bwrap file it runs, the kernel, the uid and the workspace",
  ignore: Deno.build.os !== "linux",
}, async () => {
  // The launcher grants reading exactly the files the check looks at.
  assert.deepEqual(BWRAP_CANDIDATES, SANDBOX_PROBE_READS);
  const inputs = (await probeInputs("/w", 1000))!;
  // The first of them on the sandbox's PATH that exists is the one it runs.
  let found: [string, Deno.FileInfo] | undefined;
  for (const candidate of BWRAP_CANDIDATES) {
    const info = await Deno.stat(candidate).catch(() => undefined);
    if (info) {
      found = [candidate, info];
      break;
    }
  }
  const [path, info] = found!;
  const times = `${info.mtime?.getTime()} ${info.ctime?.getTime()}`;
  assert.ok(inputs.includes(`bwrap ${path} ${info.dev}:${info.ino} ${info.size} ${times}`));
  assert.ok(inputs.includes(`kernel ${Deno.osRelease()}`));
  assert.match(inputs, /^check exec as pid 1 \(bash\), seccomp on stdin$/m);
  assert.notEqual(await probeInputs("/w", 1001), inputs, "the uid counts");
  assert.notEqual(await probeInputs("/w2", 1000), inputs, "the workspace counts");
  assert.equal(await probeInputs("/w", null), undefined);
});

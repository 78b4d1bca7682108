import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { HAND_OVER_FILE, handOverPolicy } from "../../../../core/agent/mod.ts";

/** A KAFCLAW_HOME with a workspace holding a file, and a folder outside it. */
async function setUp(env: Record<string, string> = {}) {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "kafclaw-handover-" }));
  const workspace = `${home}/workspace`;
  await Deno.mkdir(workspace);
  await Deno.writeTextFile(`${workspace}/notes.txt`, "mine\n");
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "kafclaw-elsewhere-" }));
  const config = resolveConfig({ home, env });
  const recorded = async () =>
    JSON.parse(await Deno.readTextFile(`${home}/${HAND_OVER_FILE}`).catch(() => "{}"));
  return {
    home,
    workspace,
    outside,
    config,
    recorded,
    [Symbol.asyncDispose]: async () => {
      await Deno.remove(home, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    },
  };
}

Deno.test("without a terminal a workspace with files is not handed over, and the line says how to allow it", async () => {
  await using t = await setUp();
  const warned: string[] = [];
  const refused = await handOverPolicy(t.config, { warn: (m) => warned.push(m) })(t.workspace);
  assert.equal(
    refused,
    `the sandbox runs as uid 65534 and the workspace ${t.workspace} is not its own; handing it ` +
      "over changes the owner of its files: allow it by answering yes in `kafclaw agent` at a " +
      "terminal, or with `kafclaw config set tools.sandbox.handOver yes`",
  );
  assert.deepEqual(warned, [`Commands cannot run in the sandbox: ${refused}`]);
  assert.deepEqual(await t.recorded(), {}, "nothing is recorded without an answer");
});

Deno.test("at a terminal the owner is asked once per workspace and the answer is kept (0600)", async () => {
  await using t = await setUp();
  const asked: string[] = [];
  const ask = (q: string) => (asked.push(q), Promise.resolve(true));
  assert.equal(await handOverPolicy(t.config, { ask })(t.workspace), undefined);
  assert.equal(await handOverPolicy(t.config, { ask })(t.workspace), undefined);
  assert.equal(asked.length, 1);
  assert.match(asked[0]!, /^Run commands in the sandbox as uid 65534\? The files of .* \[y\/N\] $/);
  assert.deepEqual(await t.recorded(), { [t.workspace]: "yes" });
  assert.equal((await Deno.stat(`${t.home}/${HAND_OVER_FILE}`)).mode! & 0o777, 0o600);
  // Without a terminal, the recorded yes holds.
  assert.equal(await handOverPolicy(t.config)(t.workspace), undefined);
});

Deno.test("an answered no is kept and refuses later runs too", async () => {
  await using t = await setUp();
  const no = () => Promise.resolve(false);
  assert.match((await handOverPolicy(t.config, { ask: no })(t.workspace))!, /answered no; allow/);
  let asked = false;
  const again = await handOverPolicy(t.config, {
    ask: () => (asked = true, Promise.resolve(true)),
  })(t.workspace);
  assert.equal(asked, false);
  assert.match(again!, /which was answered no \(.*sandbox-handover\.json\); allow it with /);
});

Deno.test("only the empty workspace in KAFCLAW_HOME is taken without asking, never one outside", async () => {
  await using t = await setUp();
  const fresh = `${t.home}/fresh`;
  await Deno.mkdir(fresh);
  assert.equal(await handOverPolicy(t.config)(fresh), undefined);
  assert.deepEqual(await t.recorded(), { [fresh]: "yes" });
  assert.match((await handOverPolicy(t.config)(t.outside))!, /is not its own/);
});

Deno.test("tools.sandbox.handOver yes and no decide without asking", async () => {
  await using t = await setUp({ KAFCLAW_TOOLS_SANDBOX_HAND_OVER: "yes" });
  const never = () => Promise.reject(new Error("not asked"));
  assert.equal(await handOverPolicy(t.config, { ask: never })(t.outside), undefined);
  const no = resolveConfig({ home: t.home, env: { KAFCLAW_TOOLS_SANDBOX_HAND_OVER: "no" } });
  const fresh = `${t.home}/fresh`;
  await Deno.mkdir(fresh);
  assert.match(
    (await handOverPolicy(no, { ask: never })(fresh))!,
    /, and tools\.sandbox\.handOver is no$/,
  );
});

/**
 * The commands kafclaw suggests start with the name the user ran it by: run as `scripts/kafclaw`
 * from a checkout (not on PATH), every hint says `scripts/kafclaw …`, so it can be pasted as is.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { kafclawCommand, tempHome } from "../_support/cli.ts";

// Deno's own folder only: no `kafclaw` on PATH that could be this launcher.
const PATH = `${dirname(Deno.execPath())}:/usr/bin:/bin`;

async function run(args: string[], env: Record<string, string>) {
  const out = await kafclawCommand(args, { PATH, ...env }, { relative: true }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("run as scripts/kafclaw, an error's hint says scripts/kafclaw", async () => {
  await using home = await tempHome();
  const set = await run(["config", "set", "gateway.prot", "1"], { KAFCLAW_HOME: home.path });
  assert.deepEqual(set, {
    code: 2,
    stderr:
      'kafclaw: Unknown config key "gateway.prot" (run scripts/kafclaw config env to list the keys)\n',
  });
  const agent = await run(["agent", "-m", "hi"], { KAFCLAW_HOME: home.path });
  assert.equal(agent.code, 2, agent.stderr);
  assert.match(agent.stderr, /^kafclaw: No LLM provider is configured: /);
  assert.ok(agent.stderr.endsWith(", or run scripts/kafclaw onboard\n"), agent.stderr);
});

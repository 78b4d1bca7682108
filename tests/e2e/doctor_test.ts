/**
 * `kafclaw doctor` through the launcher, as a user runs it: a diagnosis that changes nothing, and
 * a KAFCLAW_HOME it cannot use said as a failed check, never a crash.
 */
import assert from "node:assert/strict";
import { jsonOf, kafclaw, LAUNCHER_NAME, tempHome } from "../_support/cli.ts";
import { makeReadOnly } from "../_support/readonly.ts";
import { serveFakeMcpHttp } from "../fakes/mcp_server.ts";

/** Every path under `dir` with its mode and modification time. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const info = await Deno.lstat(path);
    out.push(`${path} ${info.mode} ${info.mtime?.getTime()}`);
    if (entry.isDirectory) out.push(...await snapshot(path));
  }
  return out.sort();
}

Deno.test("doctor creates nothing: a set-up home is as it was, a missing one is not made", async () => {
  await using home = await tempHome();
  await Deno.mkdir(`${home.path}/sessions`, { mode: 0o700 });
  await Deno.writeTextFile(`${home.path}/config.json`, "{}", { mode: 0o600 });
  const before = await snapshot(home.path);
  const r = await kafclaw(["doctor"], { KAFCLAW_HOME: home.path });
  assert.match(r.stdout, /^ok {4}sandbox/m, r.stdout + r.stderr);
  assert.deepEqual(await snapshot(home.path), before);

  const missing = `${home.path}/not-yet`;
  const m = await kafclaw(["doctor"], { KAFCLAW_HOME: missing });
  assert.equal(m.code, 1, m.stderr);
  assert.match(
    m.stdout,
    new RegExp(
      `^fail  home +${missing} does not exist\\n +→ run ${RegExp.escape(LAUNCHER_NAME)} onboard`,
      "m",
    ),
  );
  assert.deepEqual(await snapshot(home.path), before);
});

Deno.test("a KAFCLAW_HOME that cannot be written is a failed check with the fix, not a crash", async () => {
  await using home = await tempHome();
  const restore = await makeReadOnly(home.path);
  let r;
  try {
    r = await kafclaw(["doctor"], { KAFCLAW_HOME: home.path });
  } finally {
    await restore();
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /^fail {2}home +\/.* cannot be written \([a-z ]+\): agent, gateway and cron/m,
  );
  assert.match(r.stdout, /→ make .* writable by this user/);
  assert.match(r.stderr, /^kafclaw: \d check\(s\) failed\n$/);
  assert.doesNotMatch(r.stdout + r.stderr, /--allow|os error|Deno|at .*\.ts:\d+/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(home.path)), []);
});

Deno.test("doctor --fix says what it narrowed, and the checks that follow pass them", async () => {
  await using home = await tempHome();
  await Deno.chmod(home.path, 0o755);
  await Deno.writeTextFile(`${home.path}/config.json`, "{}");
  await Deno.chmod(`${home.path}/config.json`, 0o644);
  const r = await kafclaw(["doctor", "--fix"], { KAFCLAW_HOME: home.path });
  const lines = r.stdout.split("\n");
  assert.deepEqual(lines.slice(0, 2), [
    `fixed  ${home.path}: chmod 700 (was 755)`,
    `fixed  ${home.path}/config.json: chmod 600 (was 644)`,
  ]);
  assert.match(r.stdout, /^ok {4}home /m);
  assert.doesNotMatch(r.stdout, /config file/);
  const json = await kafclaw(["doctor", "--fix", "--json"], { KAFCLAW_HOME: home.path });
  assert.deepEqual(jsonOf(json).fixed, []);
});

Deno.test("doctor through the launcher asks an HTTP MCP server to initialize, gives up on a silent one in its time, and --offline asks none", async () => {
  await using home = await tempHome();
  await using mcp = serveFakeMcpHttp();
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) held.push(conn);
  })();
  try {
    const servers = {
      docs: { url: mcp.url },
      hung: { url: `http://127.0.0.1:${silent.addr.port}/mcp`, timeoutMs: 1000 },
    };
    await Deno.writeTextFile(`${home.path}/mcp.json`, JSON.stringify({ mcpServers: servers }));
    const started = Date.now();
    const r = await kafclaw(["doctor"], { KAFCLAW_HOME: home.path });
    assert.ok(Date.now() - started < 30_000, "doctor ends soon after the silent server's time");
    assert.match(
      r.stdout,
      new RegExp(`^ok {4}mcp +docs: answers at ${RegExp.escape(mcp.url)} `, "m"),
    );
    assert.match(
      r.stdout,
      /^fail {2}mcp +hung: .* does not answer as an MCP server: no answer to initialize within 1 s\n +→ check that the server runs/m,
    );
    const asked = mcp.methods.length;
    const offline = await kafclaw(["doctor", "--offline"], { KAFCLAW_HOME: home.path });
    assert.match(offline.stdout, /^skip {2}mcp +docs: .* not contacted \(--offline\)$/m);
    assert.match(offline.stdout, /^skip {2}mcp +hung: .* not contacted \(--offline\)$/m);
    assert.equal(mcp.methods.length, asked, "--offline sent the server nothing");
  } finally {
    silent.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});

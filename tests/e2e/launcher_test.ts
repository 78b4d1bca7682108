/**
 * scripts/kafclaw as a user runs it: it starts Deno once when it may use its cache of the
 * permission flags, the cache never grants other flags than computing them afresh would, every
 * input of that computation invalidates it, and nothing of the launcher stays behind.
 *
 * Each test runs a copy of the launcher and of the files that compute its flags (the list the
 * launcher keys its cache on, so a missing file fails here), with a stand-in for Deno that records
 * how it was started: it runs the real Deno for scripts/launch_flags.ts and takes main.ts's place.
 */
import assert from "node:assert/strict";
import { launcher } from "../_support/launcher.ts";
import { waitFor } from "../_support/wait.ts";

/** A configuration file whose text is `value` (JSON-encoded unless a string). */
async function writeConfig(home: string, value: unknown, file = "config.json"): Promise<void> {
  await Deno.mkdir(home, { recursive: true });
  const text = typeof value === "string" ? value : JSON.stringify(value);
  await Deno.writeTextFile(`${home}/${file}`, text, { mode: 0o600 });
}

/** mcp.json with one stdio server of `command`, unsandboxed, granted to read `read`. */
const mcpJson = (command: string, read: string) => ({
  mcpServers: { s: { command, unsandboxed: true, read: [read] } },
});

Deno.test("the launcher starts Deno once when its cached flags still hold", async () => {
  await using kafclaw = await launcher();
  const env = { HOME: kafclaw.scratch, KAFCLAW_HOME: `${kafclaw.scratch}/home` };
  const first = await kafclaw.run(["agent", "-m", "hi"], env);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.starts.length, 2, "the first run computes the flags, then starts main.ts");
  const second = await kafclaw.run(["agent", "-m", "hi"], env);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.starts.length, 1, "the second run starts main.ts alone");
  assert.deepEqual(second.flags, first.flags);
  assert.ok(second.starts[0]!.includes("--unstable-lazy-dynamic-imports"));
  const cache = `${kafclaw.root}/.deno/launch-${Deno.uid()}`;
  assert.equal((await Deno.stat(cache)).mode! & 0o777, 0o700);
  assert.equal((await Deno.stat(`${cache}/agent`)).mode! & 0o777, 0o600);
});

Deno.test("cached flags are exactly the flags computed afresh, for every kind of command line", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  const home = `${s}/home`;
  const cases: { args: string[]; env?: Record<string, string>; config?: unknown; mcp?: unknown }[] =
    [
      { args: ["version"] },
      { args: [] },
      { args: ["--help"] },
      { args: ["frobnicate"] },
      { args: ["agent", "-m", "hi"] },
      { args: ["agent"], config: { paths: { workspace: `${s}/elsewhere` } } },
      { args: ["cron", "serve"], config: { paths: { workspace: "inside" } } },
      { args: ["memory", "status"], config: { paths: { workspace: 42 } } },
      { args: ["agent"], config: "{ not json" },
      {
        args: ["--debug", "kshark"],
        config: "\uFEFF" + JSON.stringify({ paths: { workspace: "/w" } }),
      },
      { args: ["config", "get", "x"], env: { KAFCLAW_PATHS_WORKSPACE: "~/ws" } },
      { args: ["approvals"], env: { MIKROBOT_PATHS_WORKSPACE: "/legacy/ws" } },
      { args: ["agent"], env: { KAFCLAW_HOME: "" }, config: { paths: { workspace: "/srv/ws" } } },
      { args: ["agent"], env: { KAFCLAW_HOME: "relative/home" } },
      { args: ["Agent"] },
      { args: ["agent"], mcp: mcpJson("uvx", "/opt/mcp") },
      { args: ["doctor"], mcp: mcpJson("/usr/bin/uvx", "/opt/mcp") },
      { args: ["cron", "run"], mcp: "{ not json" },
      { args: ["agent"], env: { KAFCLAW_HOME: "" }, mcp: mcpJson("node", "/srv/mcp") },
      { args: ["gateway", "--mode", "headless"], env: { KAFCLAW_GROUP_KAFKA_BROKERS: "k:9092" } },
      { args: ["gateway"], config: { gateway: { host: "0.0.0.0" }, model: { name: "xai/g" } } },
      { args: ["gateway", "--mode=headless"], env: { OPENAI_BASE_URL: "http://a b" } },
    ];
  for (const { args, env: extra, config, mcp } of cases) {
    const env = { HOME: s, KAFCLAW_HOME: home, ...extra };
    await Deno.remove(home, { recursive: true }).catch(() => {});
    await Deno.remove(`${s}/.kafclaw`, { recursive: true }).catch(() => {});
    if (config !== undefined) await writeConfig(env.KAFCLAW_HOME || `${s}/.kafclaw`, config);
    if (mcp !== undefined) await writeConfig(env.KAFCLAW_HOME || `${s}/.kafclaw`, mcp, "mcp.json");
    const expected = await kafclaw.uncached(args, env);
    const what = JSON.stringify({ args, extra, config, mcp });
    for (const run of [await kafclaw.run(args, env), await kafclaw.run(args, env)]) {
      assert.equal(run.code, 0, `${what}: ${run.stderr}`);
      assert.deepEqual(run.flags, expected, what);
    }
  }
});

Deno.test("each input of the flags, changed, makes the launcher compute them again", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  let env: Record<string, string> = { HOME: s, KAFCLAW_HOME: `${s}/home` };
  let args = ["agent"];
  let deno: string | undefined;
  const follows = async (change: string) => {
    const run = await kafclaw.run(args, env, deno);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.starts.length, 2, `${change}: the flags were computed again`);
    assert.deepEqual(run.flags, await kafclaw.uncached(args, env), change);
    const again = await kafclaw.run(args, env, deno);
    assert.equal(again.starts.length, 1, `${change}: then cached`);
    return run.flags;
  };
  await writeConfig(env.KAFCLAW_HOME!, { paths: { workspace: `${s}/ws-a` } });
  await follows("first run");
  // Same size and the same mtime: the inode and ctime still tell.
  const config = `${env.KAFCLAW_HOME}/config.json`;
  const { mtime } = await Deno.stat(config);
  await writeConfig(env.KAFCLAW_HOME!, { paths: { workspace: `${s}/ws-b` } });
  await Deno.utime(config, mtime!, mtime!);
  assert.ok((await follows("config.json rewritten")).some((f) => f.includes(`${s}/ws-b`)));
  await Deno.writeTextFile(`${s}/linked.json`, JSON.stringify({ paths: { workspace: "/ws-c" } }));
  await Deno.remove(config);
  await Deno.symlink(`${s}/linked.json`, config);
  assert.ok((await follows("config.json made a link")).some((f) => f.includes("/ws-c")));
  await Deno.remove(config);
  assert.ok(!(await follows("config.json removed")).some((f) => f.includes("/ws-c")));
  // mcp.json names paths to read and commands to run: written, rewritten, removed.
  const mcp = `${env.KAFCLAW_HOME}/mcp.json`;
  await writeConfig(env.KAFCLAW_HOME!, mcpJson("mcp-aa", "/opt/aa"), "mcp.json");
  assert.ok((await follows("mcp.json written")).some((f) => f.includes("mcp-aa")));
  const written = (await Deno.stat(mcp)).mtime!;
  await writeConfig(env.KAFCLAW_HOME!, mcpJson("mcp-bb", "/opt/bb"), "mcp.json");
  await Deno.utime(mcp, written, written);
  const rewritten = await follows("mcp.json rewritten");
  assert.ok(rewritten.some((f) => f.includes("mcp-bb") && !f.includes("mcp-aa")));
  assert.ok(rewritten.some((f) => f.startsWith("--allow-read=") && f.includes("/opt/bb")));
  await Deno.remove(mcp);
  assert.ok(!(await follows("mcp.json removed")).some((f) => f.includes("mcp-bb")));
  env = { ...env, MIKROBOT_PATHS_WORKSPACE: `${s}/ws-legacy` };
  assert.ok((await follows("MIKROBOT_PATHS_WORKSPACE set")).some((f) => f.includes("ws-legacy")));
  env = { ...env, KAFCLAW_PATHS_WORKSPACE: `${s}/ws-env` };
  assert.ok((await follows("KAFCLAW_PATHS_WORKSPACE set")).some((f) => f.includes("ws-env")));
  env = { ...env, KAFCLAW_AGENTS_LIST: JSON.stringify([{ id: "a", workspace: `${s}/ws-agent` }]) };
  assert.ok((await follows("KAFCLAW_AGENTS_LIST set")).some((f) => f.includes("ws-agent")));
  env = { HOME: s, KAFCLAW_HOME: `${s}/other-home` };
  assert.ok((await follows("KAFCLAW_HOME changed")).some((f) => f.includes("other-home")));
  env = { HOME: `${s}/user` };
  assert.ok((await follows("KAFCLAW_HOME unset")).some((f) => f.includes(`${s}/user/.kafclaw`)));
  env = { HOME: `${s}/user2` };
  assert.ok((await follows("HOME changed")).some((f) => f.includes(`${s}/user2/.kafclaw`)));
  args = ["config", "show"];
  assert.ok(!(await follows("another subcommand")).some((f) => f.startsWith("--allow-net")));
  deno = kafclaw.otherDeno;
  await follows("another Deno");
  deno = undefined;
  await follows("the first Deno again");
  const permissions = `${kafclaw.root}/core/permissions/mod.ts`;
  const text = await Deno.readTextFile(permissions);
  await Deno.writeTextFile(permissions, text.replace('"NO_COLOR"', '"NO_COLOUR"'));
  args = ["version"];
  assert.ok((await follows("the permission table edited")).some((f) => f.includes("NO_COLOUR")));
});

Deno.test("a headless gateway's flags are computed again when its mode, brokers or LLM host change", async () => {
  await using kafclaw = await launcher();
  const s = kafclaw.scratch;
  let env: Record<string, string> = { HOME: s, KAFCLAW_HOME: `${s}/home` };
  let args = ["gateway"];
  const net = (flags: string[]) => flags.find((f) => f.startsWith("--allow-net"));
  const follows = async (change: string) => {
    const run = await kafclaw.run(args, env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.starts.length, 2, `${change}: the flags were computed again`);
    assert.deepEqual(run.flags, await kafclaw.uncached(args, env), change);
    const again = await kafclaw.run(args, env);
    assert.equal(again.starts.length, 1, `${change}: then cached`);
    assert.deepEqual(again.flags, run.flags, change);
    return net(run.flags);
  };
  assert.equal(await follows("first run"), "--allow-net");
  args = ["gateway", "--mode", "headless"];
  assert.match((await follows("--mode headless"))!, /^--allow-net=0\.0\.0\.0:18790,/);
  const headless = await kafclaw.run(args, env);
  args = ["gateway", "--json", "--mode=headless"];
  const written = await kafclaw.run(args, env);
  assert.equal(written.starts.length, 1, "--mode=headless is the same mode: cached");
  assert.deepEqual(written.flags, headless.flags);
  env = { ...env, KAFCLAW_GROUP_KAFKA_BROKERS: "k1:9092" };
  assert.ok((await follows("brokers set"))!.includes("k1:9092"));
  env = { ...env, KAFCLAW_GROUP_KAFKA_BROKERS: "k2:9092" };
  const moved = (await follows("brokers changed"))!;
  assert.ok(moved.includes("k2:9092") && !moved.includes("k1:9092"), moved);
  // A lower-ranked name is not read while a higher one is set: it changes nothing.
  env = { ...env, MIKROBOT_KAFKA_BROKERS: "legacy:9092" };
  assert.equal((await kafclaw.run(args, env)).starts.length, 1);
  env = { ...env, OPENAI_BASE_URL: "http://127.0.0.1:4001/v1" };
  assert.ok((await follows("LLM host set"))!.includes("127.0.0.1:4001"));
  env = { ...env, OPENAI_BASE_URL: "http://127.0.0.1:4002/v1" };
  assert.ok((await follows("LLM host changed"))!.includes("127.0.0.1:4002"));
  env = { ...env, OPENAI_BASE_URL: "" };
  assert.ok((await follows("LLM host set empty"))!.includes("api.openai.com:443"));
  env = { ...env, KAFCLAW_MODEL: "ollama/llama3" };
  assert.ok((await follows("another provider"))!.includes("127.0.0.1:11434"));
  args = ["gateway", "--mode", "full"];
  assert.equal(await follows("--mode full"), "--allow-net");
  args = ["gateway"];
  env = { ...env, KAFCLAW_GATEWAY_HOST: "0.0.0.0" };
  assert.match((await follows("a wildcard gateway.host"))!, /^--allow-net=0\.0\.0\.0:18790,/);
  // A variable the flags never read changes nothing.
  env = { ...env, KAFCLAW_AGENT_NAME: "other" };
  assert.equal((await kafclaw.run(args, env)).starts.length, 1);
});

Deno.test("a cache file that others could write is not used", async () => {
  await using kafclaw = await launcher();
  const env = { HOME: kafclaw.scratch, KAFCLAW_HOME: `${kafclaw.scratch}/home` };
  await kafclaw.run(["version"], env);
  const file = `${kafclaw.root}/.deno/launch-${Deno.uid()}/version`;
  await Deno.chmod(file, 0o666);
  const run = await kafclaw.run(["version"], env);
  assert.equal(run.starts.length, 2);
  assert.deepEqual(run.flags, await kafclaw.uncached(["version"], env));
});

Deno.test("the launcher leaves no process of its own behind in its process group", {
  ignore: Deno.build.os !== "linux",
}, async () => {
  await using kafclaw = await launcher();
  // What the flags' computation leaves behind depends on timing: several runs that compute
  // them (each with a home of its own), then runs that take them from the cache.
  const homes = ["a", "b", "c", "d", "e", "e", "e"];
  for (const [i, name] of homes.entries()) {
    const env = { HOME: kafclaw.scratch, KAFCLAW_HOME: `${kafclaw.scratch}/${name}` };
    const child = kafclaw.spawn(["agent"], env);
    const mainStarts = async () =>
      (await kafclaw.starts()).filter((a) => a.includes(`${kafclaw.root}/main.ts`)).length;
    await waitFor(async () => (await mainStarts()) > i, `main.ts to start (run ${i + 1})`);
    // setsid made the launcher a group leader: its pid is the group's id.
    const group = await groupMembers(child.pid);
    await child.stdin.close();
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.deepEqual(group, [child.pid], `run ${i + 1}: only main.ts's process is in the group`);
  }
});

/** The pids whose process group is `group` (ps; Deno reads /proc only with every permission). */
async function groupMembers(group: number): Promise<number[]> {
  const out = await new Deno.Command("ps", { args: ["-eo", "pid=,pgid="], stdout: "piped" })
    .output();
  return new TextDecoder().decode(out.stdout).trim().split("\n")
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, pgid]) => pgid === group)
    .map(([pid]) => pid!)
    .sort((a, b) => a - b);
}

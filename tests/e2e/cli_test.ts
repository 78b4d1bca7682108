import assert from "node:assert/strict";
import { SUBCOMMANDS } from "../../core/permissions/mod.ts";
import { VERSION } from "../../core/version.ts";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { jsonOf, kafclaw, kafclawCommand, tempHome } from "../_support/cli.ts";
import { launchFlags } from "../../scripts/launch_flags.ts";
import { loadedModules } from "../../scripts/loaded_modules.ts";
import { gatewaySetting, startedGateway } from "../_support/gateway_env.ts";
import { waitFor } from "../_support/wait.ts";

Deno.test("kafclaw version prints the version, protocol and runtime", async () => {
  const r = await kafclaw(["version"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    new RegExp(`^kafclaw ${VERSION.replaceAll(".", "\\.")} \\(protocol kafclaw/1; deno `),
  );
  const json = jsonOf(await kafclaw(["version", "--json"]));
  assert.equal(json.version, VERSION);
  assert.equal(json.protocol, "kafclaw/1");
});

Deno.test("kafclaw version needs no npm package: it answers from an empty Deno cache, offline", async () => {
  const root = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
  await using cache = await tempHome();
  const run = async (args: string[]) => {
    const { flags } = launchFlags(args, {
      env: { HOME: cache.path },
      readConfig: () => undefined,
      deno: Deno.execPath(),
      root,
    });
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", "--cached-only", "--unstable-lazy-dynamic-imports"]
        .concat(flags, `${root}/main.ts`, args),
      env: { DENO_DIR: cache.path },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  const version = await run(["version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^kafclaw \d/);
  assert.equal((await run(["version", "--json"])).code, 0);
  // What loads commander cannot start from that cache.
  assert.notEqual((await run(["version", "--help"])).code, 0);
});

Deno.test("kafclaw --help lists every subcommand", async () => {
  const r = await kafclaw(["--help"]);
  assert.equal(r.code, 0, r.stderr);
  for (const name of SUBCOMMANDS) assert.match(r.stdout, new RegExp(`\\n  ${name}\\b`), name);
});

Deno.test("an unknown subcommand is a usage error: exit 2, one reason, no stack trace", async () => {
  const r = await kafclaw(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.doesNotMatch(r.stderr, /\bat .*\.ts:\d+/);
});

Deno.test("a mistyped subcommand where list is the default is refused as unknown, naming the commands", async () => {
  await using home = await tempHome();
  const env = { KAFCLAW_HOME: home.path };
  const mistyped = [
    [["zone", "add", "lab"], "zone", "list, members, create, delete, join, approve, deny"],
    [["group", "skills", "ad", "sql"], "skills", "list, add, remove"],
  ] as const;
  for (const [args, parent, commands] of mistyped) {
    const r = await kafclaw([...args], env);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr.split("\n")[0],
      `error: unknown command '${args.at(-2)}' for '${parent}' (its commands: ${commands})`,
    );
  }
  const listed = await kafclaw(["group", "skills", "--json"], env);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(JSON.parse(listed.stdout).skills, []);
});

Deno.test("an unknown option is a usage error with exit 2", async () => {
  const r = await kafclaw(["version", "--nope"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown option '--nope'/);
});

Deno.test("kafclaw group join without brokers is a usage error that names the setting", async () => {
  await using home = await tempHome();
  const r = await kafclaw(["group", "join"], { KAFCLAW_HOME: home.path });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    "kafclaw: group.kafkaBrokers is empty: set KAFCLAW_GROUP_KAFKA_BROKERS (host:port, comma-separated)",
  );
});

Deno.test("kafclaw completion prints bash, zsh and fish scripts naming the subcommands", async () => {
  const bash = await kafclaw(["completion", "bash"]);
  assert.equal(bash.code, 0, bash.stderr);
  assert.match(bash.stdout, /complete -F _kafclaw kafclaw/);
  assert.match(bash.stdout, /"config"\) words="[^"]*\bget\b/);
  const zsh = await kafclaw(["completion", "zsh"]);
  assert.match(zsh.stdout, /^#compdef kafclaw/);
  const fish = await kafclaw(["completion", "fish"]);
  assert.match(fish.stdout, /complete -c kafclaw -n '__fish_use_subcommand' -a agent/);
  const bad = await kafclaw(["completion", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown shell "tcsh"/);
});

Deno.test("help and completion run under their own sets and load commander alone, no subcommand", async () => {
  // Under exactly deno.json's `help` and `completion` sets: loading kafkajs would be refused its
  // NODE_ENV, and what loads is read from the process's own coverage.
  for (
    const [set, args] of [
      ["help", ["--help"]],
      ["help", ["help", "group", "join"]],
      ["help", ["frobnicate"]],
      ["completion", ["completion", "bash"]],
      ["completion", ["completion", "fish"]],
    ] as const
  ) {
    const run = await loadedModules(args, { permissionSet: set });
    const what = `kafclaw ${args.join(" ")}`;
    assert.equal(run.code, args[0] === "frobnicate" ? 2 : 0, `${what}: ${run.stderr}`);
    assert.doesNotMatch(run.stderr, /NODE_ENV|may not/, what);
    assert.deepEqual(run.packages, ["commander"], what);
    const subcommands = run.files.filter((f) => /^cli\/[a-z]+\.ts$/.test(f));
    assert.deepEqual(subcommands, ["cli/completion.ts", "cli/mod.ts"], what);
  }
});

Deno.test("the light subcommands load no Kafka client, LLM client, tool, vector search, web server or zod", async () => {
  await using home = await tempHome();
  // zod too: config checks the keys that are set by hand, and loads it only for a structured one.
  const heavy = ["kafkajs", "openai", "sqlite-vec", "hono", "zod"];
  // The key gives memory an embedder, which only a search that embeds its query may call.
  const keyed = { KAFCLAW_HOME: home.path, OPENAI_API_KEY: "sk-light" };
  const keyless = { KAFCLAW_HOME: home.path };
  // Memory's vectors are sqlite-vec's: status counts them, search and prune read them.
  const vectors = ["sqlite-vec"];
  // [command line, environment, heavy packages it uses, exit code (0 if left out)]
  const runs: [string[], Record<string, string>, string[], number?][] = [
    [["version"], keyed, []],
    [["status", "--json"], keyed, []],
    [["config", "get", "group.name"], keyed, []],
    [["cron", "list"], keyed, []],
    [["cron", "add", "daily", "--schedule", "@daily", "-m", "hello"], keyed, []],
    [["memory", "status"], keyed, vectors],
    [["memory", "status", "--json"], keyed, vectors],
    [["memory", "prune"], keyed, vectors],
    [["memory", "search", "staging", "port"], keyless, vectors],
    // The tasks this agent sent are in its store; only --trace may read the group's topics.
    [["task", "list"], keyed, []],
    [["task", "list", "--json"], keyed, []],
    [["task", "show", "no-such-task"], keyed, [], 2],
    // The skills this agent offers are in config.json alone (their names checked as the
    // protocol's schemas check them, in zod).
    [["group", "skills", "list"], keyed, ["zod"]],
    [["group", "skills", "add", "translate"], keyed, ["zod"]],
    [["group", "skills", "remove", "translate", "--json"], keyed, ["zod"]],
  ];
  for (const [args, env, uses, code = 0] of runs) {
    const run = await loadedModules(args, { env });
    const what = `kafclaw ${args.join(" ")}`;
    assert.equal(run.code, code, `${what}: ${run.stderr}`);
    const loaded = run.packages.filter((p) => heavy.includes(p) && !uses.includes(p));
    assert.deepEqual(loaded, [], what);
    // Neither the agent nor its tools (the sandbox's file helper, which main.ts may start, is none).
    const agent = run.files.filter((f) => /^core\/(agent\/.+|tools\/[^/]+)\.ts$/.test(f));
    assert.deepEqual(agent, [], what);
  }
});

Deno.test("a one-shot agent turn loads no line editor, no zod, and no MCP client without MCP servers", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: "echo" });
  const run = await loadedModules(["agent", "-m", "hi"], {
    env: {
      KAFCLAW_HOME: home.path,
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "sk-light",
      KAFCLAW_MODEL: "openai/gpt-test",
    },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "echo: hi");
  // The tools the model is offered are loaded; the MCP client and its SDK are not.
  assert.ok(run.files.includes("core/tools/fs_tools.ts"), run.files.join(" "));
  const mcp = /^core\/tools\/mcp\/(client|connection|toolset)\.ts$/;
  assert.deepEqual(run.files.filter((f) => mcp.test(f)), []);
  assert.ok(!run.packages.includes("@modelcontextprotocol/sdk"), run.packages.join(" "));
  // Nor zod: the tools' JSON Schemas are generated ahead, their schemas built at a first call.
  assert.ok(!run.packages.includes("zod"), run.packages.join(" "));
  // `-m` from a pipe: the interactive session's loop and line editor are never used.
  const typing = /^cli\/(_line_editor|_line_history|_line_keys|_repl)\.ts$/;
  assert.deepEqual(run.files.filter((f) => typing.test(f)), []);
});

Deno.test(
  "group members beside a running gateway reads its store, loading no Kafka client or group code",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using s = await gatewaySetting();
    const gateway = await startedGateway(kafclawCommand(["gateway", "--json"], s.env));
    await using _ = gateway.child;
    const env = { KAFCLAW_HOME: s.home };
    // The gateway's in-process group beats at once; until then the roster would be the topics'.
    let run: Awaited<ReturnType<typeof loadedModules>> | undefined;
    await waitFor(
      async () => {
        run = await loadedModules(["group", "members", "--json"], { env });
        return run.code === 0 && JSON.parse(run.stdout).source === "agent";
      },
      "group members reading the running gateway's roster",
      { state: () => run },
    );
    if (run === undefined) throw new Error("unreachable: waitFor returned without a run");
    assert.deepEqual(JSON.parse(run.stdout).members.map((m: { agent_id: string }) => m.agent_id), [
      "local",
    ]);
    assert.deepEqual(run.packages.filter((p) => ["kafkajs", "openai", "hono"].includes(p)), []);
    assert.deepEqual(run.files.filter((f) => /^core\/(group|transport|agent)\//.test(f)), []);
  },
);

Deno.test(
  "a standalone gateway starts and stops without loading the Kafka client",
  { sanitizeOps: false, sanitizeResources: false },
  async () => {
    await using s = await gatewaySetting();
    const run = await loadedModules(["gateway", "--json"], {
      env: s.env,
      stopOn: /"event":"stopped"|"event":"started"/,
    });
    assert.equal(run.code, 0, run.stderr);
    const events = run.stdout.trim().split("\n").map((line) => JSON.parse(line).event);
    assert.deepEqual([events[0], events.at(-1)], ["started", "stopped"], run.stdout);
    // It runs the group's code on the in-process transport: the door it enters by is loaded.
    assert.ok(run.files.includes("core/transport/mod.ts"), run.files.join(" "));
    assert.deepEqual(run.packages.filter((p) => p === "kafkajs"), []);
    const client =
      /^core\/transport\/(kafka|kafka_parts|kafka_admin|kafka_subscription|codecs)\.ts$/;
    assert.deepEqual(run.files.filter((f) => client.test(f)), []);
  },
);

Deno.test("the commands that act on this home refuse a config.json that others can write", async () => {
  await using home = await tempHome();
  const file = `${home.path}/config.json`;
  await Deno.writeTextFile(file, "{}");
  await Deno.chmod(file, 0o666);
  for (const args of [["task", "list"], ["cron", "list"], ["group", "skills", "list"]]) {
    const run = await kafclaw(args, { KAFCLAW_HOME: home.path });
    const what = `kafclaw ${args.join(" ")}`;
    assert.equal(run.code, 1, `${what}: ${run.stderr}`);
    assert.equal(
      run.stderr.trim(),
      `kafclaw: Cannot use ${file}: others can write it (mode 666); fix it with chmod 600 ${file}`,
      what,
    );
  }
});

Deno.test("a timeline that is not a database is named in one line, and left as it was", async () => {
  await using home = await tempHome();
  const file = `${home.path}/timeline.db`;
  const text = "not a database, only some text long enough to look like a file's header";
  await Deno.writeTextFile(file, text);
  for (const args of [["task", "list"], ["cron", "list"]]) {
    const run = await kafclaw(args, { KAFCLAW_HOME: home.path });
    const what = `kafclaw ${args.join(" ")}`;
    assert.equal(run.code, 1, `${what}: ${run.stderr}`);
    assert.equal(
      run.stderr.trim(),
      `kafclaw: Cannot read the timeline ${JSON.stringify(file)}: file is not a database (the ` +
        "file is damaged or is not a timeline); kafclaw doctor checks it and says how to recover it",
      what,
    );
  }
  assert.equal(await Deno.readTextFile(file), text);
});

Deno.test("the bash completion script completes subcommands in a real bash", async () => {
  const script = (await kafclaw(["completion", "bash"])).stdout;
  const probe =
    `${script}\nCOMP_WORDS=(kafclaw con); COMP_CWORD=1; _kafclaw; echo "\${COMPREPLY[@]}"`;
  const out = await new Deno.Command("bash", { args: ["-c", probe], stdout: "piped" }).output();
  assert.equal(new TextDecoder().decode(out.stdout).trim(), "config");
});

Deno.test("main.ts and everything it imports bundle offline into one file that runs", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=test", "scripts/compile.ts", "--bundle-only"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", `${root}dist/kafclaw.bundle.js`, "version", "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
  assert.equal(JSON.parse(new TextDecoder().decode(run.stdout)).version, VERSION);
});

Deno.test("the working subcommands run under the compile set that a binary carries", async () => {
  await using home = await tempHome();
  const root = new URL("../../", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "-P=kafclaw", `${root}main.ts`, ...args],
      cwd: root,
      env: { KAFCLAW_HOME: home.path },
      stdout: "piped",
      stderr: "piped",
    }).output();
  for (
    const args of [["version"], ["config", "set", "group.name", "lab"], ["config", "env"], [
      "completion",
      "fish",
    ]]
  ) {
    const out = await run(args);
    assert.equal(out.code, 0, `${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  const got = await run(["config", "get", "group.name"]);
  assert.equal(new TextDecoder().decode(got.stdout).trim(), "lab");
});

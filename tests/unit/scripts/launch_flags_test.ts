/**
 * What scripts/launch_flags.ts adds for the stdio MCP servers of mcp.json: read access to exactly
 * the host paths the file names (commands, `read` and `write` grants) for the subcommands that
 * start or check servers, and run access to exactly the unsandboxed servers' commands for those
 * that start them; never more than the file names, and nothing from a file that does not parse.
 * The last test runs the MCP client under the computed flags: a command the flags do not allow
 * fails with a line that says so, not with Deno's words.
 */
import assert from "node:assert/strict";
import { launchFlags, mcpNeeds } from "../../../scripts/launch_flags.ts";

const ROOT = new URL("../../../", import.meta.url).pathname.replace(/\/$/, "");

const stdio = (settings: Record<string, unknown>) => JSON.stringify({ mcpServers: settings });

Deno.test("mcpNeeds reads the paths of stdio servers and the commands of unsandboxed ones", () => {
  const text = stdio({
    py: { command: "python3", args: ["/opt/s/server.py"], read: ["/opt/s", "/srv//data/./in/"] },
    node: { type: "stdio", command: "/usr/local/bin/node", write: ["/srv/out"] },
    host: { transport: "stdio", command: "uvx", unsandboxed: true, read: ["/var/cache/uv"] },
    tool: { command: "/opt/tools/../bin/tool", unsandboxed: true },
  });
  assert.deepEqual(mcpNeeds(text), {
    read: [
      "/opt/s",
      "/srv/data/in",
      "/usr/local/bin/node",
      "/srv/out",
      "/var/cache/uv",
      "/opt/bin/tool",
    ],
    run: ["uvx", "/opt/bin/tool"],
  });
});

Deno.test("mcpNeeds never grants what the file does not name as a stdio server's", () => {
  const text = stdio({
    web: { url: "https://mcp.example.com/", read: ["/etc"] },
    typed: { type: "http", command: "x", read: ["/etc"], unsandboxed: true },
    named: { transport: "http", command: "x", read: ["/etc"], unsandboxed: true },
    odd: { type: "sse", command: "x", read: ["/etc"] },
    off: { command: "x", read: ["/etc"], unsandboxed: true, enabled: false },
    // The sandbox refuses these; the launcher does not turn them into grants.
    root: { command: "y", read: ["/", "/tmp/..", "//"], write: ["relative", "~/x", 7] },
    flags: { command: "/opt/a,b", read: ["/opt/c,d", "/opt/e\n--allow-all", "/opt/\u0000"] },
    relative: { command: "./server", unsandboxed: true },
    comma: { command: "a,b", unsandboxed: true },
    dots: { command: "..", unsandboxed: true },
    list: ["/etc"],
  });
  assert.deepEqual(mcpNeeds(text), { read: [], run: [] });
  for (const bad of [undefined, "", "{", "null", "[]", '{"mcpServers": ["/etc"]}']) {
    assert.deepEqual(mcpNeeds(bad), { read: [], run: [] }, JSON.stringify(bad));
  }
});

/** The flags of `argv` for a home whose mcp.json is `mcp` (a text, or a read that throws). */
function flagsFor(argv: string[], mcp: string | Error | undefined): string[] {
  return [
    ...launchFlags(argv, {
      env: { HOME: "/home/u", KAFCLAW_HOME: "/home/u/.kafclaw" },
      readConfig(path) {
        if (!path.endsWith("/mcp.json")) return undefined;
        if (mcp instanceof Error) throw mcp;
        return mcp;
      },
      deno: "/opt/deno",
      root: "/src/kafclaw",
    }).flags,
  ];
}

/** Runs `script` with `args` under exactly `flags`; resolves with its stdout's JSON. */
async function runUnder(flags: readonly string[], script: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "--config", `${ROOT}/deno.json`, ...flags, script]
      .concat(args),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const flag = (flags: readonly string[], name: string) =>
  flags.find((f) => f.startsWith(`--allow-${name}=`))?.split("=")[1]?.split(",") ?? [];

Deno.test("the launcher adds mcp.json's reads to agent, cron, gateway and doctor, and runs to all but doctor", () => {
  const mcp = stdio({
    py: { command: "python3", read: ["/opt/py", "/home/u/.kafclaw/tools/s.py"] },
    host: { command: "/usr/bin/uvx", unsandboxed: true },
  });
  for (const sub of ["agent", "cron", "gateway"]) {
    const flags = flagsFor([sub], mcp);
    assert.deepEqual(
      flag(flags, "read").filter((p) => p.startsWith("/opt") || p.startsWith("/usr/bin/uvx")),
      ["/opt/py", "/usr/bin/uvx"],
      sub,
    );
    // What is inside KAFCLAW_HOME is granted already, once.
    assert.equal(flag(flags, "read").filter((p) => p.startsWith("/home/u")).length, 1, sub);
    // gateway also starts the browser's opener (--open).
    const opener = sub === "gateway" ? ["xdg-open", "open"] : [];
    assert.deepEqual(flag(flags, "run"), [
      "bwrap",
      "setpriv",
      "prlimit",
      ...opener,
      "/opt/deno",
      "/usr/bin/uvx",
    ], sub);
    assert.deepEqual(flag(flags, "write"), ["/home/u/.kafclaw"], "no write access is added");
  }
  const doctor = flagsFor(["doctor"], mcp);
  assert.ok(flag(doctor, "read").includes("/opt/py"));
  assert.ok(!flag(doctor, "run").includes("/usr/bin/uvx"), "doctor never starts a server");
  for (const sub of ["config", "memory", "status", "version"]) {
    assert.deepEqual(flagsFor([sub], mcp), flagsFor([sub], undefined), sub);
  }
  // A file that cannot be read or parsed adds nothing; main.ts says what is wrong with it.
  const plain = flagsFor(["agent"], undefined);
  assert.deepEqual(flagsFor(["agent"], new Error("EACCES")), plain);
  assert.deepEqual(flagsFor(["agent"], "{ not json"), plain);
  assert.ok(plain.every((f) => !/^--allow-(read|write|run)$/.test(f)));
});

Deno.test({
  name: "under the launcher's agent flags an unsandboxed server runs only when mcp.json named it",
  ignore: Deno.build.os === "windows",
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "kafclaw-launch-mcp-" });
    try {
      const server = `${ROOT}/tests/fakes/mcp_stdio_server.py`;
      const named = stdio({ py: { command: "python3", args: [server], unsandboxed: true } });
      await Deno.writeTextFile(`${home}/mcp.json`, named);
      const script = `${home}/load.ts`;
      await Deno.writeTextFile(
        script,
        `import { loadMcpClient, readMcpConfig } from ${
          JSON.stringify(`${ROOT}/core/tools/mcp/mod.ts`)
        };
const { McpToolset } = await loadMcpClient();
await using toolset = new McpToolset(await readMcpConfig(${JSON.stringify(home)}));
const { tools, failures } = await toolset.load();
console.log(JSON.stringify({ tools: tools.map((t) => t.name), failures }));
`,
      );
      const run = async (mcp: string) => {
        const { flags } = launchFlags(["agent"], {
          env: { ...Deno.env.toObject(), KAFCLAW_HOME: home },
          readConfig: (path) => path.endsWith("/mcp.json") ? mcp : undefined,
          deno: Deno.execPath(),
          root: ROOT,
        });
        return await runUnder(flags, script);
      };
      assert.deepEqual(await run(named), { tools: ["py__shout", "py__whoami"], failures: [] });
      // Flags computed from a file without that server (a stale grant, a static permission set).
      assert.deepEqual(await run(stdio({})), {
        tools: [],
        failures: [{
          server: "py",
          message: 'Cannot start MCP server "py": this process may not run the command ' +
            '"python3": start kafclaw with its launcher (scripts/kafclaw), which allows the ' +
            "commands of mcp.json's unsandboxed servers",
        }],
      });
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

/** A user's home with no config.json. */
const PLAIN_HOME = {
  env: { HOME: "/home/u", KAFCLAW_HOME: "/home/u/.kafclaw" },
  readConfig: () => undefined,
  deno: "/usr/bin/deno",
  root: ROOT,
};

Deno.test("onboard keeps read and write of any path: the workspace it asks for may be anywhere", () => {
  const onboard = launchFlags(["onboard"], PLAIN_HOME).flags;
  assert.ok(onboard.includes("--allow-read") && onboard.includes("--allow-write"), `${onboard}`);
  const config = launchFlags(["config", "show"], PLAIN_HOME).flags;
  assert.ok(config.some((f) => f.startsWith("--allow-write=/home/u/.kafclaw")), `${config}`);
});

Deno.test("kshark reads and writes the files its command line names, anywhere, and nothing more", () => {
  const flags =
    launchFlags(["kshark", "--props", "/etc/kafka/client.properties"], PLAIN_HOME).flags;
  assert.ok(flags.includes("--allow-read") && flags.includes("--allow-write"), `${flags}`);
  // No ffi, no host facts, and only the two tracers --network-diag runs.
  assert.ok(
    !flags.some((f) => f.startsWith("--allow-ffi") || f.startsWith("--allow-sys")),
    `${flags}`,
  );
  assert.ok(flags.includes("--allow-run=tracepath,traceroute"), `${flags}`);
});

/** The flags of `argv` for a home at /home/u/.kafclaw with config.json `config` and `env`. */
function gatewayFlags(argv: string[], env: Record<string, string>, config: unknown = undefined) {
  return launchFlags(argv, {
    env: { HOME: "/home/u", KAFCLAW_HOME: "/home/u/.kafclaw", ...env },
    readConfig: (path) =>
      path.endsWith("/config.json") && config !== undefined ? JSON.stringify(config) : undefined,
    deno: "/opt/deno",
    root: "/src/kafclaw",
  });
}

Deno.test("a headless gateway may reach only its ports, the brokers and the LLM and channel hosts", () => {
  const env = {
    KAFCLAW_GROUP_KAFKA_BROKERS: "10.0.0.7:9092",
    OPENAI_BASE_URL: "http://127.0.0.1:4000/v1",
    KAFCLAW_GATEWAY_PORT: "8000",
  };
  const config = {
    gateway: { dashboardPort: 8001 },
    channels: { telegram: { enabled: true } },
    paths: { workspace: "/srv/ws" },
  };
  const expected = [
    "0.0.0.0:8000",
    "0.0.0.0:8001",
    "10.0.0.7:9092",
    "127.0.0.1:4000",
    "api.telegram.org:443",
  ];
  for (
    const argv of [["gateway", "--mode", "headless"], ["gateway", "--json", "--mode=headless"]]
  ) {
    const { flags } = gatewayFlags(argv, env, config);
    assert.deepEqual(flag(flags, "net"), expected, argv.join(" "));
    assert.ok(!flags.includes("--allow-net"));
    // Files: KAFCLAW_HOME and KafClaw's code; the workspace elsewhere is not granted (the
    // gateway refuses it as it starts).
    assert.deepEqual(flag(flags, "write"), ["/home/u/.kafclaw"]);
    assert.ok(!flag(flags, "read").includes("/srv/ws"));
    assert.ok(flag(flags, "read").includes("/src/kafclaw/core"));
  }
  // A file config names outside KAFCLAW_HOME is read by every command but a headless gateway.
  const tls = { group: { kafkaTlsCaFile: "/etc/kafka/ca.pem" } };
  assert.ok(
    !flag(gatewayFlags(["gateway", "--mode", "headless"], {}, tls).flags, "read")
      .includes("/etc/kafka/ca.pem"),
  );
  for (const argv of [["gateway"], ["task", "list"], ["group", "status"]]) {
    const read = flag(gatewayFlags(argv, {}, tls).flags, "read");
    assert.ok(read.includes("/etc/kafka/ca.pem"), argv.join(" "));
  }
  // Any non-loopback gateway.host is headless, whatever --mode says.
  const exposed = gatewayFlags(["gateway"], { ...env, KAFCLAW_GATEWAY_HOST: "0.0.0.0" }, config);
  assert.deepEqual(flag(exposed.flags, "net").slice(0, 2), ["0.0.0.0:8000", "0.0.0.0:8001"]);
  // Not headless: the whole network, and the workspace wherever it is.
  for (
    const argv of [["gateway"], ["gateway", "--mode", "full"], ["agent", "--mode", "headless"]]
  ) {
    const { flags } = gatewayFlags(argv, env, config);
    assert.ok(flags.includes("--allow-net"), argv.join(" "));
    assert.ok(flag(flags, "write").includes("/srv/ws"), argv.join(" "));
  }
});

Deno.test("the flags name every environment variable they were computed from", () => {
  const headless = gatewayFlags(["gateway", "--mode", "headless"], {}, {}).env;
  for (
    const name of [
      "HOME",
      "KAFCLAW_HOME",
      "KAFCLAW_GATEWAY_HOST",
      "MIKROBOT_GATEWAY_HOST",
      "KAFCLAW_GROUP_KAFKA_BROKERS",
      "MIKROBOT_KAFKA_BROKERS",
      "KAFCLAW_MODEL",
      "OPENAI_BASE_URL",
      "KAFCLAW_PROVIDERS_OPENAI_API_BASE",
      "KAFCLAW_CHANNELS_TELEGRAM_ENABLED",
    ]
  ) assert.ok(headless.includes(name), name);
  assert.deepEqual(headless, [...headless].sort());
  // No secret is read, so none is kept with the cached flags.
  assert.ok(!headless.some((name) => /KEY|TOKEN|PASSWORD|SECRET/.test(name)), `${headless}`);
  // Another subcommand reads where its files are, and no network setting.
  const agent = gatewayFlags(["agent"], {}).env;
  for (
    const name of ["HOME", "KAFCLAW_HOME", "KAFCLAW_PATHS_WORKSPACE", "KAFCLAW_GROUP_INVITE_FILE"]
  ) assert.ok(agent.includes(name), name);
  assert.ok(!agent.some((name) => /GATEWAY_HOST|BROKERS|BASE_URL/.test(name)), `${agent}`);
});

Deno.test({
  name: "under a headless gateway's flags a tool reaches the LLM's host, and another host or a " +
    "file outside KAFCLAW_HOME is refused in one line without Deno's words",
  ignore: Deno.build.os === "windows",
  async fn() {
    const home = await Deno.makeTempDir({ prefix: "kafclaw-launch-headless-" });
    const serve = (text: string) =>
      Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(text));
    await using llm = serve("the LLM's host");
    await using other = serve("another host");
    try {
      const script = `${home}/tools.ts`;
      await Deno.writeTextFile(
        script,
        `import { z } from "zod";
import { defineTool, toolOk, ToolRegistry, webFetchTool } from ${
          JSON.stringify(`${ROOT}/core/tools/mod.ts`)
        };
const registry = new ToolRegistry().register(
  webFetchTool({ timeoutMs: 5000, maxBytes: 10000, maxRedirects: 0, classify: () => "public" }),
  defineTool({
    name: "read_any",
    description: "reads a host path",
    tier: 0,
    args: z.object({ path: z.string() }),
    run: async ({ path }) => toolOk(await Deno.readTextFile(path)),
  }),
);
const ctx = { sessionKey: "s", workspace: ${
          JSON.stringify(home)
        }, signal: new AbortController().signal };
const results = [];
for (const [name, args] of JSON.parse(Deno.args[0])) {
  results.push(await registry.run(name, JSON.stringify(args), ctx));
}
console.log(JSON.stringify(results));
`,
      );
      const { flags } = launchFlags(["gateway", "--mode", "headless"], {
        env: {
          HOME: Deno.env.get("HOME"),
          KAFCLAW_HOME: home,
          OPENAI_BASE_URL: `http://127.0.0.1:${llm.addr.port}/v1`,
        },
        readConfig: () => undefined,
        deno: Deno.execPath(),
        root: ROOT,
      });
      const calls = [
        ["web_fetch", { url: `http://127.0.0.1:${llm.addr.port}/` }],
        ["web_fetch", { url: `http://127.0.0.1:${other.addr.port}/` }],
        ["read_any", { path: `${ROOT}/core/version.ts` }],
        ["read_any", { path: "/etc/hostname" }],
      ];
      const [allowed, net, code, file] = await runUnder(flags, script, JSON.stringify(calls));
      // An MCP server over HTTP is not among a headless gateway's hosts either.
      const load = `${home}/mcp.ts`;
      await Deno.writeTextFile(
        `${home}/mcp.json`,
        JSON.stringify({ mcpServers: { web: { url: `http://127.0.0.1:${other.addr.port}/mcp` } } }),
      );
      await Deno.writeTextFile(
        load,
        `import { loadMcpClient, readMcpConfig } from ${
          JSON.stringify(`${ROOT}/core/tools/mcp/mod.ts`)
        };
const { McpToolset } = await loadMcpClient();
await using toolset = new McpToolset(await readMcpConfig(${JSON.stringify(home)}));
console.log(JSON.stringify((await toolset.load()).failures));
`,
      );
      const [failure] = await runUnder(flags, load);
      assert.equal(failure.server, "web");
      assert.match(
        failure.message,
        new RegExp(`kafclaw may not connect to 127\\.0\\.0\\.1:${other.addr.port}: a headless`),
      );
      assert.doesNotMatch(failure.message, /--allow-net|Requires net access/);
      assert.match(allowed.content, /the LLM's host$/);
      assert.equal(allowed.isError, undefined);
      assert.deepEqual(net, {
        isError: true,
        content: `Cannot fetch http://127.0.0.1:${other.addr.port}/: kafclaw may not connect to ` +
          `127.0.0.1:${other.addr.port}: a headless gateway reaches only its own ports, the ` +
          "brokers, and the LLM and channel hosts its config names",
      });
      // KafClaw's own code is readable (lazy imports need it), nothing else outside the home.
      assert.equal(code.isError, undefined);
      assert.deepEqual(file, {
        isError: true,
        content: "read_any failed: kafclaw may not read /etc/hostname: it keeps to KAFCLAW_HOME, " +
          "the workspace and its own code (a headless gateway to KAFCLAW_HOME alone)",
      });
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("the launcher grants the workspaces of agents.list's agents outside KAFCLAW_HOME, from the file or the variable", () => {
  const home = "/home/u/.kafclaw";
  const config = JSON.stringify({
    paths: { workspace: "/srv/main" },
    agents: {
      list: [
        { id: "main" },
        { id: "coder", workspace: "/srv/code" },
        { id: "notes", workspace: "notes" },
        { id: "odd", workspace: 7 },
      ],
    },
  });
  const flagsOf = (env: Record<string, string>) =>
    launchFlags(["gateway"], {
      env: { HOME: "/home/u", KAFCLAW_HOME: home, ...env },
      readConfig: (path) => path.endsWith("/config.json") ? config : undefined,
      deno: "/opt/deno",
      root: "/src/kafclaw",
    }).flags;
  const fromFile = flagsOf({});
  for (const name of ["read", "write"]) {
    assert.ok(flag([...fromFile], name).includes("/srv/code"), `${name}: ${fromFile.join(" ")}`);
    assert.ok(flag([...fromFile], name).includes("/srv/main"));
    // One inside the home is granted with the home, not on its own.
    assert.ok(!flag([...fromFile], name).includes(`${home}/notes`));
  }
  const fromEnv = flagsOf({
    KAFCLAW_AGENTS_LIST: JSON.stringify([{ id: "ops", workspace: "~/ops" }]),
  });
  assert.ok(flag([...fromEnv], "write").includes("/home/u/ops"), fromEnv.join(" "));
  assert.ok(!flag([...fromEnv], "write").includes("/srv/code"), "the variable replaces the file");
});

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

const flag = (flags: string[], name: string) =>
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
        `import { McpToolset, readMcpConfig } from ${
          JSON.stringify(`${ROOT}/core/tools/mcp/mod.ts`)
        };
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
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "--quiet",
            "--no-prompt",
            "--config",
            `${ROOT}/deno.json`,
            ...flags,
            script,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        return JSON.parse(new TextDecoder().decode(out.stdout));
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

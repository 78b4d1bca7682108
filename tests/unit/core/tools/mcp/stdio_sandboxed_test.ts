/**
 * stdio MCP servers under bubblewrap (core/tools/sandbox/mcp_wrap.ts): the fake servers run
 * confined with their grants only, which for a Deno script are the Deno binary, the script,
 * deno.json and deno.lock, and the npm cache (read-only), with DENO_DIR pointing at the cache.
 * The probe server (tests/fakes/mcp_probe_server.ts) reports what it can reach from inside.
 */
import assert from "node:assert/strict";
import {
  type McpGrants,
  type McpServerOptions,
  type WrapCommand,
} from "../../../../../core/tools/mcp/config.ts";
import { resolveMcpServers } from "../../../../../core/tools/mcp/_servers.ts";
import { McpToolset } from "../../../../../core/tools/mcp/toolset.ts";
import { ToolRegistry } from "../../../../../core/tools/registry.ts";
import { openSandbox, type Sandbox } from "../../../../../core/tools/sandbox/mod.ts";
import { bwrapMcpWrapper } from "../../../../../core/tools/sandbox/mod.ts";
import { type AgentRuntime, createAgentRuntime } from "../../../../../core/agent/runtime.ts";
import { resolveConfig } from "../../../../../core/config/mod.ts";
import { testContext } from "../_context.ts";

const REPO = new URL("../../../../../", import.meta.url).pathname.replace(/\/$/, "");
const PROBE = `${REPO}/tests/fakes/mcp_probe_server.ts`;
const FAKE = `${REPO}/tests/fakes/mcp_server.ts`;
const LINUX = Deno.build.os === "linux";

let cache: Promise<{ denoDir: string; npmCache: string }> | undefined;

/** Where this Deno keeps its caches, and its npm packages. */
function denoCache(): Promise<{ denoDir: string; npmCache: string }> {
  cache ??= new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    cwd: REPO,
    stdout: "piped",
    stderr: "null",
  }).output().then((output) => JSON.parse(new TextDecoder().decode(output.stdout)));
  return cache;
}

/** What a Deno script needs to run inside: the runtime, the script, the config, the npm cache. */
async function denoGrants(script: string): Promise<McpServerOptions & { transport: "stdio" }> {
  const { denoDir, npmCache } = await denoCache();
  return {
    transport: "stdio",
    command: Deno.execPath(),
    args: ["run", "-A", "--no-check", script],
    read: [Deno.execPath(), script, `${REPO}/deno.json`, `${REPO}/deno.lock`, npmCache],
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    cwd: REPO,
  };
}

interface Fixture extends AsyncDisposable {
  readonly wrapCommand: WrapCommand;
  /** A scratch folder of the host, never granted as a whole. */
  readonly dir: string;
  readonly stateDir: string;
  /** A file in `dir` holding `canary`, never granted. */
  readonly canaryFile: string;
  readonly canary: string;
  /** A folder (0755) and a file in it (0644) to grant for reading. */
  readonly readDir: string;
  /** A folder writable by the sandbox's uid, to grant for writing. */
  readonly writeDir: string;
  /** Loads one sandboxed server `name` with extra settings; closed with the fixture. */
  load(name: string, extra?: Partial<McpServerOptions>): Promise<ToolRegistry>;
}

async function fixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-mcp-sandbox-" });
  const stateDir = `${dir}/state`;
  const canary = `kafclaw-canary-${crypto.randomUUID()}`;
  const canaryFile = `${dir}/canary.txt`;
  await Deno.writeTextFile(canaryFile, `${canary}\n`, { mode: 0o644 });
  const readDir = `${dir}/granted-read`;
  const writeDir = `${dir}/granted-write`;
  await Deno.mkdir(readDir, { mode: 0o755 });
  await Deno.writeTextFile(`${readDir}/note.txt`, "granted\n", { mode: 0o644 });
  await Deno.mkdir(writeDir);
  await Deno.chmod(writeDir, 0o777); // as root, the server runs as uid 65534 on the host
  const wrapCommand = await bwrapMcpWrapper({ stateDir }).catch(async (error) => {
    await Deno.remove(dir, { recursive: true });
    throw error;
  });
  const base = await denoGrants(PROBE);
  const toolsets: McpToolset[] = [];
  return {
    wrapCommand,
    dir,
    stateDir,
    canaryFile,
    canary,
    readDir,
    writeDir,
    async load(name, extra = {}) {
      const [config] = resolveMcpServers({ [name]: { ...base, ...extra } as McpServerOptions });
      const toolset = new McpToolset([config!], { wrapCommand });
      toolsets.push(toolset);
      const { tools, failures } = await toolset.load();
      assert.deepEqual(failures, []);
      return new ToolRegistry().register(...tools);
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(toolsets.map((t) => t.close()));
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The text a probe tool answered. */
async function ask(registry: ToolRegistry, tool: string, args: unknown): Promise<string> {
  const result = await registry.run(tool, JSON.stringify(args), testContext());
  assert.equal(result.isError, undefined, result.content);
  return result.content;
}

Deno.test({
  name: "sandboxed stdio: the fake server's tools are listed and called through bubblewrap",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const fake = await denoGrants(FAKE);
    const registry = await fx.load("fake", { ...fake, env: { ...fake.env, FAKE_MCP_VALUE: "in" } });
    assert.deepEqual(registry.names().sort(), [
      "fake__add",
      "fake__crash",
      "fake__echo",
      "fake__env",
      "fake__fail",
      "fake__mixed",
      "fake__search_web",
      "fake__slow",
      "fake__throws",
    ]);
    assert.equal(await ask(registry, "fake__echo", { text: "hi" }), "hi");
    assert.equal(await ask(registry, "fake__add", { a: 2, b: 3 }), "5");
    assert.equal(await ask(registry, "fake__env", {}), "in");
    const crashed = await registry.run("fake__crash", "{}", testContext());
    assert.match(crashed.content, /the next call starts it again$/);
    assert.equal(await ask(registry, "fake__echo", { text: "back" }), "back");
  },
});

Deno.test({
  name: "sandboxed stdio: the server sees only its granted environment, as the sandbox's uid",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const saved = { OPENAI_API_KEY: Deno.env.get("OPENAI_API_KEY"), USER: Deno.env.get("USER") };
    Deno.env.set("OPENAI_API_KEY", `sk-${fx.canary}`);
    Deno.env.set("USER", fx.canary); // the MCP SDK passes USER, HOME, PATH... to what it spawns
    try {
      const { read } = await denoGrants(PROBE);
      const registry = await fx.load("probe", {
        read: [...read ?? [], fx.readDir],
        cwd: fx.readDir,
      });
      const env = JSON.parse(await ask(registry, "probe__env", {}));
      const { denoDir } = await denoCache();
      assert.deepEqual(env, {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: "/tmp",
        TMPDIR: "/tmp",
        LANG: "C.UTF-8",
        DENO_DIR: denoDir,
        NO_COLOR: "1",
        PWD: fx.readDir,
      });
      assert.deepEqual(JSON.parse(await ask(registry, "probe__whoami", {})), {
        uid: 65534,
        cwd: fx.readDir,
      });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) Deno.env.delete(name);
        else Deno.env.set(name, value);
      }
    }
  },
});

Deno.test({
  name: "sandboxed stdio: only granted paths are visible, and only write grants are writable",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const { read, env, ...rest } = await denoGrants(PROBE);
    const registry = await fx.load("probe", {
      ...rest,
      env: env ?? {},
      read: [...(read ?? []), fx.readDir],
      write: [fx.writeDir],
    });
    const readPath = (path: string) => ask(registry, "probe__read_path", { path });
    const writePath = (path: string) => ask(registry, "probe__write_path", { path, text: "x" });
    assert.equal(await readPath(`${fx.readDir}/note.txt`), "ok: granted\n");
    assert.equal(await readPath(fx.canaryFile), "error: NotFound");
    assert.equal(await readPath(`${REPO}/core/agent/runtime.ts`), "error: NotFound");
    assert.equal(await readPath("/etc/hostname"), "error: NotFound");
    assert.equal(await readPath("/etc/shadow"), "error: NotFound");

    assert.equal(await writePath(`${fx.writeDir}/out.txt`), "ok: written");
    assert.equal(await Deno.readTextFile(`${fx.writeDir}/out.txt`), "x");
    assert.match(await writePath(`${fx.readDir}/note.txt`), /^error: /);
    assert.equal(await Deno.readTextFile(`${fx.readDir}/note.txt`), "granted\n");
    assert.match(await writePath(`${REPO}/deno.json`), /^error: /);
    // Where the repo holds a granted path (the Deno binary of a checkout's .deno/), its folder
    // exists inside as the sandbox's own: a write there may succeed, but never reaches the host.
    await writePath(`${REPO}/planted.txt`);
    await assert.rejects(Deno.stat(`${REPO}/planted.txt`), Deno.errors.NotFound);
    // The folders above a grant exist inside (on the sandbox's own /tmp here), empty: what is
    // written there stays inside.
    await writePath(fx.canaryFile);
    await writePath(`${fx.dir}/planted.txt`);
    assert.equal(await Deno.readTextFile(fx.canaryFile), `${fx.canary}\n`);
    await assert.rejects(Deno.stat(`${fx.dir}/planted.txt`), Deno.errors.NotFound);
  },
});

Deno.test({
  name: "sandboxed stdio: the host's loopback is reached only with the network grant",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    await using http = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response("host"),
    );
    const target = { hostname: "127.0.0.1", port: http.addr.port };
    const closed = await fx.load("closed");
    assert.equal(await ask(closed, "closed__connect", target), "error: ConnectionRefused");
    // The grant shares the host's network namespace: loopback included, hence the owner's call.
    const open = await fx.load("open", { network: true });
    assert.equal(await ask(open, "open__connect", target), "ok: connected");
  },
});

Deno.test({
  name: "sandboxed stdio: the command line is bwrap, --share-net only when granted, grants checked",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const grants: McpGrants = { read: [], write: [], network: false, env: { A: "1" } };
    const line = fx.wrapCommand("true", [], grants);
    assert.equal(line.command, "bwrap");
    assert.ok(line.args.includes("--unshare-all"));
    assert.ok(line.args.includes("--clearenv"));
    assert.ok(line.args.includes("--disable-userns"));
    assert.ok(!line.args.includes("--share-net"));
    assert.ok(
      fx.wrapCommand("true", [], { ...grants, network: true }).args.includes("--share-net"),
    );
    assert.throws(
      () => fx.wrapCommand("true", [], { ...grants, read: ["relative/path"] }),
      /"relative\/path" is not an absolute path/,
    );
    assert.throws(
      () => fx.wrapCommand("true", [], { ...grants, write: ["/"] }),
      /"\/" is the whole host/,
    );
    await Deno.symlink(fx.readDir, `${fx.dir}/link`);
    assert.throws(
      () => fx.wrapCommand("true", [], { ...grants, read: [`${fx.dir}/link/note.txt`] }),
      /leads through a link: grant its real path ".*\/granted-read\/note.txt" instead/,
    );
    assert.throws(
      () => fx.wrapCommand("true", [], { ...grants, env: { "A=B": "1" } }),
      /the variable "A=B" is invalid/,
    );
  },
});

/** Every process: pid, parent pid, state and command line (`ps`; /proc needs --allow-all). */
async function processes(): Promise<{ pid: number; ppid: number; state: string; args: string }[]> {
  const output = await new Deno.Command("ps", {
    args: ["-eww", "-o", "pid=,ppid=,stat=,args="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).split("\n").flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    return match
      ? [{ pid: Number(match[1]), ppid: Number(match[2]), state: match[3]!, args: match[4]! }]
      : [];
  });
}

/** Processes of the sandbox (their command lines name its state folder or the script). */
async function sandboxProcesses(stateDir: string): Promise<string[]> {
  return (await processes()).filter((p) => p.args.includes(stateDir) || p.args.includes(PROBE))
    .map((p) => `${p.pid} ${p.args.slice(0, 80)}`);
}

/** Loads the probe with `extra`, checks it runs, closes it: nothing of the sandbox is left. */
async function closesCleanly(fx: Fixture, extra: Partial<McpServerOptions>): Promise<void> {
  const base = await denoGrants(PROBE);
  const [config] = resolveMcpServers({ probe: { ...base, ...extra } as McpServerOptions });
  const toolset = new McpToolset([config!], { wrapCommand: fx.wrapCommand });
  const registry = new ToolRegistry().register(...(await toolset.load()).tools);
  assert.match(await ask(registry, "probe__whoami", {}), /"uid":65534/);
  // Both bwrap stages, the sandbox's init and the server name the state folder or the script.
  const running = await sandboxProcesses(fx.stateDir);
  assert.ok(running.length >= 2, `expected the sandbox's processes, found ${running}`);
  await toolset.close();
  for (let wait = 0; wait < 50 && (await sandboxProcesses(fx.stateDir)).length > 0; wait++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.deepEqual(await sandboxProcesses(fx.stateDir), []);
  const zombies = (await processes()).filter((p) => p.ppid === Deno.pid && p.state === "Z");
  assert.deepEqual(zombies, []);
}

Deno.test({
  name: "sandboxed stdio: closing the toolset ends the server and every process bwrap started",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    await closesCleanly(fx, {});
  },
});

Deno.test({
  name: "sandboxed stdio: a server that ignores the end of its input is killed with its sandbox",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const { env } = await denoGrants(PROBE);
    await closesCleanly(fx, { env: { ...env, PROBE_IGNORE_EOF: "1" } });
  },
});

/** An agent runtime on a scratch home whose mcp.json names the probe server. */
async function runtimeWithProbe(
  open?: (workspace: string) => Promise<Sandbox>,
): Promise<{ runtime: AgentRuntime; warnings: string[]; home: string }> {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-mcp-runtime-" });
  const probe = await denoGrants(PROBE);
  await Deno.writeTextFile(`${home}/mcp.json`, JSON.stringify({ mcpServers: { probe } }));
  const config = resolveConfig({
    home,
    env: {
      KAFCLAW_MODEL: "openai/gpt-test",
      OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
      OPENAI_API_KEY: "sk-unused",
    },
  });
  const warnings: string[] = [];
  const runtime = await createAgentRuntime(config, {
    warn: (message) => warnings.push(message),
    ...(open ? { openSandbox: open } : {}),
  });
  return { runtime, warnings, home };
}

Deno.test({
  name: "the agent runtime runs stdio MCP servers under bubblewrap when its sandbox is bwrap",
  ignore: !LINUX,
  async fn() {
    const { runtime, warnings, home } = await runtimeWithProbe();
    try {
      assert.equal(runtime.sandbox.kind, "bwrap");
      assert.deepEqual(warnings, []);
      const result = await runtime.tools.run("probe__whoami", "{}", testContext());
      assert.equal(JSON.parse(result.content).uid, 65534);
    } finally {
      await runtime.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("the agent runtime refuses stdio MCP servers when its sandbox is not bwrap", async () => {
  const { runtime, warnings, home } = await runtimeWithProbe((workspace) =>
    openSandbox(workspace, { prefer: "worker" })
  );
  try {
    assert.equal(runtime.sandbox.kind, "worker");
    assert.equal(runtime.tools.get("probe__whoami"), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^MCP server probe: .*runs only inside the sandbox \(bubblewrap\)/);
  } finally {
    await runtime.close();
    await Deno.remove(home, { recursive: true });
  }
});

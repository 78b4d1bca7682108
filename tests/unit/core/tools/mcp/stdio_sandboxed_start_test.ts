/**
 * How a sandboxed stdio MCP server's command is found and what is said when it cannot start
 * (core/tools/sandbox/mcp_wrap.ts, _mcp_start.ts): a bare name is looked up inside the sandbox,
 * on its PATH, never on the host; an absolute command is bound at its real path; `canStart`
 * tells whether a server would start without starting it. The server is the plain Python one
 * (tests/fakes/mcp_stdio_server.py), as a user would write it.
 */
import assert from "node:assert/strict";
import { type McpGrants, type McpServerOptions } from "../../../../../core/tools/mcp/config.ts";
import { resolveMcpServers } from "../../../../../core/tools/mcp/_servers.ts";
import { McpToolset } from "../../../../../core/tools/mcp/toolset.ts";
import { ToolRegistry } from "../../../../../core/tools/registry.ts";
import { bwrapMcpWrapper, type McpWrapper } from "../../../../../core/tools/sandbox/mod.ts";
import { testContext } from "../_context.ts";

const SERVER = new URL("../../../../fakes/mcp_stdio_server.py", import.meta.url).pathname;
const LINUX = Deno.build.os === "linux";
const NO_GRANTS: McpGrants = { read: [], write: [], network: false, env: {} };

interface Fixture extends AsyncDisposable {
  readonly wrapper: McpWrapper;
  /** A scratch folder (0755), never granted as a whole. */
  readonly dir: string;
  /** The server's script in `dir` (0644: as root the sandbox reads it as uid 65534). */
  readonly script: string;
  /** `dir/bin` (0755), holding `py-mcp`, a shell script that runs the server. */
  readonly bin: string;
  /** Loads one server `name` with `settings`: its tools, or its failure. */
  load(name: string, settings: Partial<McpServerOptions>): Promise<ToolRegistry | string>;
}

async function fixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-mcp-start-" });
  await Deno.chmod(dir, 0o755);
  const script = `${dir}/server.py`;
  await Deno.copyFile(SERVER, script);
  await Deno.chmod(script, 0o644);
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { mode: 0o755 });
  await Deno.writeTextFile(`${bin}/py-mcp`, `#!/bin/sh\nexec python3 ${script}\n`);
  await Deno.chmod(`${bin}/py-mcp`, 0o755);
  const wrapper = await bwrapMcpWrapper({ stateDir: `${dir}/state` });
  const toolsets: McpToolset[] = [];
  return {
    wrapper,
    dir,
    script,
    bin,
    async load(name, settings) {
      const [config] = resolveMcpServers({
        [name]: { transport: "stdio", tier: 0, ...settings } as McpServerOptions,
      });
      const toolset = new McpToolset([config!], { wrapCommand: wrapper });
      toolsets.push(toolset);
      const { tools, failures } = await toolset.load();
      return failures[0]?.message ?? new ToolRegistry().register(...tools);
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(toolsets.map((t) => t.close()));
      await Deno.remove(dir, { recursive: true });
    },
  };
}

async function whoami(loaded: ToolRegistry | string): Promise<Record<string, unknown>> {
  assert.ok(loaded instanceof ToolRegistry, String(loaded));
  const name = loaded.names().find((n) => n.endsWith("__whoami"))!;
  return JSON.parse((await loaded.run(name, "{}", testContext())).content);
}

Deno.test({
  name: "sandboxed stdio: a bare command name runs what the sandbox's PATH finds",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const facts = await whoami(
      await fx.load("py", { command: "python3", args: [fx.script], read: [fx.script] }),
    );
    assert.equal(facts.hostname, "sandbox");
    // The server's env may set PATH: a granted folder on it is searched too.
    const onPath = await fx.load("mine", {
      command: "py-mcp",
      read: [fx.bin, fx.script],
      env: { PATH: `${fx.bin}:/usr/bin:/bin` },
    });
    assert.equal((await whoami(onPath)).hostname, "sandbox");
  },
});

Deno.test({
  name: "sandboxed stdio: a command the sandbox does not have fails with a line that says so",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    // On the host's PATH it is not looked for: there the folder is not granted.
    assert.equal(
      await fx.load("mine", { command: "py-mcp", read: [fx.script] }),
      'Cannot start MCP server "mine": the command "py-mcp" is not found inside the sandbox, ' +
        "on its PATH /usr/local/bin:/usr/bin:/bin: give the command's absolute path (it is then " +
        'made visible read-only) and grant in "read" what it needs',
    );
    assert.equal(
      await fx.load("gone", { command: `${fx.dir}/no-such-server` }),
      `Cannot run the MCP server in the sandbox: the command "${fx.dir}/no-such-server" is not ` +
        "found on the host",
    );
    await Deno.writeTextFile(`${fx.bin}/odd`, "#!/opt/kafclaw-no-such/python\n", { mode: 0o755 });
    assert.equal(
      await fx.load("odd", { command: `${fx.bin}/odd` }),
      `Cannot start MCP server "odd": the command "${fx.bin}/odd" cannot start inside the ` +
        'sandbox: the interpreter its first line names is not there (grant its folder in "read")',
    );
  },
});

Deno.test({
  name: "sandboxed stdio: an absolute command is bound read-only at its real path and runs",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    await Deno.symlink(`${fx.bin}/py-mcp`, `${fx.dir}/linked-mcp`);
    const loaded = await fx.load("abs", { command: `${fx.dir}/linked-mcp`, read: [fx.script] });
    assert.equal((await whoami(loaded)).hostname, "sandbox");
  },
});

Deno.test({
  name: "sandboxed stdio: canStart says whether a server would start, without starting it",
  ignore: !LINUX,
  async fn() {
    await using fx = await fixture();
    const can = (command: string, grants: Partial<McpGrants> = {}) =>
      fx.wrapper.canStart(command, { ...NO_GRANTS, ...grants });
    assert.equal(await can("python3", { read: [fx.script] }), undefined);
    assert.equal(await can(`${fx.bin}/py-mcp`), undefined);
    assert.equal(await can("py-mcp", { read: [fx.bin], env: { PATH: fx.bin } }), undefined);
    assert.match((await can("py-mcp"))!, /^the command "py-mcp" is not found inside the sandbox/);
    await Deno.writeTextFile(`${fx.bin}/plain`, "not a program\n", { mode: 0o644 });
    assert.equal(
      await can(`${fx.bin}/plain`),
      `the sandbox cannot run the command "${fx.bin}/plain": it is not executable by the ` +
        "sandbox's uid",
    );
    assert.equal(
      await can("python3", { read: [`${fx.dir}/missing`] }),
      `bubblewrap cannot set up the sandbox: Can't find source path ${fx.dir}/missing: No such ` +
        "file or directory",
    );
    assert.match((await can("python3", { read: ["relative"] }))!, /"relative" is not an absolute/);
    assert.deepEqual([...Deno.readDirSync(fx.dir)].map((e) => e.name).sort(), [
      "bin",
      "server.py",
      "state",
    ]);
  },
});

/**
 * A user's stdio MCP server from the CLI, through the launcher (scripts/kafclaw) and its narrowed
 * permissions: a Python server (tests/fakes/mcp_stdio_server.py) configured in mcp.json as users
 * write it, run under bubblewrap by its bare command name or on the host when marked
 * `unsandboxed`; a command that is not there gets one clear line, and `doctor` says which server
 * would start without starting any.
 */
import assert from "node:assert/strict";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai_server.ts";
import { type CliResult, kafclaw, tempHome } from "../_support/cli.ts";

const SERVER = new URL("../fakes/mcp_stdio_server.py", import.meta.url).pathname;
const LINUX = Deno.build.os === "linux";

/**
 * A KAFCLAW_HOME holding the server (0644: as root, the sandbox reads it as uid 65534) and an
 * mcp.json whose servers are `servers(script)`.
 */
async function homeWith(servers: (script: string) => Record<string, unknown>) {
  const home = await tempHome();
  const script = `${home.path}/tools/server.py`;
  await Deno.mkdir(`${home.path}/tools`, { mode: 0o700 });
  await Deno.copyFile(SERVER, script);
  await Deno.chmod(script, 0o644);
  const mcp = { mcpServers: servers(script) };
  await Deno.writeTextFile(`${home.path}/mcp.json`, JSON.stringify(mcp), { mode: 0o600 });
  return home;
}

/** `kafclaw agent -m` in `home` against the fake LLM. */
function agent(home: string, llm: FakeOpenAI, message: string): Promise<CliResult> {
  return kafclaw(["agent", "-m", message], {
    KAFCLAW_HOME: home,
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
  });
}

/** The tool results the LLM received in the last request, by call id. */
function toolResults(llm: FakeOpenAI): Record<string, string> {
  const body = llm.chatRequests().at(-1)!.body as {
    messages: { role: string; tool_call_id?: string; content: string }[];
  };
  return Object.fromEntries(
    body.messages.filter((m) => m.role === "tool").map((m) => [m.tool_call_id, m.content]),
  );
}

/** One turn that calls `calls` (name -> arguments), then an answer. */
function callsThenAnswer(calls: Record<string, Record<string, unknown>>) {
  const toolCalls = Object.entries(calls).map(([name, args], i) => ({
    id: `c${i}`,
    name,
    arguments: args,
  }));
  return { chat: [{ toolCalls }, { text: "done" }] };
}

Deno.test({
  name: "kafclaw agent runs a Python stdio MCP server by its bare name under bubblewrap",
  ignore: !LINUX,
  async fn() {
    // Tier 0: both calls run in one turn, though the first one's result taints it.
    await using home = await homeWith((script) => ({
      py: { command: "python3", args: [script], read: [script], tier: 0 },
    }));
    await using llm = await startFakeOpenAI(
      callsThenAnswer({ py__shout: { text: "hello" }, py__whoami: {} }),
    );
    const r = await agent(home.path, llm, "shout hello");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "done");
    assert.doesNotMatch(r.stderr, /kafclaw: MCP/);
    const results = toolResults(llm);
    assert.equal(results.c0, "PY-MCP: HELLO");
    // Inside the sandbox: its own hostname and uid, and /tmp to start in.
    assert.deepEqual(JSON.parse(results.c1!), { cwd: "/tmp", hostname: "sandbox", uid: 65534 });
  },
});

Deno.test({
  name: "kafclaw agent runs an unsandboxed stdio MCP server on the host, bare name or path",
  ignore: !LINUX,
  async fn() {
    const python = await hostPython();
    await using home = await homeWith((script) => ({
      host: { command: "python3", args: [script], unsandboxed: true, tier: 0 },
      abs: { command: python, args: [script], unsandboxed: true, cwd: "/", tier: 0 },
    }));
    await using llm = await startFakeOpenAI(
      callsThenAnswer({ host__shout: { text: "on the host" }, abs__whoami: {} }),
    );
    const r = await agent(home.path, llm, "who are you");
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /kafclaw: MCP/);
    const results = toolResults(llm);
    assert.equal(results.c0, "PY-MCP: ON THE HOST");
    assert.deepEqual(JSON.parse(results.c1!), {
      cwd: "/",
      hostname: Deno.hostname(),
      uid: Deno.uid(),
    });
  },
});

/** The first python3 on this PATH, as a path (the unsandboxed server's command by path). */
async function hostPython(): Promise<string> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    const path = `${dir}/python3`;
    if (await Deno.stat(path).then((s) => s.isFile, () => false)) return path;
  }
  throw new Error("python3 is not on PATH");
}

Deno.test({
  name:
    "a stdio MCP server whose command is not there gets one clear line; the agent still answers",
  ignore: !LINUX,
  async fn() {
    await using home = await homeWith(() => ({
      inside: { command: "kafclaw-no-such-server" },
      outside: { command: "kafclaw-no-such-server", unsandboxed: true },
    }));
    await using llm = await startFakeOpenAI({ chat: [{ text: "still here" }] });
    const r = await agent(home.path, llm, "hi");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "still here");
    assert.deepEqual(r.stderr.trim().split("\n").sort(), [
      'kafclaw: MCP server inside: Cannot start MCP server "inside": the command ' +
      '"kafclaw-no-such-server" is not found inside the sandbox, on its PATH ' +
      "/usr/local/bin:/usr/bin:/bin: give the command's absolute path (it is then made " +
      'visible read-only) and grant in "read" what it needs',
      'kafclaw: MCP server outside: Cannot start MCP server "outside": the command ' +
      '"kafclaw-no-such-server" is not found on PATH',
    ]);
  },
});

Deno.test({
  name: "kafclaw doctor says which stdio MCP server would start, sandboxed or not",
  ignore: !LINUX,
  async fn() {
    await using home = await homeWith((script) => ({
      py: { command: "python3", args: [script], read: [script] },
      blind: { command: "python3", args: [script], read: [`${script}.missing`] },
      nope: { command: "kafclaw-no-such-server" },
      host: { command: "python3", args: [script], unsandboxed: true },
      off: { command: "kafclaw-no-such-server", enabled: false },
    }));
    await using llm = await startFakeOpenAI({ fallback: "echo", embeddingDimension: 1536 });
    const before = [...Deno.readDirSync(home.path)].map((e) => e.name).sort();
    const r = await kafclaw(["doctor"], {
      KAFCLAW_HOME: home.path,
      OPENAI_API_KEY: "sk-test",
      OPENAI_BASE_URL: llm.url,
    });
    const lines = r.stdout.split("\n").filter((line) => /^\w+ +mcp /.test(line));
    assert.deepEqual(lines.map((line) => line.replace(/ +/g, " ")), [
      "ok mcp py: starts in the sandbox (bubblewrap): python3 is there, 1 read grant and 0 " +
      "write grants",
      "fail mcp blind: cannot start: bubblewrap cannot set up the sandbox: Can't find source " +
      `path ${home.path}/tools/server.py.missing: No such file or directory`,
      'fail mcp nope: cannot start: the command "kafclaw-no-such-server" is not found inside ' +
      "the sandbox, on its PATH /usr/local/bin:/usr/bin:/bin: give the command's absolute " +
      'path (it is then made visible read-only) and grant in "read" what it needs',
      "ok mcp host: unsandboxed: runs on the host with your access (python3 is looked up on " +
      "PATH)",
    ]);
    assert.match(r.stdout, /^ok +sandbox +bubblewrap /m);
    // Nothing was left of the checks' sandboxes.
    assert.deepEqual([...Deno.readDirSync(home.path)].map((e) => e.name).sort(), before);
  },
});

Deno.test("a malformed mcp.json stops kafclaw agent with a line that names the file", async () => {
  await using home = await tempHome();
  await Deno.writeTextFile(`${home.path}/mcp.json`, '{"mcpServers": {"py": {"command": ');
  await using llm = await startFakeOpenAI({ chat: [] });
  const r = await agent(home.path, llm, "hi");
  // A configuration problem: exit 2, one line with the file, line and column.
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr.trim(),
    `kafclaw: Cannot read ${home.path}/mcp.json:1:35: unexpected end of the file (the file is ` +
      "not valid JSON)",
  );
  assert.equal(llm.chatRequests().length, 0);
});

/**
 * doctor's lines for the stdio MCP servers of mcp.json (core/doctor/mcp.ts), with a wrapper that
 * stands for bubblewrap not working here; the real sandbox's answers are tested through the
 * launcher (tests/e2e/agent_mcp_test.ts).
 */
import assert from "node:assert/strict";
import { runDoctor } from "../../../../core/doctor/mod.ts";
import { SandboxError } from "../../../../core/tools/sandbox/mod.ts";
import { tempHome } from "../../../_support/cli.ts";
import { answeringLlm } from "./_llm.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });
const refused = () =>
  Promise.reject(
    new SandboxError("Cannot start bubblewrap: setting up uid map: Permission denied", {
      code: "unavailable",
    }),
  );

/** doctor's mcp lines for an mcp.json of `text`. */
async function mcpLines(text: string | undefined) {
  await using home = await tempHome();
  await using llm = await answeringLlm();
  if (text !== undefined) await Deno.writeTextFile(`${home.path}/mcp.json`, text);
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, ...llm.env },
    probe: working,
    mcpWrapper: refused,
  });
  return results.filter((r) => r.check === "mcp");
}

Deno.test("doctor has no mcp line without stdio servers", async () => {
  assert.deepEqual(await mcpLines(undefined), []);
  const http = { mcpServers: { docs: { url: "https://mcp.example.com/" } } };
  assert.deepEqual(await mcpLines(JSON.stringify(http)), []);
});

Deno.test("doctor says a sandboxed server cannot start where bubblewrap does not work, and what to do", async () => {
  const host = await Deno.makeTempFile({ prefix: "kafclaw-mcp-cmd-" });
  try {
    await Deno.chmod(host, 0o755);
    const servers = {
      py: { command: "python3" },
      off: { command: "python3", enabled: false },
      host: { command: host, unsandboxed: true },
      bare: { command: "uvx", unsandboxed: true },
      gone: { command: `${host}.missing`, unsandboxed: true },
    };
    assert.deepEqual(await mcpLines(JSON.stringify({ mcpServers: servers })), [
      {
        check: "mcp",
        status: "fail",
        detail: "py: cannot start: it runs only in the sandbox, and Cannot start bubblewrap: " +
          "setting up uid map: Permission denied",
        hint: 'make bubblewrap work (see sandbox), or set "unsandboxed": true for py in ' +
          "mcp.json to run it on the host, unconfined",
      },
      {
        check: "mcp",
        status: "ok",
        detail: `host: unsandboxed: runs on the host with your access (${host})`,
      },
      {
        check: "mcp",
        status: "ok",
        detail: "bare: unsandboxed: runs on the host with your access (uvx is looked up on PATH)",
      },
      {
        check: "mcp",
        status: "fail",
        detail: `gone: cannot start: ${host}.missing is not found`,
      },
    ]);
    await Deno.chmod(host, 0o644);
    const [line] = await mcpLines(JSON.stringify({ mcpServers: { host: servers.host } }));
    assert.equal(line?.detail, `host: cannot start: ${host} is not executable`);
  } finally {
    await Deno.remove(host);
  }
});

Deno.test("doctor fails an mcp.json that does not load, naming the file", async () => {
  const [line, ...rest] = await mcpLines('{"mcpServers": {"py": {"command": 7}}}');
  assert.deepEqual(rest, []);
  assert.equal(line?.status, "fail");
  assert.match(line!.detail, /^Cannot use .*\/mcp\.json: Invalid MCP server settings at "py\./);
});

import assert from "node:assert/strict";
import { grantsOf } from "../../../../../core/tools/mcp/config.ts";
import { resolveMcpServers } from "../../../../../core/tools/mcp/_servers.ts";
import { mcpToolName } from "../../../../../core/tools/mcp/names.ts";
import { resultText } from "../../../../../core/tools/mcp/toolset.ts";

Deno.test("resolveMcpServers fills in the defaults: enabled, tier 2, untrusted, sandboxed", () => {
  const [stdio, http] = resolveMcpServers({
    files: { transport: "stdio", command: "mcp-files" },
    docs: { transport: "http", url: "https://mcp.example.com/mcp" },
  });
  assert.deepEqual(stdio, {
    name: "files",
    transport: "stdio",
    command: "mcp-files",
    args: [],
    env: {},
    read: [],
    write: [],
    network: false,
    unsandboxed: false,
    enabled: true,
    tier: 2,
    toolTiers: {},
    trusted: false,
    timeoutMs: 60000,
  });
  assert.deepEqual(http, {
    name: "docs",
    transport: "http",
    url: "https://mcp.example.com/mcp",
    headers: {},
    enabled: true,
    tier: 2,
    toolTiers: {},
    trusted: false,
    timeoutMs: 60000,
  });
  assert.deepEqual(grantsOf(stdio as Extract<typeof stdio, { transport: "stdio" }>), {
    read: [],
    write: [],
    network: false,
    env: {},
  });
});

Deno.test("resolveMcpServers names the server and key that are wrong", () => {
  assert.throws(
    () => resolveMcpServers({ "bad name": { transport: "http", url: "https://x" } }),
    /Invalid MCP server settings at "bad name"/,
  );
  assert.throws(
    () => resolveMcpServers({ a: { transport: "http", url: "ftp://x" } }),
    /Invalid MCP server settings at "a.url"/,
  );
  assert.throws(
    () => resolveMcpServers({ a: { transport: "stdio", command: "x", tier: 3 as 2 } }),
    /at "a.tier"/,
  );
  assert.throws(
    () => resolveMcpServers({ a: { transport: "stdio", command: "x", shell: true } as never }),
    /at "a": Unrecognized key: "shell"/,
  );
});

Deno.test("mcpToolName makes valid function names and keeps long names apart", () => {
  assert.equal(mcpToolName("github", "search_issues"), "github__search_issues");
  assert.equal(mcpToolName("fs", "read.file/v2 ü"), "fs__read_file_v2__");
  const long1 = mcpToolName("server", "a".repeat(80) + "1");
  const long2 = mcpToolName("server", "a".repeat(80) + "2");
  assert.equal(long1.length, 64);
  assert.notEqual(long1, long2);
  for (const name of [long1, long2, mcpToolName("s", "x y")]) {
    assert.match(name, /^[a-zA-Z0-9_-]{1,64}$/);
  }
});

Deno.test("resultText joins text parts, names the others and falls back to structured content", () => {
  assert.equal(resultText({ content: [] }), "(no content)");
  assert.equal(resultText({ content: [], structuredContent: { a: 1 } }), '{"a":1}');
  assert.equal(
    resultText({
      content: [
        { type: "audio", data: "", mimeType: "audio/wav" },
        {
          type: "resource",
          resource: { uri: "file:///b", blob: "AA==", mimeType: "application/pdf" },
        },
      ],
    }),
    "[audio: audio/wav]\n[resource file:///b (application/pdf)]",
  );
});

Deno.test("servers written as other MCP clients write them get their transport from command, url or type", () => {
  const servers = resolveMcpServers({
    files: { command: "mcp-files", args: ["--root", "/data"] },
    docs: { url: "https://mcp.example.com/mcp" },
    typed: { type: "streamable-http", url: "https://mcp.example.com/other" },
    local: { type: "stdio", command: "mcp-local" },
  } as never);
  assert.deepEqual(servers.map((s) => [s.name, s.transport]), [
    ["files", "stdio"],
    ["docs", "http"],
    ["typed", "http"],
    ["local", "stdio"],
  ]);
  assert.throws(
    () => resolveMcpServers({ old: { type: "sse", url: "https://x.example/sse" } } as never),
    /Invalid MCP server settings at "old/,
  );
  assert.throws(() => resolveMcpServers({ none: {} } as never), /at "none/);
  assert.throws(() => resolveMcpServers({ odd: "x" } as never), /at "odd/);
});

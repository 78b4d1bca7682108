/** `<home>/mcp.json` as the agent reads it: no file or an empty one lists no server; a bad one is a ConfigError. */
import assert from "node:assert/strict";
import { ConfigError } from "../../../../../core/config/mod.ts";
import { readMcpConfig } from "../../../../../core/tools/mcp/mod.ts";

async function withMcpJson(text: string | undefined, fn: (home: string) => Promise<void>) {
  const home = await Deno.makeTempDir({ prefix: "kafclaw-mcp-json-" });
  try {
    if (text !== undefined) await Deno.writeTextFile(`${home}/mcp.json`, text);
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("no mcp.json, an empty one, or one without mcpServers lists no server", async () => {
  for (const text of [undefined, "", " \n", "{}"]) {
    await withMcpJson(text, async (home) => assert.deepEqual(await readMcpConfig(home), []));
  }
});

Deno.test("an mcp.json that is not JSON, or whose servers are not an object, is a ConfigError naming the file", async () => {
  const cases: [string, (home: string) => string][] = [
    [
      '{\n  "mcpServers": {,',
      (home) =>
        `Cannot read ${home}/mcp.json:2:18: expected a property name in double quotes (the file is not valid JSON)`,
    ],
    [
      '{"mcpServers": []}',
      (home) => `Cannot read ${home}/mcp.json: "mcpServers" must be an object`,
    ],
  ];
  for (const [text, message] of cases) {
    await withMcpJson(text, async (home) => {
      await assert.rejects(() => readMcpConfig(home), (error: Error) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.message, message(home));
        return true;
      });
    });
  }
});

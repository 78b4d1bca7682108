import assert from "node:assert/strict";
import { resolveMcpServers } from "../../../../../core/tools/mcp/_servers.ts";
import { McpToolset } from "../../../../../core/tools/mcp/toolset.ts";
import { IDEMPOTENCY_META } from "../../../../../core/tools/mcp/mod.ts";
import { ToolRegistry } from "../../../../../core/tools/registry.ts";
import { serveFakeMcpHttp } from "../../../../fakes/mcp_server.ts";
import { testContext } from "../_context.ts";

function httpServer(url: string, extra: Record<string, unknown> = {}) {
  return resolveMcpServers({ remote: { transport: "http", url, ...extra } });
}

Deno.test("http: tools are listed, namespaced and tiered, and calls return results", async () => {
  await using server = serveFakeMcpHttp();
  await using toolset = new McpToolset(httpServer(server.url, { toolTiers: { echo: 0 } }));
  const { tools, failures } = await toolset.load();
  assert.deepEqual(failures, []);
  assert.ok(tools.some((t) => t.name === "remote__search_web"));
  assert.ok(!tools.some((t) => t.name === "remote__crash"), "crash is offered over stdio only");
  const registry = new ToolRegistry().register(...tools);
  assert.equal(registry.tierOf("remote__echo"), 0);
  assert.equal(registry.tierOf("remote__add"), 2);
  // Results and errors alike are from outside: the guard taints the turn that reads them.
  assert.equal(registry.outputOf("remote__add"), "outside");
  const ctx = testContext();
  assert.deepEqual(await registry.run("remote__add", '{"a":40,"b":2}', ctx), {
    content: "42",
  });
  assert.deepEqual(await registry.run("remote__fail", "{}", ctx), {
    content: "it went wrong",
    isError: true,
  });
  assert.equal((await registry.run("remote__throws", "{}", ctx)).isError, true);
});

Deno.test("http: a call carries the turn's idempotency key in its _meta, and none without one", async () => {
  await using server = serveFakeMcpHttp();
  await using toolset = new McpToolset(httpServer(server.url));
  const registry = new ToolRegistry().register(...(await toolset.load()).tools);
  const keyed = { ...testContext(), idempotencyKey: "t1#2" };
  assert.equal((await registry.run("remote__echo", '{"text":"a"}', keyed)).content, "a");
  assert.equal((await registry.run("remote__echo", '{"text":"b"}', testContext())).content, "b");
  assert.deepEqual(server.calls.map((c) => [c.arguments, c._meta]), [
    [{ text: "a" }, { [IDEMPOTENCY_META]: "t1#2" }],
    [{ text: "b" }, undefined],
  ]);
});

Deno.test("http: the configured headers are sent with every request", async () => {
  await using server = serveFakeMcpHttp();
  await using toolset = new McpToolset(
    httpServer(server.url, { headers: { authorization: "Bearer t0k" } }),
  );
  const registry = new ToolRegistry().register(...(await toolset.load()).tools);
  assert.equal((await registry.run("remote__echo", '{"text":"a"}', testContext())).content, "a");
  assert.ok(server.authorizations.length >= 3, `${server.authorizations.length} requests`);
  assert.deepEqual(new Set(server.authorizations), new Set(["Bearer t0k"]));
});

Deno.test("http: a server that lost its session gives an error, then the next call reconnects", async () => {
  await using server = serveFakeMcpHttp();
  await using toolset = new McpToolset(httpServer(server.url));
  const registry = new ToolRegistry().register(...(await toolset.load()).tools);
  assert.equal((await registry.run("remote__echo", '{"text":"a"}', testContext())).content, "a");
  await server.restart();
  const lost = await registry.run("remote__echo", '{"text":"b"}', testContext());
  assert.equal(lost.isError, true);
  assert.match(
    lost.content,
    /^MCP server "remote" failed on echo: .*the next call starts it again$/,
  );
  assert.equal((await registry.run("remote__echo", '{"text":"c"}', testContext())).content, "c");
  assert.equal(toolset.connections[0]?.connects, 2);
  assert.equal(server.methods.filter((m) => m === "initialize").length, 2);
});

Deno.test("http: a server that is down is reported when loading", async () => {
  const closed = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(),
  );
  const port = closed.addr.port;
  await closed.shutdown();
  await using toolset = new McpToolset(
    httpServer(`http://127.0.0.1:${port}/mcp`, { timeoutMs: 2000 }),
  );
  const { tools, failures } = await toolset.load();
  assert.deepEqual(tools, []);
  assert.match(failures[0]?.message ?? "", /^Cannot connect to MCP server "remote": /);
});

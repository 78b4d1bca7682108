/**
 * A fake MCP server for tool tests, built on the SDK's McpServer. Run it over stdio with
 * `deno run -A tests/fakes/mcp_server.ts`, or serve it over streamable HTTP in-process with
 * {@link serveFakeMcpHttp} (127.0.0.1, port 0), which keeps what each tool call sent.
 *
 * Tools: echo, add, fail (an isError result), throws (a handler that throws), mixed (text, image
 * and resource parts), search.web (a name to be sanitised), env (reads FAKE_MCP_VALUE), slow, and
 * over stdio only crash (the process exits mid-call).
 */
import process from "node:process";
import { z } from "zod";
// The SDK's "./*" export maps types to "*.js.d.ts", which do not exist: name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/** A fresh fake server; `crash` is offered only where exiting is harmless (its own process). */
export function createFakeMcpServer(options: { crash?: boolean } = {}): McpServer {
  const server = new McpServer({ name: "fake", version: "1.0.0" });
  server.registerTool("echo", {
    description: "Echo the text",
    inputSchema: { text: z.string() },
  }, ({ text: value }) => text(value));
  server.registerTool("add", {
    description: "Add two numbers",
    inputSchema: { a: z.number(), b: z.number() },
  }, ({ a, b }) => text(String(a + b)));
  server.registerTool("fail", { description: "Fails politely" }, () => ({
    content: [{ type: "text" as const, text: "it went wrong" }],
    isError: true,
  }));
  server.registerTool("throws", { description: "Throws" }, () => {
    throw new Error("handler exploded");
  });
  server.registerTool("mixed", { description: "Several content parts" }, () => ({
    content: [
      { type: "text" as const, text: "first" },
      { type: "image" as const, data: "aGVsbG8=", mimeType: "image/png" },
      { type: "resource" as const, resource: { uri: "file:///a.txt", text: "inside" } },
      { type: "resource_link" as const, uri: "https://example.com/x", name: "x" },
      { type: "text" as const, text: "last" },
    ],
  }));
  server.registerTool("search.web", {
    description: "A dotted name",
    inputSchema: { q: z.string() },
  }, ({ q }) => text(`results for ${q}`));
  server.registerTool(
    "env",
    { description: "Reads FAKE_MCP_VALUE" },
    () => text(Deno.env.get("FAKE_MCP_VALUE") ?? "(unset)"),
  );
  server.registerTool("slow", {
    description: "Answers after ms milliseconds",
    inputSchema: { ms: z.number() },
  }, async ({ ms }) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return text("slept");
  });
  if (options.crash) {
    server.registerTool("crash", { description: "Exits the process" }, () => {
      Deno.exit(3);
    });
  }
  return server;
}

/** A fake MCP server over streamable HTTP. `restart()` forgets every session, as a crash would. */
export interface FakeMcpHttp extends AsyncDisposable {
  readonly url: string;
  /** Requests received, by JSON-RPC method. */
  readonly methods: string[];
  /** The params of each `tools/call` received (name, arguments, `_meta`), in order. */
  readonly calls: Record<string, unknown>[];
  /** The `authorization` header of every request received ("" when absent), in order. */
  readonly authorizations: string[];
  restart(): Promise<void>;
}

/** Serves {@link createFakeMcpServer} over streamable HTTP with sessions. */
export function serveFakeMcpHttp(): FakeMcpHttp {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();
  const methods: string[] = [];
  const calls: Record<string, unknown>[] = [];
  const authorizations: string[] = [];
  const closeAll = async () => {
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.all(open.map((t) => t.close()));
  };
  const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    authorizations.push(request.headers.get("authorization") ?? "");
    const id = request.headers.get("mcp-session-id");
    let body: unknown;
    if (request.method === "POST") {
      body = await request.json();
      const method = (body as { method?: unknown }).method;
      if (typeof method === "string") methods.push(method);
      if (method === "tools/call") calls.push((body as { params: Record<string, unknown> }).params);
    }
    let transport = id === null ? undefined : sessions.get(id);
    if (transport === undefined) {
      if (id !== null) return new Response("Session not found", { status: 404 });
      transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (sid) => void sessions.set(sid, transport!),
      });
      await createFakeMcpServer().connect(transport);
    }
    return transport.handleRequest(request, { parsedBody: body });
  });
  return {
    url: `http://127.0.0.1:${http.addr.port}/mcp`,
    methods,
    calls,
    authorizations,
    restart: closeAll,
    async [Symbol.asyncDispose]() {
      await closeAll();
      await http.shutdown();
    },
  };
}

if (import.meta.main) {
  console.error("fake mcp server started");
  await createFakeMcpServer({ crash: true }).connect(new StdioServerTransport());
  // Like most servers: stop when the client closes stdin, even with a call still running.
  process.stdin.on("end", () => Deno.exit(0));
}

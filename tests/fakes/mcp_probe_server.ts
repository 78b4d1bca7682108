/**
 * A fake MCP server that probes its own confinement, for the sandbox tests: run it over stdio
 * with `deno run -A tests/fakes/mcp_probe_server.ts`. Every tool answers with a text of what
 * happened (`ok: ...` or `error: <Deno error name>`), never an error result, so tests compare
 * outcomes.
 *
 * Tools: read_path (reads a file), write_path (writes a file), connect (opens TCP to a host and
 * port), env (the whole environment as JSON), whoami (uid and cwd). With PROBE_IGNORE_EOF set it
 * keeps running when its input ends, as a careless server would.
 */
import process from "node:process";
import { z } from "zod";
// The SDK's "./*" export maps types to "*.js.d.ts", which do not exist: name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const text = (value: string) => ({ content: [{ type: "text" as const, text: value }] });

/** `ok: <what>` when `act` succeeds, `error: <name>` when it throws. */
async function outcome(act: () => Promise<string>): Promise<ReturnType<typeof text>> {
  try {
    return text(`ok: ${await act()}`);
  } catch (error) {
    return text(`error: ${error instanceof Error ? error.name : String(error)}`);
  }
}

/** A fresh probe server. */
export function createProbeMcpServer(): McpServer {
  const server = new McpServer({ name: "probe", version: "1.0.0" });
  server.registerTool("read_path", {
    description: "Reads a file",
    inputSchema: { path: z.string() },
  }, ({ path }) => outcome(() => Deno.readTextFile(path)));
  server.registerTool(
    "write_path",
    {
      description: "Writes a file",
      inputSchema: { path: z.string(), text: z.string() },
    },
    ({ path, text: value }) => outcome(() => Deno.writeTextFile(path, value).then(() => "written")),
  );
  server.registerTool("connect", {
    description: "Opens a TCP connection",
    inputSchema: { hostname: z.string(), port: z.number() },
  }, ({ hostname, port }) =>
    outcome(async () => {
      const conn = await Deno.connect({ hostname, port });
      conn.close();
      return "connected";
    }));
  server.registerTool(
    "env",
    { description: "The whole environment" },
    () => text(JSON.stringify(Deno.env.toObject())),
  );
  server.registerTool(
    "whoami",
    { description: "uid and working folder" },
    () => text(JSON.stringify({ uid: Deno.uid(), cwd: Deno.cwd() })),
  );
  return server;
}

if (import.meta.main) {
  await createProbeMcpServer().connect(new StdioServerTransport());
  if (Deno.env.get("PROBE_IGNORE_EOF")) setInterval(() => {}, 60_000);
  else process.stdin.on("end", () => Deno.exit(0));
}

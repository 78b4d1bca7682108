/**
 * The doctor's look at the HTTP MCP servers of `mcp.json`: each is asked to `initialize` through
 * the agent's own MCP client (core/tools' McpConnection), within a bounded time, and closed
 * again, so a server that is down, refuses the headers or answers something else than MCP is a
 * failed check with the fix. The URL is shown without credentials or query; headers never are.
 *
 * @module
 */
import { chainMessages } from "../errors/mod.ts";
import { loadMcpClient, type McpHttpConfig } from "../tools/mcp/mod.ts";
import type { CheckResult } from "./mod.ts";

/** How long an HTTP MCP server has to answer `initialize`. */
export const MCP_HTTP_TIMEOUT_MS = 10_000;

class TimedOut extends Error {}

/** The URL as doctor shows it: no user, password, query or fragment. */
export function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** Why connecting failed, in a few words: the innermost cause of a failed fetch, or the SDK's. */
function reasonOf(error: unknown): string {
  const text = chainMessages(error).join(" ");
  if (/connection refused/i.test(text)) return "connection refused";
  if (/dns error|failed to lookup|name or service not known|no such host/i.test(text)) {
    return "DNS lookup failed (no such host)";
  }
  return (error as Error).message.replace(/^Cannot connect to MCP server "[^"]*": /, "")
    .replace(/https?:\/\/[^\s)]+/g, "<url>");
}

/**
 * One line for an HTTP server: does it answer `initialize` within its own `timeoutMs` of
 * mcp.json, and at most `limitMs`.
 */
export async function mcpHttpCheck(
  server: McpHttpConfig,
  limitMs = MCP_HTTP_TIMEOUT_MS,
): Promise<CheckResult> {
  const url = shownUrl(server.url);
  const timeoutMs = Math.min(server.timeoutMs, limitMs);
  const { McpConnection } = await loadMcpClient();
  const connection = new McpConnection({ ...server, timeoutMs });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const client = await Promise.race([
      connection.client(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimedOut()), timeoutMs);
      }),
    ]);
    const info = client.getServerVersion();
    const who = info === undefined ? "" : ` (${info.name} ${info.version})`;
    return { check: "mcp", status: "ok", detail: `${server.name}: answers at ${url}${who}` };
  } catch (error) {
    const why = error instanceof TimedOut
      ? `no answer to initialize within ${timeoutMs / 1000} s`
      : reasonOf(error);
    return {
      check: "mcp",
      status: "fail",
      detail: `${server.name}: ${url} does not answer as an MCP server: ${why}`,
      hint: `check that the server runs and its url and headers in mcp.json, or set ` +
        `"enabled": false for ${server.name} there`,
    };
  } finally {
    clearTimeout(timer);
    await connection.close();
  }
}

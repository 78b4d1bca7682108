/**
 * Tools from MCP servers (stdio and streamable HTTP). This door holds what reading `mcp.json`
 * needs, the names of the tools, and the client's types; the client itself (the SDK, the
 * connections, the toolset) loads through {@link loadMcpClient} where a server is used, so an
 * agent without servers loads none of it. bubblewrap's wrapper of stdio servers is the
 * sandbox's (`core/tools/sandbox`).
 *
 * @module
 */
export {
  type CommandLine,
  grantsOf,
  type McpGrants,
  type McpHttpConfig,
  type McpServerConfig,
  type McpServerOptions,
  type McpStdioConfig,
  readMcpConfig,
  type WrapCommand,
} from "./config.ts";
export type { McpConnection, McpConnectionOptions, McpToolInfo } from "./connection.ts";
export { IDEMPOTENCY_META, mcpToolName } from "./names.ts";
export type { McpFailure, McpToolset, McpToolsetOptions } from "./toolset.ts";

/** The MCP client (`McpConnection`, `McpToolset`), imported when first asked for. */
export function loadMcpClient(): Promise<typeof import("./client.ts")> {
  return import("./client.ts");
}

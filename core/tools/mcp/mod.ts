/**
 * Tools from MCP servers (stdio and streamable HTTP) through @modelcontextprotocol/sdk, with
 * bubblewrap's wrapper of stdio servers. Imported where a server is used: the tools' door
 * (../mod.ts) holds only what reading `mcp.json` needs, so an agent without servers loads none of
 * this.
 *
 * @module
 */
export {
  type CommandLine,
  grantsOf,
  MCP_SERVER_SCHEMA,
  MCP_SERVERS_SCHEMA,
  type McpGrants,
  type McpHttpConfig,
  type McpServerConfig,
  type McpServerOptions,
  type McpStdioConfig,
  readMcpConfig,
  resolveMcpServers,
  type WrapCommand,
} from "./config.ts";
export {
  IDEMPOTENCY_META,
  McpConnection,
  type McpConnectionOptions,
  type McpToolInfo,
} from "./connection.ts";
export { mcpToolName } from "./names.ts";
export {
  type McpFailure,
  McpToolset,
  type McpToolsetOptions,
  resultText,
  withoutProse,
} from "./toolset.ts";
export {
  bwrapMcpWrapper,
  type McpServerLimits,
  type McpWrapOptions,
  type McpWrapper,
} from "../sandbox/mcp_wrap.ts";

/**
 * The MCP client itself: connections to servers (stdio and streamable HTTP, through
 * @modelcontextprotocol/sdk) and the toolset that turns their tools into the agent's. Entered
 * through `loadMcpClient()` of ./mod.ts, where a server is used, so an agent without servers loads
 * none of it.
 *
 * @module
 */
export { McpConnection } from "./connection.ts";
export { McpToolset, resultText, withoutProse } from "./toolset.ts";

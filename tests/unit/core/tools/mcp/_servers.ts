/** Settings for the fake MCP server (tests/fakes/mcp_server.ts) over stdio. */
import {
  type McpServerOptions,
  resolveMcpServers,
} from "../../../../../core/tools/mcp/_servers.ts";
import type { McpServerConfig } from "../../../../../core/tools/mcp/config.ts";

/** The fake server's file. */
export const FAKE_SERVER = new URL("../../../../fakes/mcp_server.ts", import.meta.url).pathname;

/** Arguments that start the fake server with this Deno. */
export const FAKE_ARGS = ["run", "-A", "--no-check", FAKE_SERVER];

/** A stdio server running the fake, with extra settings. */
export function fakeStdio(extra: Partial<McpServerOptions> = {}, name = "fake"): McpServerConfig {
  const options = { transport: "stdio", command: Deno.execPath(), args: FAKE_ARGS, ...extra };
  const [config] = resolveMcpServers({ [name]: options as McpServerOptions });
  return config!;
}

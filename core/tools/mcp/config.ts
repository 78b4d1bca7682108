/**
 * Configuration of MCP servers: `mcp.json` read, and what a sandboxed server is granted. Their
 * settings' schema (`_servers.ts`, the proposed shape of a `tools.mcp.servers` config key) is
 * loaded the first time a server is resolved: an agent without MCP servers (most) never loads it.
 *
 * @module
 */
import type { McpServerConfig, McpServerOptions, McpStdioConfig } from "./_servers.ts";
import { ConfigError, parseJsonFile } from "../../config/mod.ts";

/** What a sandboxed stdio MCP server is granted; nothing else of the host is visible to it. */
export interface McpGrants {
  /** Host paths bound read-only (the server's own code and runtime, for example). */
  readonly read: readonly string[];
  /** Host paths bound read-write. */
  readonly write: readonly string[];
  /**
   * May reach the network. Under bubblewrap this shares the host's network namespace, loopback
   * included (the gateway, a local broker), so it is the owner's explicit grant, off by default.
   */
  readonly network: boolean;
  /** The whole environment inside the sandbox. */
  readonly env: Readonly<Record<string, string>>;
  /** Working folder inside the sandbox. */
  readonly cwd?: string;
}

/** A command line: what {@link WrapCommand} returns. */
export interface CommandLine {
  readonly command: string;
  readonly args: readonly string[];
  /**
   * Why the server did not start, in a sentence, when what the wrapper itself wrote to stderr
   * says so (a command not found inside, a sandbox that could not be set up); undefined when
   * the server started and failed on its own.
   */
  readonly startFailure?: (stderr: string) => string | undefined;
}

/**
 * Wraps a stdio MCP server's command so that it runs confined (bubblewrap), with `grants` only.
 * Supplied by the sandbox; without one, stdio servers are refused. Servers marked `unsandboxed`
 * are never wrapped.
 */
export type WrapCommand = (
  command: string,
  args: readonly string[],
  grants: McpGrants,
) => CommandLine;

export type {
  McpHttpConfig,
  McpServerConfig,
  McpServerOptions,
  McpStdioConfig,
} from "./_servers.ts";

/**
 * The servers of `<home>/mcp.json` (`{"mcpServers": {...}}`, as other MCP clients write it),
 * resolved; none when the file does not exist or is empty. A ConfigError names the file and what is
 * wrong in it (for JSON that does not parse, the line and column).
 */
export async function readMcpConfig(home: string): Promise<McpServerConfig[]> {
  const file = `${home}/mcp.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const parsed = text.trim() === "" ? {} : parseJsonFile(file, text, "Cannot read ").value;
  const servers = (parsed as { mcpServers?: unknown })?.mcpServers;
  if (servers === undefined) return [];
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw new ConfigError(`Cannot read ${file}: "mcpServers" must be an object`);
  }
  const { resolveMcpServers } = await import("./_servers.ts");
  try {
    return resolveMcpServers(servers as Record<string, McpServerOptions>);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new ConfigError(`Cannot use ${file}: ${error.message}`);
  }
}

/** The grants of a stdio server, from its settings. */
export function grantsOf(config: McpStdioConfig): McpGrants {
  return {
    read: config.read,
    write: config.write,
    network: config.network,
    env: config.env,
    ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
  };
}

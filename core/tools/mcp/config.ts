/**
 * Configuration of MCP servers, as the caller passes it (until `tools.mcp.servers` is in the
 * config schema, for which {@link mcpServersSchema} is the proposed shape), resolved once into
 * a fully filled form the rest of the code trusts. The schemas are built the first time a server
 * is resolved: an agent without MCP servers (most) never builds them.
 *
 * @module
 */
import { z } from "zod";
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

const SERVER_NAME = /^[a-zA-Z0-9-]{1,32}$/;

/** The schema of one server's settings, whose transport is named. */
function serverSchema() {
  const TIER = z.union([z.literal(0), z.literal(1), z.literal(2)]);
  const COMMON = {
    /** Offer this server's tools (default true). */
    enabled: z.boolean().default(true),
    /** Tier of every tool of the server (default 2: it acts outside). */
    tier: TIER.default(2),
    /** Tiers of single tools, by the server's own tool name. */
    toolTiers: z.record(z.string(), TIER).default({}),
    /** Offer only these tools (by the server's own names); absent: all. */
    allowTools: z.array(z.string()).optional(),
    /**
     * The server is the owner's own: its results and errors do not taint the turn, and its tools'
     * descriptions reach the model as the server wrote them (default false: withheld).
     */
    trusted: z.boolean().default(false),
    /** Time limit of one call, and of connecting. */
    timeoutMs: z.number().int().min(1000).max(3_600_000).default(60_000),
  };

  const STDIO = z.strictObject({
    transport: z.literal("stdio"),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
    /** Host paths the server may read, inside its sandbox. */
    read: z.array(z.string()).default([]),
    /** Host paths the server may write, inside its sandbox. */
    write: z.array(z.string()).default([]),
    network: z.boolean().default(false),
    /**
     * Run on the host, without a sandbox, with the agent's user's access to files, network and
     * processes: the owner's explicit choice for a server the sandbox cannot serve.
     */
    unsandboxed: z.boolean().default(false),
    ...COMMON,
  });

  const HTTP = z.strictObject({
    transport: z.literal("http"),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).default({}),
    ...COMMON,
  });
  return z.discriminatedUnion("transport", [STDIO, HTTP]);
}

const TYPE_ALIASES: Readonly<Record<string, "stdio" | "http">> = {
  stdio: "stdio",
  http: "http",
  "streamable-http": "http",
  streamableHttp: "http",
};

/**
 * Settings as other MCP clients write them: no `transport`, but `command` (stdio) or `url`
 * (streamable HTTP), or a `type` of `stdio`, `http` or `streamable-http`. Anything else is left
 * for the schema to refuse.
 */
function withTransport(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const { type, ...rest } = value as Record<string, unknown>;
  if ("transport" in rest) return value;
  const fromType = typeof type === "string" ? TYPE_ALIASES[type] : undefined;
  if (type !== undefined && fromType === undefined) return value;
  const transport = fromType ?? ("command" in rest ? "stdio" : "url" in rest ? "http" : undefined);
  return transport === undefined ? value : { transport, ...rest };
}

type ServerSchema = ReturnType<typeof serverSchema>;

function serversSchema() {
  return z.record(
    z.string().regex(SERVER_NAME, "1-32 letters, digits or '-'"),
    z.preprocess(withTransport, serverSchema()),
  ).default({});
}

let servers: ReturnType<typeof serversSchema> | undefined;

/**
 * The proposed `tools.mcp.servers` config key: server name -> settings (`transport` may be left
 * out, see {@link withTransport}). Built once, when first asked for.
 */
export function mcpServersSchema(): ReturnType<typeof serversSchema> {
  return servers ??= serversSchema();
}

/** Settings of one server, as written (with its transport named). */
export type McpServerOptions = z.input<ServerSchema>;
/** Settings of one server, every default filled in. */
export type McpServerConfig = z.output<ServerSchema> & { readonly name: string };
/** A stdio server's resolved settings. */
export type McpStdioConfig = Extract<McpServerConfig, { transport: "stdio" }>;
/** An HTTP server's resolved settings. */
export type McpHttpConfig = Extract<McpServerConfig, { transport: "http" }>;

/**
 * Resolves the servers' settings; a TypeError names the server and the key that is wrong.
 *
 * @example
 * ```ts
 * import { resolveMcpServers } from "./config.ts";
 * const [docs] = resolveMcpServers({ docs: { transport: "http", url: "https://mcp.example.com/" } });
 * console.assert(docs?.tier === 2 && docs.name === "docs");
 * ```
 */
export function resolveMcpServers(servers: Record<string, McpServerOptions>): McpServerConfig[] {
  const parsed = mcpServersSchema().safeParse(servers);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join(".") ?? "";
    throw new TypeError(
      `Invalid MCP server settings at "${where}": ${issue?.message ?? "invalid"}`,
    );
  }
  return Object.entries(parsed.data).map(([name, config]) => ({ ...config, name }));
}

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

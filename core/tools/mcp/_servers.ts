/**
 * The schema of MCP servers' settings (zod), and resolving them into the fully filled form the
 * rest of the code trusts. Loaded when a server is first resolved (config.ts `readMcpConfig`): an
 * agent without MCP servers (most) never loads it, nor zod.
 *
 * @module
 */
import { z } from "zod";

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
 * import { resolveMcpServers } from "./_servers.ts";
 * const servers = { docs: { transport: "http", url: "https://mcp.example.com/" } } as const;
 * const [docs] = resolveMcpServers(servers);
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

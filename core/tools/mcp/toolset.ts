/**
 * Tools from the configured MCP servers: each server's tools, named `<server>__<tool>`, with the
 * server's own input schema as parameters and the tier its settings give. A failing server is
 * reported, not fatal; a call that finds the server gone says so and the next call reconnects.
 *
 * @module
 */
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { toolError } from "../define.ts";
import type { Tool } from "../types.ts";
import type { McpServerConfig } from "./config.ts";
import { McpConnection, type McpConnectionOptions, type McpToolInfo } from "./connection.ts";
import { mcpToolName } from "./names.ts";

/** Options of an {@link McpToolset}. */
export type McpToolsetOptions = McpConnectionOptions;

/** A server that could not be used, and why. */
export interface McpFailure {
  readonly server: string;
  readonly message: string;
}

/**
 * Whether an error is the server's answer to a call (it is alive): no reconnection needed. The
 * SDK is loaded by then (a call went through it), so importing it here costs nothing.
 */
async function isAnswer(error: unknown): Promise<boolean> {
  // @ts-types="@modelcontextprotocol/sdk/types"
  const { ErrorCode, McpError } = await import("@modelcontextprotocol/sdk/types.js");
  const answers: readonly number[] = [
    ErrorCode.InvalidParams,
    ErrorCode.MethodNotFound,
    ErrorCode.InvalidRequest,
    ErrorCode.InternalError,
  ];
  return error instanceof McpError && answers.includes(error.code);
}

/** The text of a tool result: text parts joined, other parts named. */
export function resultText(result: CallToolResult): string {
  const parts = result.content.map((part) => {
    switch (part.type) {
      case "text":
        return part.text;
      case "image":
      case "audio":
        return `[${part.type}: ${part.mimeType}]`;
      case "resource":
        return "text" in part.resource
          ? part.resource.text
          : `[resource ${part.resource.uri}${
            part.resource.mimeType ? ` (${part.resource.mimeType})` : ""
          }]`;
      case "resource_link":
        return `[resource link: ${part.name} ${part.uri}]`;
      default:
        return "[unsupported content]";
    }
  });
  if (parts.length > 0) return parts.join("\n");
  if (result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return "(no content)";
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Makes the registry's Tool for one tool of one server. */
function toTool(connection: McpConnection, info: McpToolInfo): Tool {
  const config = connection.config;
  const summary = info.description ?? info.title ?? info.name;
  return {
    name: mcpToolName(config.name, info.name),
    description: `${summary} (tool "${info.name}" of MCP server "${config.name}")`,
    parameters: info.inputSchema,
    tier: config.toolTiers[info.name] ?? config.tier,
    async run(args, ctx) {
      let result: CallToolResult;
      try {
        result = await connection.callTool(info.name, { ...args }, ctx.signal);
      } catch (error) {
        if (ctx.signal.aborted) return toolError(`The call to ${info.name} was cancelled`);
        const answered = await isAnswer(error);
        if (!answered) await connection.reset();
        const next = answered ? "" : ". The connection was closed; the next call starts it again";
        return toolError(
          `MCP server "${config.name}" failed on ${info.name}: ${message(error)}` +
            `${connection.stderrNote()}${next}`,
        );
      }
      const content = resultText(result);
      return {
        content,
        ...(result.isError ? { isError: true } : {}),
        ...(config.trusted ? {} : { untrusted: true }),
      };
    },
  };
}

/** The MCP servers of one agent and their tools. */
export class McpToolset implements AsyncDisposable {
  readonly #connections: McpConnection[];

  /** Prepares the enabled servers; {@link load} connects them. */
  constructor(servers: readonly McpServerConfig[], options: McpToolsetOptions = {}) {
    this.#connections = servers.filter((s) => s.enabled).map((s) => new McpConnection(s, options));
  }

  /** The connections, by server, for status and tests. */
  get connections(): readonly McpConnection[] {
    return this.#connections;
  }

  /** Connects every server and lists its tools; a server that fails is reported in `failures`. */
  async load(): Promise<{ tools: Tool[]; failures: McpFailure[] }> {
    const tools: Tool[] = [];
    const failures: McpFailure[] = [];
    const listed = await Promise.all(this.#connections.map(async (connection) => {
      try {
        return { connection, infos: await connection.listTools() };
      } catch (error) {
        await connection.reset();
        failures.push({ server: connection.config.name, message: message(error) });
        return { connection, infos: [] };
      }
    }));
    const taken = new Set<string>();
    for (const { connection, infos } of listed) {
      const allow = connection.config.allowTools;
      for (const info of infos) {
        if (allow !== undefined && !allow.includes(info.name)) continue;
        const tool = toTool(connection, info);
        if (taken.has(tool.name)) {
          failures.push({
            server: connection.config.name,
            message: `Tool "${info.name}" is left out: its name ${tool.name} is taken`,
          });
          continue;
        }
        taken.add(tool.name);
        tools.push(tool);
      }
    }
    return { tools, failures };
  }

  /** Closes every connection (stopping stdio servers). */
  async close(): Promise<void> {
    await Promise.all(this.#connections.map((c) => c.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

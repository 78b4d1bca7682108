/**
 * One MCP server, connected on first use and again after it went away (a crashed process, a
 * restarted HTTP server). stdio servers are third-party code and start only through the
 * sandbox's {@link WrapCommand}, unless the owner marked them `unsandboxed`: those start
 * directly, on the host.
 *
 * @module
 */
// The SDK's "./*" export maps types to "*.js.d.ts", which do not exist: name the types explicitly.
// @ts-types="@modelcontextprotocol/sdk/client/index"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import type { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { CallToolResult, Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import { VERSION } from "../../version.ts";
import { IDEMPOTENCY_META } from "./names.ts";
import {
  type CommandLine,
  grantsOf,
  type McpServerConfig,
  type McpStdioConfig,
  type WrapCommand,
} from "./config.ts";

/** Options of an {@link McpConnection}. */
export interface McpConnectionOptions {
  /** Confines stdio servers (bubblewrap); supplied by the sandbox. */
  readonly wrapCommand?: WrapCommand;
}

/** A tool as the server describes it. */
export type McpToolInfo = McpTool;

const STDERR_TAIL = 2000;

/** A live or reconnectable link to one MCP server. */
export class McpConnection implements AsyncDisposable {
  readonly config: McpServerConfig;
  readonly #wrap: WrapCommand | undefined;
  #client: Client | undefined;
  #connecting: Promise<Client> | undefined;
  #stderr = "";
  /** Why the last command line did not start, from its stderr (see CommandLine). */
  #startFailure: CommandLine["startFailure"];
  /** How many times a client connected: 1 after the first use, more after reconnections. */
  connects = 0;

  /** Prepares a connection; nothing starts until the first use. */
  constructor(config: McpServerConfig, options: McpConnectionOptions = {}) {
    this.config = config;
    this.#wrap = options.wrapCommand;
  }

  /** The last lines the server wrote to stderr (stdio servers) as a note for error messages. */
  stderrNote(): string {
    const tail = this.#stderr.trim();
    return tail === "" ? "" : ` (stderr: ${tail.split("\n").slice(-5).join(" | ")})`;
  }

  /** The connected client, connecting (again) when there is none. */
  client(): Promise<Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  /** Every tool the server offers (all pages). */
  async listTools(): Promise<McpToolInfo[]> {
    const client = await this.client();
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
        timeout: this.config.timeoutMs,
      });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  /**
   * Calls a tool by the server's own name; the idempotency key of its side effect, when the turn
   * has one (a group task's `<task_id>#<attempt>`), goes in the request's `_meta` as
   * {@link IDEMPOTENCY_META}, so a server that acts outside can do it once per attempt.
   */
  async callTool(
    name: string,
    args: Record<string, unknown>,
    call: { readonly signal: AbortSignal; readonly idempotencyKey?: string | undefined },
  ) {
    const client = await this.client();
    const { signal, idempotencyKey } = call;
    const meta = idempotencyKey === undefined ? {} : {
      _meta: { [IDEMPOTENCY_META]: idempotencyKey },
    };
    return await client.callTool({ name, arguments: args, ...meta }, undefined, {
      signal,
      timeout: this.config.timeoutMs,
    }) as CallToolResult;
  }

  /** Drops the current client (closing it); the next use connects again. */
  async reset(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => {});
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.reset();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #connect(): Promise<Client> {
    // @ts-types="@modelcontextprotocol/sdk/client/index"
    const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
    const client = new Client({ name: "kafclaw", version: VERSION });
    client.onclose = () => {
      if (this.#client === client) this.#client = undefined;
    };
    const transport = this.config.transport === "stdio"
      ? await this.#stdioTransport(this.config)
      : await this.#httpTransport(this.config.url, this.config.headers);
    try {
      await client.connect(transport, { timeout: this.config.timeoutMs });
    } catch (error) {
      await client.close().catch(() => {});
      const why = this.#startFailure?.(this.#stderr) ?? this.#spawnFailure(error);
      if (why !== undefined) {
        throw new Error(`Cannot start MCP server "${this.config.name}": ${why}`);
      }
      const message = error instanceof Error ? error.message : String(error);
      const note = this.stderrNote();
      throw new Error(`Cannot connect to MCP server "${this.config.name}": ${message}${note}`, {
        cause: error,
      });
    }
    this.connects++;
    this.#client = client;
    return client;
  }

  /** The transport of a streamable HTTP server. */
  async #httpTransport(url: string, headers: Readonly<Record<string, string>>) {
    // @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
    const { StreamableHTTPClientTransport } = await import(
      "@modelcontextprotocol/sdk/client/streamableHttp.js"
    );
    return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  }

  /**
   * The transport of a stdio server. The SDK's stdio module is loaded here, on first use: it reads
   * the environment as it loads, which a process without env access (`kafclaw version`) must
   * never do, and most agents have no stdio server at all.
   */
  async #stdioTransport(config: McpStdioConfig): Promise<StdioClientTransport> {
    let line: CommandLine = config;
    let env: Record<string, string> = config.env;
    if (!config.unsandboxed) {
      if (!this.#wrap) {
        throw new Error(
          `MCP server "${config.name}" runs third-party code over stdio, so it runs only inside ` +
            `the sandbox (bubblewrap), which is not available here. Install bubblewrap, or set ` +
            `unsandboxed: true in this server's settings to run it on the host, unconfined`,
        );
      }
      line = this.#wrap(config.command, config.args, grantsOf(config));
      env = {}; // the sandbox sets the environment inside from the grants
    }
    this.#startFailure = line.startFailure;
    // @ts-types="@modelcontextprotocol/sdk/client/stdio"
    const { StdioClientTransport } = await import("@modelcontextprotocol/sdk/client/stdio.js");
    const transport = new StdioClientTransport({
      command: line.command,
      args: [...line.args],
      env,
      stderr: "pipe",
      ...(!config.unsandboxed || config.cwd === undefined ? {} : { cwd: config.cwd }),
    });
    this.#stderr = "";
    transport.stderr?.on("data", (chunk: Uint8Array | string) => {
      const text = typeof chunk === "string" ? chunk : new TextDecoder().decode(chunk);
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    return transport;
  }

  /** Why an unsandboxed server's command did not start, when Deno or the system said so. */
  #spawnFailure(error: unknown): string | undefined {
    if (this.config.transport !== "stdio" || !this.config.unsandboxed) return undefined;
    const command = JSON.stringify(this.config.command);
    if (error instanceof Deno.errors.NotCapable) {
      return `this process may not run the command ${command}: start kafclaw with its launcher ` +
        `(scripts/kafclaw), which allows the commands of mcp.json's unsandboxed servers`;
    }
    if ((error as { code?: unknown })?.code === "ENOENT") {
      return `the command ${command} is not found${
        this.config.command.includes("/") ? "" : " on PATH"
      }`;
    }
    return undefined;
  }
}

/**
 * The composition root of one agent: provider, sandbox, tools, sessions and the loop, built from a
 * resolved config. `kafclaw agent` builds one per run; the gateway will build one per process.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../config/mod.ts";
import { createChatProvider, createSpeech, type UsageRecord } from "../provider/mod.ts";
import { audioTools, builtinTools, type Tool, ToolRegistry } from "../tools/mod.ts";
import { McpToolset, resolveMcpServers } from "../tools/mcp/mod.ts";
import { bwrapMcpWrapper, openSandbox, type Sandbox } from "../tools/sandbox/mod.ts";
import type { ApprovalRequest } from "../tools/types.ts";
import { readSoulFiles } from "./context.ts";
import { AgentLoop } from "./loop.ts";
import { SessionStore } from "./sessions.ts";
import { soulTool } from "./soul_tool.ts";
import { Subagents } from "./subagents.ts";

/** What the runtime needs from its caller. */
export interface RuntimeOptions {
  /** Asks the owner to allow a call (the terminal in `kafclaw agent`). */
  readonly approve: (request: ApprovalRequest) => Promise<boolean>;
  /** Reports what the runtime skips or works around (an MCP server that failed to start). */
  readonly warn?: (message: string) => void;
  /** Receives the token usage of every LLM call. */
  readonly onUsage?: (record: UsageRecord) => void;
  /** Opens the sandbox (tests may choose the fallback); default {@link openSandbox}. */
  readonly openSandbox?: (workspace: string) => Promise<Sandbox>;
}

/** A running agent. */
export interface AgentRuntime extends AsyncDisposable {
  readonly loop: AgentLoop;
  readonly sandbox: Sandbox;
  readonly tools: ToolRegistry;
  readonly sessions: SessionStore;
  close(): Promise<void>;
}

/** Reads `$KAFCLAW_HOME/mcp.json` (`{"mcpServers": {...}}`, the format other MCP clients use). */
async function mcpServers(home: string): Promise<Record<string, never> | Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${home}/mcp.json`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`Cannot read ${home}/mcp.json: ${(error as Error).message}`);
  }
  const servers = (parsed as { mcpServers?: unknown })?.mcpServers;
  if (servers === undefined) return {};
  if (typeof servers !== "object" || servers === null || Array.isArray(servers)) {
    throw new Error(`Cannot read ${home}/mcp.json: "mcpServers" must be an object`);
  }
  return servers as Record<string, unknown>;
}

/**
 * Builds an agent. Throws ProviderNotConfiguredError (core/provider) when no LLM is configured, so
 * the CLI can say how to configure one.
 */
export async function createAgentRuntime(
  config: ResolvedConfig,
  options: RuntimeOptions,
): Promise<AgentRuntime> {
  const dirs = paths(config);
  const provider = createChatProvider(config, options.onUsage ? { onUsage: options.onUsage } : {});
  const servers = resolveMcpServers(await mcpServers(config.home) as never);
  // The sandbox keeps its files under KAFCLAW_HOME, the only place this process may write.
  await Deno.mkdir(`${config.home}/run`, { recursive: true, mode: 0o700 });
  const stateDir = await Deno.makeTempDir({ dir: `${config.home}/run`, prefix: "sandbox-" });
  let sandbox: Sandbox;
  try {
    sandbox = await (options.openSandbox ?? ((ws) =>
      openSandbox(ws, { unsandboxed: config.tools.exec.unsandboxed, stateDir })))(dirs.workspace);
  } catch (error) {
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    throw error;
  }
  const sessions = new SessionStore(dirs.sessions);
  const tools = new ToolRegistry();
  const loop = new AgentLoop({
    provider,
    tools,
    sessions,
    workspace: dirs.workspace,
    agentName: config.agent.name,
    soul: () => readSoulFiles(dirs.soul),
    settings: {
      maxToolIterations: config.model.maxToolIterations,
      maxTokens: config.model.maxTokens,
      temperature: config.model.temperature,
      historyMessages: config.agent.historyMessages,
      compactAboveChars: config.agent.compactAboveChars,
    },
    approve: options.approve,
  });
  const subagents = new Subagents(
    config.tools.subagents,
    ({ sessionKey, task, model, signal }) =>
      loop.runTurn({
        sessionKey,
        text: task,
        messageType: "internal",
        channel: "subagent",
        signal,
        ...(model ? { model } : {}),
      }).then((r) => r.content),
  );
  const warn = options.warn ?? (() => {});
  const builtins: Tool[] = builtinTools({
    sandbox,
    exec: config.tools.exec,
    web: config.tools.web,
    messages: {
      send(to, text, ctx) {
        // The message becomes the next input of another session; its answer stays there.
        loop.runTurn({
          sessionKey: to.session,
          text: `[message from session ${ctx.sessionKey}] ${text}`,
          messageType: "internal",
          channel: "message",
        }).catch((error) => warn(`A message to session ${to.session} failed: ${error.message}`));
        return Promise.resolve();
      },
    },
    subagents: {
      spawn: (request, ctx) => subagents.spawn(ctx.sessionKey, request, ctx.signal),
    },
  });
  tools.register(
    ...builtins,
    ...audioTools(sandbox.fs, createSpeech(config)),
    soulTool(dirs.soul),
  );
  // stdio servers run under bubblewrap with their grants only; without it they are refused
  // (unless marked unsandboxed), with an error that says so.
  const wrapCommand = sandbox.kind === "bwrap" && servers.some((s) => s.transport === "stdio")
    ? await bwrapMcpWrapper({ stateDir }).catch((error) => {
      warn(`MCP stdio servers cannot be sandboxed: ${(error as Error).message}`);
      return undefined;
    })
    : undefined;
  const mcp = new McpToolset(servers, wrapCommand ? { wrapCommand } : {});
  const loaded = await mcp.load();
  for (const failure of loaded.failures) warn(`MCP server ${failure.server}: ${failure.message}`);
  tools.register(...loaded.tools);
  const close = async () => {
    await mcp.close();
    await sandbox.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  };
  return { loop, sandbox, tools, sessions, close, [Symbol.asyncDispose]: close };
}

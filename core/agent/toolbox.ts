/**
 * The tools of one agent, wired to it: the built-ins over its sandbox, the audio tools, the soul
 * tool, memory, and the tools of the MCP servers in `mcp.json`. `message` and `sessions_spawn`
 * start their turns through the agent's door, as work of the turn that called them; a `message` to
 * the session of a chat on a channel this process runs is sent to that chat ({@link ChatOutbound}).
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import type { Memory } from "../memory/mod.ts";
import { createSpeech } from "../provider/mod.ts";
import {
  audioTools,
  builtinTools,
  loadMcpClient,
  type McpServerConfig,
  memoryTools,
  type Sandbox,
  type ToolRegistry,
} from "../tools/mod.ts";
import { bwrapMcpWrapper } from "../tools/sandbox/mod.ts";
import { type Door, parentTurn } from "./door.ts";
import { agentProfile } from "./profile.ts";
import { soulTool } from "./soul_tool.ts";
import { Subagents } from "./subagents.ts";

/**
 * The chats of the channels this process runs (the gateway's): a `message` to one of their
 * sessions (`telegram:<chat>`) is sent to that chat instead of starting a turn there.
 */
export interface ChatOutbound {
  /** Whether `session` is the session of a chat of a channel that runs here. */
  owns(session: string): boolean;
  /** Sends `text` to the chat of `session` (a failed send is retried later); rejects when it cannot. */
  send(session: string, text: string): Promise<void>;
}

/** What the tools are wired to. */
export interface ToolboxDeps {
  readonly config: ResolvedConfig;
  readonly sandbox: Sandbox;
  readonly door: Door;
  readonly memory: Memory;
  /** Secrets redacted from what `remember` stores. */
  readonly redact: (text: string) => string;
  /** The folder of the soul files. */
  readonly soulDir: string;
  /** Where the sandbox keeps its files (the MCP wrapper's too). */
  readonly stateDir: string;
  /** The servers of `mcp.json` (read before anything is opened, so a bad file stops the start). */
  readonly mcpServers: readonly McpServerConfig[];
  readonly warn: (message: string) => void;
  /** Where a `message` to a chat's session goes; absent, every session is this agent's own. */
  readonly chats?: ChatOutbound | undefined;
}

/** What the tools hold open (the MCP servers' connections), closed with the agent. */
export interface OpenTools {
  close(): Promise<void>;
}

/**
 * Registers every tool of the agent in `tools`; resolves with what they hold open, to close with
 * the agent.
 */
export async function registerTools(tools: ToolRegistry, deps: ToolboxDeps): Promise<OpenTools> {
  const { config, sandbox, door, warn } = deps;
  const subagents = new Subagents(
    config.tools.subagents,
    async ({ sessionKey, task, model, parent, signal }) => {
      const result = await door.enter({
        source: { kind: "subagent", parent },
        sessionKey,
        text: task,
        model,
        signal,
      });
      // A child that never ran (refused) made nothing untrusted of its own; it acted as the parent.
      return {
        content: result.content,
        taint: result.kind === "turn" ? result.turn.taint : parent.taint,
      };
    },
  );
  tools.register(
    ...builtinTools({
      sandbox,
      exec: { ...config.tools.exec, command: config.command },
      web: config.tools.web,
      files: { holdsSecret: (text) => deps.redact(text) !== text },
      messages: {
        send(to, text, ctx) {
          // A person's chat: the text is for them, not another turn of the agent.
          if (deps.chats?.owns(to.session)) return deps.chats.send(to.session, text);
          // The message becomes the next input of another session; its answer stays there.
          door.enter({
            source: { kind: "message", parent: parentTurn(ctx) },
            sessionKey: to.session,
            text: `[message from session ${ctx.sessionKey}] ${text}`,
          }).catch((error) => warn(`A message to session ${to.session} failed: ${error.message}`));
          return Promise.resolve();
        },
      },
      subagents: {
        // An agentId runs the subagent with that agent's model (an explicit model wins); an
        // unknown id is an error result that names the known ones.
        spawn: (request, ctx) => {
          const model = request.model ??
            (request.agentId === undefined
              ? undefined
              : agentProfile(config, request.agentId).model);
          return subagents.spawn(
            ctx.sessionKey,
            { ...request, ...(model === undefined ? {} : { model }), parent: parentTurn(ctx) },
            ctx.signal,
          );
        },
      },
      agents: config.agents.list.map((a) => ({
        id: a.id,
        name: a.name,
        model: agentProfile(config, a.id).model,
        default: a.default === true,
      })),
    }),
    ...audioTools(sandbox.fs, createSpeech(config)),
    soulTool(deps.soulDir),
    // Memory written from a tainted turn stays untrusted.
    ...memoryTools(deps.memory, {
      // The turn's zones: a group task's memories stay in its zone, and it sees that zone.
      scope: (ctx) => ({
        taint: ctx.taint ?? "trusted",
        zone: ctx.scope?.zone,
        zones: ctx.scope?.zones ?? ["public"],
      }),
      // A secret the model is asked to remember is stored redacted, like everything it logs.
      redact: deps.redact,
    }),
  );
  return await mcpTools(tools, deps);
}

/**
 * The tools of the MCP servers in `mcp.json`. stdio servers run under bubblewrap with their grants
 * only; without it they are refused, with an error that says so. Those marked unsandboxed run on
 * the host. The MCP client is imported only when `mcp.json` names a server.
 */
async function mcpTools(tools: ToolRegistry, deps: ToolboxDeps): Promise<OpenTools> {
  const servers = deps.mcpServers;
  if (servers.length === 0) return { close: () => Promise.resolve() };
  const { McpToolset } = await loadMcpClient();
  const confined = servers.some((s) => s.transport === "stdio" && s.enabled && !s.unsandboxed);
  const wrapCommand = deps.sandbox.kind === "bwrap" && confined
    ? await bwrapMcpWrapper({ stateDir: deps.stateDir }).catch((error) => {
      deps.warn(`MCP stdio servers cannot be sandboxed: ${(error as Error).message}`);
      return undefined;
    })
    : undefined;
  const mcp = new McpToolset([...servers], wrapCommand ? { wrapCommand } : {});
  const loaded = await mcp.load();
  for (const failure of loaded.failures) {
    deps.warn(`MCP server ${failure.server}: ${failure.message}`);
  }
  tools.register(...loaded.tools);
  return mcp;
}

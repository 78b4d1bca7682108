/**
 * The built-in tools of an agent, assembled from its sandbox, its settings and the ports the agent
 * layer supplies.
 *
 * @module
 */
import { agentsListTool, messageTool, sessionsSpawnTool } from "./agent_tools.ts";
import { execTool, type ExecToolOptions } from "./exec_tool.ts";
import { fsTools, type FsToolsOptions } from "./fs_tools.ts";
import type { AgentSummary, MessageSink, SubagentSpawner } from "./ports.ts";
import type { Sandbox } from "./sandbox/mod.ts";
import type { Tool } from "./types.ts";
import { webFetchTool, type WebFetchToolOptions } from "./web/mod.ts";

/** What {@link builtinTools} is built from. */
export interface BuiltinToolsOptions {
  /** The agent's sandboxed workspace: every file tool and exec go through it. */
  readonly sandbox: Sandbox;
  /** `tools.exec` of the config. */
  readonly exec: ExecToolOptions;
  /** `tools.web` of the config; web_fetch is offered when `enabled`. */
  readonly web: WebFetchToolOptions & { readonly enabled: boolean };
  readonly files?: FsToolsOptions;
  /** Offers the `message` tool. */
  readonly messages?: MessageSink;
  /** Offers the `sessions_spawn` tool, and `agents_list` with these agents. */
  readonly subagents?: SubagentSpawner;
  /** The agents of `agents.list` (default none). */
  readonly agents?: readonly AgentSummary[];
}

/**
 * The built-in tools: read_file, write_file, edit_file, list_dir, exec, and, when configured,
 * web_fetch, message, sessions_spawn and agents_list.
 */
export function builtinTools(options: BuiltinToolsOptions): Tool[] {
  const { enabled: webEnabled, ...web } = options.web;
  return [
    ...fsTools(options.sandbox.fs, options.files),
    execTool(options.sandbox, options.exec),
    ...(webEnabled ? [webFetchTool(web)] : []),
    ...(options.messages ? [messageTool(options.messages)] : []),
    ...(options.subagents
      ? [sessionsSpawnTool(options.subagents), agentsListTool(options.agents ?? [])]
      : []),
  ];
}

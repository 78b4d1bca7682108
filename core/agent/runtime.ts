/**
 * The composition root of one agent: provider, sandbox, tools, sessions and the loop, built from a
 * resolved config. `kafclaw agent` builds one per run; the gateway will build one per process.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../config/mod.ts";
import {
  createChatProvider,
  createSpeech,
  ProviderNotConfiguredError,
  type UsageRecord,
} from "../provider/mod.ts";
import { audioTools, builtinTools, type Tool, ToolRegistry } from "../tools/mod.ts";
import { McpToolset, resolveMcpServers } from "../tools/mcp/mod.ts";
import { bwrapMcpWrapper, openSandbox, type Sandbox } from "../tools/sandbox/mod.ts";
import { getAt, KEYS } from "../config/mod.ts";
import { DEFAULT_POLICY_SETTINGS, type PolicySettings, SecretRedactor } from "../policy/mod.ts";
import type { Timeline } from "../timeline/mod.ts";
import { type Memory, memoryFromConfig, memoryTools, openTimeline } from "../memory/mod.ts";
import { Approvals, type AskOwner } from "./approvals.ts";
import { Guard } from "./guard.ts";
import { agentProfile } from "./profile.ts";
import { unreachableRoutes } from "./routes.ts";
import { Inbound, ownerNotifier, type SendToOwner } from "./inbound.ts";
import { readSoulFiles } from "./context.ts";
import { AgentLoop } from "./loop.ts";
import { MemoryLane } from "./memory_lane.ts";
import { SessionStore } from "./sessions.ts";
import { soulTool } from "./soul_tool.ts";
import { Subagents } from "./subagents.ts";

/** What the runtime needs from its caller. */
export interface RuntimeOptions {
  /**
   * Asks the owner about an approval where the owner is (the terminal in `kafclaw agent`);
   * absent: only `kafclaw approvals approve|deny` or a configured owner channel can answer.
   */
  readonly askOwner?: AskOwner;
  /** Reports what the runtime skips or works around (an MCP server that failed to start). */
  readonly warn?: (message: string) => void;
  /** Receives the token usage of every LLM call. */
  readonly onUsage?: (record: UsageRecord) => void;
  /**
   * Sends a text to an owner (`policy.owners`, `channel:sender`) on that owner's channel: with it,
   * approval requests go to the owners when there is no `askOwner`, and their
   * `approve <id>` / `deny <id>` come back through {@link AgentRuntime.inbound}.
   */
  readonly sendToOwner?: SendToOwner;
  /** The agent of `agents.list` to run as; default: the one marked default, else `model.*`. */
  readonly agent?: string;
  /** Opens the sandbox (tests may choose the fallback); default {@link openSandbox}. */
  readonly openSandbox?: (workspace: string) => Promise<Sandbox>;
}

/** A running agent. */
export interface AgentRuntime extends AsyncDisposable {
  readonly loop: AgentLoop;
  readonly sandbox: Sandbox;
  readonly tools: ToolRegistry;
  readonly sessions: SessionStore;
  readonly timeline: Timeline;
  /** Long-term memory (in the timeline). */
  readonly memory: Memory;
  readonly approvals: Approvals;
  /** Where channels hand in people's messages (owner approval answers included). */
  readonly inbound: Inbound;
  close(): Promise<void>;
}

/** The values of every secret key of the config, to be redacted wherever they appear. */
export function configuredSecrets(config: ResolvedConfig): string[] {
  return KEYS.keys.filter((k) => k.secret)
    .map((k) => getAt(config, k.segments))
    .filter((v): v is string => typeof v === "string" && v.length > 0);
}

function policySettings(config: ResolvedConfig): PolicySettings {
  const p = config.policy;
  return {
    ...DEFAULT_POLICY_SETTINGS,
    maxAutoTier: p.maxAutoTier,
    externalMaxTier: p.externalMaxTier,
    owners: p.owners,
    allowedSenders: p.allowedSenders,
    workspaceFilesUntrusted: p.workspaceFilesUntrusted,
    dailyTokenLimit: p.dailyTokenLimit,
    dailyTokenLimitPerSender: p.dailyTokenLimitPerSender,
    requestsPerMinute: p.requestsPerMinute,
    dailyBudgetUsd: p.dailyBudgetUsd,
    monthlyBudgetUsd: p.monthlyBudgetUsd,
    prices: p.prices,
    sensitivity: p.sensitivity,
  };
}

/**
 * Checks that every model a sensitivity rule routes to can be reached, so that content meant for
 * it is refused at start, not sent elsewhere later. Throws ProviderNotConfiguredError naming the
 * rule.
 */
function checkRoutes(config: ResolvedConfig): void {
  const [first] = unreachableRoutes(config);
  if (first === undefined) return;
  throw new ProviderNotConfiguredError(
    `policy.sensitivity rule ${JSON.stringify(first.rule)} routes to ${first.routeTo}, ` +
      `which cannot be reached: ${first.error.message}`,
    first.error.provider,
  );
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
  // Warnings go to logs and terminals: secrets are redacted from them as from everything else.
  const redactor = new SecretRedactor({ known: configuredSecrets(config) });
  const warn = (message: string) => options.warn?.(redactor.redact(message).text);
  const profile = agentProfile(config, options.agent);
  const provider = createChatProvider(config, {
    model: profile.model,
    fallbacks: profile.fallbacks,
    ...(options.onUsage ? { onUsage: options.onUsage } : {}),
  });
  checkRoutes(config);
  let servers;
  try {
    servers = resolveMcpServers(await mcpServers(config.home) as never);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new Error(`Cannot use ${config.home}/mcp.json: ${error.message}`);
  }
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
  // The timeline also holds memory; sqlite-vec is loaded when this process may (else keyword-only).
  const { timeline, vectors } = openTimeline(dirs.timeline, {
    sqliteVec: { extractDir: `${config.home}/lib` },
  });
  // The embedding model is a provider too: what memory sends it is redacted like chat requests.
  const memory = memoryFromConfig(timeline, config, {
    vectors,
    redact: (text) => redactor.redact(text).text,
  });
  // Memory in every turn (relevant memories in the prompt, conversations and summaries kept),
  // and the soul files searchable by section.
  const memoryLane = new MemoryLane(memory, {
    maxResults: config.memory.search.maxResults,
    minScore: config.memory.search.minScore,
    warn,
  });
  await memoryLane.indexSoul(dirs.soul);
  const ask = options.askOwner ??
    (options.sendToOwner && config.policy.owners.length > 0
      ? ownerNotifier(config.policy.owners, options.sendToOwner)
      : undefined);
  const approvals = new Approvals(timeline, {
    timeoutMs: config.policy.approvalTimeoutMs,
    ownerReachable: options.askOwner !== undefined || config.policy.owners.length > 0,
    ...(ask ? { ask } : {}),
  });
  // Requests left pending by an earlier run can no longer be answered: recorded as timed out.
  approvals.recoverAtStartup();
  const guard = new Guard({
    timeline,
    approvals,
    settings: policySettings(config),
    secrets: configuredSecrets(config),
    agentId: profile.id ?? config.group.agentId ?? "local",
    ownerReachable: (channel) => channel === "cli" && options.askOwner !== undefined,
  });
  const tools = new ToolRegistry();
  const loop = new AgentLoop({
    provider,
    tools,
    sessions,
    workspace: dirs.workspace,
    agentName: profile.name,
    soul: () => readSoulFiles(dirs.soul),
    settings: {
      maxToolIterations: config.model.maxToolIterations,
      maxTokens: config.model.maxTokens,
      temperature: config.model.temperature,
      historyMessages: config.agent.historyMessages,
      compactAboveChars: config.agent.compactAboveChars,
    },
    guard,
    memory: memoryLane,
    // A tool that asks by itself (update_soul_file, unsandboxed exec) goes through the same
    // recorded approvals.
    approve: (r) =>
      approvals.request({
        traceId: crypto.randomUUID().replaceAll("-", ""),
        sessionKey: r.sessionKey,
        tool: r.tool,
        tier: r.tier,
        arguments: typeof r.arguments === "object" && r.arguments !== null
          ? r.arguments as Record<string, unknown>
          : { value: r.arguments },
        requester: "agent",
        channel: "cli",
        reason: r.reason,
      }, new AbortController().signal).then((o) => o.approved),
  });
  const subagents = new Subagents(
    config.tools.subagents,
    ({ sessionKey, task, model, taint, signal }) =>
      loop.runTurn({
        sessionKey,
        text: task,
        messageType: "internal",
        channel: "subagent",
        signal,
        taint,
        ...(model ? { model } : {}),
      }).then((r) => r.content),
  );
  const builtins: Tool[] = builtinTools({
    sandbox,
    exec: config.tools.exec,
    web: config.tools.web,
    messages: {
      send(to, text, ctx) {
        // The message becomes the next input of another session; its answer stays there.
        // It carries the sender's taint: an untrusted turn cannot launder its text this way.
        loop.runTurn({
          sessionKey: to.session,
          text: `[message from session ${ctx.sessionKey}] ${text}`,
          messageType: "internal",
          channel: "message",
          taint: ctx.taint,
        }).catch((error) => warn(`A message to session ${to.session} failed: ${error.message}`));
        return Promise.resolve();
      },
    },
    subagents: {
      // An agentId runs the subagent with that agent's model (an explicit model wins); an
      // unknown id is an error result that names the known ones.
      spawn: (request, ctx) => {
        const model = request.model ??
          (request.agentId === undefined ? undefined : agentProfile(config, request.agentId).model);
        return subagents.spawn(
          ctx.sessionKey,
          { ...request, ...(model === undefined ? {} : { model }), taint: ctx.taint },
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
  });
  tools.register(
    ...builtins,
    ...audioTools(sandbox.fs, createSpeech(config)),
    soulTool(dirs.soul),
    // Memory written from a tainted turn stays untrusted.
    ...memoryTools(memory, {
      // The turn's zones: a group task's memories stay in its zone, and it sees that zone.
      scope: (ctx) => ({
        taint: ctx.taint ?? "trusted",
        zone: ctx.scope?.zone,
        zones: ctx.scope?.zones ?? ["public"],
      }),
      // A secret the model is asked to remember is stored redacted, like everything it logs.
      redact: (text) => guard.redact(text),
    }),
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
    // Turns still running (one waiting for an approval, say) end first, cancelled.
    await loop.close();
    await memoryLane.close();
    await mcp.close();
    await sandbox.close();
    timeline.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  };
  return {
    loop,
    sandbox,
    tools,
    sessions,
    timeline,
    memory,
    approvals,
    inbound: new Inbound({ loop, approvals, owners: config.policy.owners }),
    close,
    [Symbol.asyncDispose]: close,
  };
}

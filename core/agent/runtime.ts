/**
 * The composition root of one agent: provider, sandbox, tools, sessions, the guard, the loop and
 * the door, built from a resolved config. `kafclaw agent` builds one per run; the gateway will
 * build one per process. Every turn of the agent enters through {@link AgentRuntime.door}.
 *
 * @module
 */
import { dirname } from "node:path";
import { getAt, KEYS, paths, type ResolvedConfig } from "../config/mod.ts";
import { type Memory, memoryFromConfig, openWithVectors } from "../memory/mod.ts";
import { SecretRedactor } from "../policy/mod.ts";
import { createChatProvider, ProviderNotConfiguredError, type WaitSink } from "../provider/mod.ts";
import { ensureRoom, type Timeline } from "../timeline/mod.ts";
import { readMcpConfig, ToolRegistry } from "../tools/mod.ts";
import { openSandbox, type Sandbox } from "../tools/sandbox/mod.ts";
import { type AskYesNo, handOverPolicy } from "./hand_over.ts";
import { Approvals, type AskOwner, ownerNotifier, type SendToOwner } from "./approvals.ts";
import { Door } from "./door.ts";
import { Guard } from "./guard.ts";
import { AgentLoop } from "./loop.ts";
import { MemoryLane } from "./memory_lane.ts";
import { RunDir, runDirAlive, sweepRunDirs } from "./run_dir.ts";
import { sessionGate } from "./session_gate.ts";
import { SoulFiles } from "./soul_files.ts";
import { agentProfile } from "./profile.ts";
import { unreachableRoutes } from "./routes.ts";
import { SessionStore } from "./sessions.ts";
import { type ChatOutbound, registerTools } from "./toolbox.ts";

/** What the runtime needs from its caller. */
export interface RuntimeOptions {
  /**
   * Asks the owner about an approval where the owner is (the terminal in `kafclaw agent`);
   * absent: only `kafclaw approvals approve|deny` or a configured owner channel can answer.
   */
  readonly askOwner?: AskOwner;
  /** Reports what the runtime skips or works around (an MCP server that failed to start). */
  readonly warn?: (message: string) => void;
  /** Told when a call to the LLM waits: a slow first answer, each retry (core/provider). */
  readonly onWait?: WaitSink | undefined;
  /**
   * Sends a text to an owner (`policy.owners`, `channel:sender`) on that owner's channel: with it,
   * approval requests go to the owners when there is no `askOwner`, and their
   * `approve <id>` / `deny <id>` come back through {@link AgentRuntime.door}.
   */
  readonly sendToOwner?: SendToOwner;
  /** The chats of the channels this process runs, where a `message` to their sessions goes. */
  readonly chats?: ChatOutbound;
  /** The agent of `agents.list` to run as; default: the one marked default, else `model.*`. */
  readonly agent?: string;
  /**
   * Asks the owner, at a terminal, whether the sandbox may take the workspace as root (see
   * hand_over.ts); absent, a workspace that needs it is refused unless a yes is recorded.
   */
  readonly askHandOver?: AskYesNo | undefined;
  /** Opens the sandbox (tests may choose the fallback); default {@link openSandbox}. */
  readonly openSandbox?: (workspace: string) => Promise<Sandbox>;
}

/** A running agent. */
export interface AgentRuntime extends AsyncDisposable {
  /** The only way in: every message (terminal, scheduler, channel, group task) becomes a turn here. */
  readonly door: Door;
  readonly sandbox: Sandbox;
  readonly tools: ToolRegistry;
  readonly sessions: SessionStore;
  readonly timeline: Timeline;
  /** Long-term memory (in the timeline). */
  readonly memory: Memory;
  readonly approvals: Approvals;
  /** The name of this process's run folder under the home's `run/` (run_dir.ts). */
  readonly runName?: string;
  /** Cancels running turns (pending approvals recorded as cancelled), then closes everything. */
  close(): Promise<void>;
}

/** The values of every secret key of the config, to be redacted wherever they appear. */
export function configuredSecrets(config: ResolvedConfig): string[] {
  return KEYS.keys.filter((k) => k.secret)
    .map((k) => getAt(config, k.segments))
    .filter((v): v is string => typeof v === "string" && v.length > 0);
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

/**
 * Builds an agent. Throws ProviderNotConfiguredError (core/provider) when no LLM is configured, so
 * the CLI can say how to configure one.
 */
export async function createAgentRuntime(
  config: ResolvedConfig,
  options: RuntimeOptions,
): Promise<AgentRuntime> {
  const dirs = paths(config);
  const secrets = configuredSecrets(config);
  // Warnings go to logs and terminals: secrets are redacted from them as from everything else.
  const redactor = new SecretRedactor({ known: secrets });
  const warn = (message: string) => options.warn?.(redactor.redact(message).text);
  const profile = agentProfile(config, options.agent);
  const provider = createChatProvider(config, {
    model: profile.model,
    fallbacks: profile.fallbacks,
    onWait: options.onWait,
  });
  checkRoutes(config);
  // The MCP servers of the home whose config.json this is: an agent of agents.list in a home of
  // its own (agents/<id>) runs those of the gateway's home, which the launcher grants.
  const mcpServers = await readMcpConfig(dirname(config.file));
  // A full disk stops the start, saying so, before anything is half written.
  await ensureRoom(config.home);
  // The sandbox keeps its files under KAFCLAW_HOME, the only place this process may write, in
  // this process's run folder; those left by processes that died are removed.
  await sweepRunDirs(config.home);
  const runDir = await RunDir.claim(config.home);
  const stateDir = runDir.path;
  // The sandbox (bubblewrap's processes) opens while the timeline opens and the soul files are
  // indexed: neither needs the other.
  const { unsandboxed, memoryBytes, processes } = config.tools.exec;
  const [opened, remembered] = await Promise.allSettled([
    (options.openSandbox ?? ((ws) =>
      openSandbox(ws, {
        unsandboxed,
        limits: { memoryBytes, processes },
        stateDir,
        // Whether bubblewrap works here is checked once, then again when that can have changed.
        probeCache: `${config.home}/cache/sandbox.json`,
        command: config.command,
        handOver: handOverPolicy(config, { ask: options.askHandOver, warn }),
      })))(dirs.workspace),
    openMemory(config, redactor, warn),
  ]);
  if (opened.status === "rejected" || remembered.status === "rejected") {
    if (opened.status === "fulfilled") await opened.value.close();
    if (remembered.status === "fulfilled") await remembered.value.close();
    await runDir.close();
    throw opened.status === "rejected"
      ? opened.reason
      : (remembered as PromiseRejectedResult).reason;
  }
  const sandbox = opened.value;
  const { timeline, memory, memoryLane } = remembered.value;
  // A new session's file is made ahead: a task's turn is a new session each time.
  const sessions = new SessionStore(dirs.sessions, { spares: true });
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
    settings: config.policy,
    secrets,
    agentId: profile.id ?? config.group.agentId ?? "local",
  });
  const tools = new ToolRegistry();
  // Read again only when one changed: an edit is in the next turn.
  const soul = new SoulFiles(dirs.soul);
  const loop = new AgentLoop({
    provider,
    tools,
    sessions,
    workspace: dirs.workspace,
    agentName: profile.name,
    soul: () => soul.read(),
    settings: {
      maxToolIterations: config.model.maxToolIterations,
      maxTokens: config.model.maxTokens,
      temperature: config.model.temperature,
      historyMessages: config.agent.historyMessages,
      compactAboveChars: config.agent.compactAboveChars,
    },
    guard,
    memory: memoryLane,
    // One turn at a time per session, across every process on this KAFCLAW_HOME.
    gate: sessionGate({
      leases: timeline.sessionLeases,
      sessions,
      owner: runDir.name,
      alive: (owner) => runDirAlive(config.home, owner),
      home: config.home,
      onWait: (key) =>
        warn(`session ${key} is busy in another kafclaw process; waiting for its turn to end`),
      onLost: (key) => warn(`session ${key}: this turn outlasted its lease; another may start`),
    }),
  });
  const door = new Door({
    loop,
    approvals,
    settings: config.policy,
    ownerAtTerminal: options.askOwner !== undefined,
  });
  const mcp = await registerTools(tools, {
    config,
    sandbox,
    door,
    memory,
    redact: (text) => guard.redact(text),
    soulDir: dirs.soul,
    stateDir,
    mcpServers,
    warn,
    chats: options.chats,
  });
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      // Turns still running (one waiting for an approval, say) end first, cancelled.
      await loop.close();
      await sessions.close();
      await memoryLane.close();
      await mcp.close();
      await sandbox.close();
      timeline.close();
      await runDir.close();
    })();
  return {
    door,
    sandbox,
    tools,
    sessions,
    timeline,
    memory,
    approvals,
    runName: runDir.name,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The timeline (which also holds memory; sqlite-vec is loaded when this process may, else
 * keyword-only), memory, and the lane that puts memory in every turn (relevant memories in the
 * prompt, conversations and summaries kept), with the soul files indexed by section.
 */
async function openMemory(
  config: ResolvedConfig,
  redactor: SecretRedactor,
  warn: (message: string) => void,
) {
  const dirs = paths(config);
  const { timeline, vectors } = openWithVectors(dirs.timeline, {
    sqliteVec: { extractDir: `${config.home}/lib` },
  });
  // The embedding model is a provider too: what memory sends it is redacted like chat requests.
  const memory = memoryFromConfig(timeline, config, {
    vectors,
    redact: (text) => redactor.redact(text).text,
  });
  const memoryLane = new MemoryLane(memory, {
    maxResults: config.memory.search.maxResults,
    minScore: config.memory.search.minScore,
    warn,
  });
  await memoryLane.indexSoul(dirs.soul);
  return {
    timeline,
    memory,
    memoryLane,
    async close() {
      await memoryLane.close();
      timeline.close();
    },
  };
}

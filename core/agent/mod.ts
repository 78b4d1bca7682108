/**
 * The agent: one door into a turn, the loop that runs turns, the guard that wraps what they use,
 * and the runtime that builds all of it from config.
 *
 * Where a message becomes a turn: {@link Door.enter} (door.ts) is the only way in, for the
 * terminal, the scheduler, channels, messages between sessions, subagents and (core/group) other
 * agents' tasks. It decides once who the turn acts for, then hands it to the loop (loop.ts), which
 * gets the provider and the tools already wrapped by the guard (guard.ts: quotas, redaction,
 * sensitivity routing, the policy's decision and approvals, everything recorded). Tools run in
 * the sandbox (core/tools/sandbox); the policy decides in core/policy (`decide`).
 *
 * @example
 * ```ts ignore
 * import { createAgentRuntime } from "./mod.ts";
 * await using agent = await createAgentRuntime(config, {});
 * const result = await agent.door.enter({ source: { kind: "terminal" }, text: "hello" });
 * console.log(result.content);
 * ```
 *
 * @module
 */
export {
  type AgentRuntime,
  configuredSecrets,
  createAgentRuntime,
  type RuntimeOptions,
} from "./runtime.ts";
export {
  Door,
  type DoorDeps,
  type DoorResult,
  jobRunner,
  type Message,
  type MessageSource,
  type ParentTurn,
  parentTurn,
  parseApprovalCommand,
} from "./door.ts";
export {
  approvalNotice,
  type ApprovalOutcome,
  Approvals,
  type AskOwner,
  ownerNotifier,
  type SendToOwner,
  WAITER_STALE_MS,
} from "./approvals.ts";
export { Guard, type GuardDeps } from "./guard.ts";
export type { ChatOutbound } from "./toolbox.ts";
export {
  type AskYesNo,
  HAND_OVER_FILE,
  handOverPolicy,
  recordedHandOvers,
  takenWithoutAsking,
} from "./hand_over.ts";
export { AgentLoop, type LoopDeps, type LoopSettings } from "./loop.ts";
export {
  type GuardedTurn,
  type SideEffectFence,
  type ToolRunner,
  type TurnGuard,
  type TurnOrigin,
  TurnRefused,
  type TurnRequest,
  type TurnResult,
  type TurnStart,
} from "./turn.ts";
export { type AgentProfile, agentProfile, UnknownAgentError } from "./profile.ts";
export { type UnreachableRoute, unreachableRoutes } from "./routes.ts";
export {
  applyOnboarding,
  ONBOARD_MODES,
  type OnboardAnswers,
  onboardChanges,
  OnboardError,
  type OnboardResult,
} from "./onboard.ts";
export { SOUL_FILES, type SoulFile } from "./context.ts";
export { PUBLIC_SCOPE, type TurnScope } from "./memory_lane.ts";
export { type DamagedSession, SessionStore, type SessionSummary } from "./sessions.ts";
export {
  Interruption,
  sessionGate,
  type SessionGateOptions,
  type TurnGate,
} from "./session_gate.ts";
export { RunDir, runDirAlive, sweepRunDirs } from "./run_dir.ts";

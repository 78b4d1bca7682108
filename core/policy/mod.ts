/**
 * The policy engine, as pure logic (ARCHITECTURE.md, Policy): who a message comes from, whether a
 * tool call may run, how taint spreads through a turn, token quotas, rate limits, budgets, content
 * sensitivity, and secret redaction, and what the limits on LLM use stand at ({@link budgetUse}).
 * Nothing here does I/O: storage comes in through small ports ({@link UsageSince},
 * {@link SpendSince}, {@link UsageRead}) and time through injectable clocks.
 *
 * @example
 * ```ts
 * import { classifyMessage, decide, isSenderAllowed, TurnTaint } from "./mod.ts";
 *  *
 * const settings = { maxAutoTier: 1, externalMaxTier: 0, owners: [], allowedSenders: [] };
 * const files = { workspaceFilesUntrusted: true };
 * const source = { channel: "cli", sender: "me" };
 * const messageType = classifyMessage(source, settings); // "internal"
 * const taint = TurnTaint.start({ messageType });
 * taint.afterToolResult("web_fetch", {}, { ...files, output: "outside" });
 * const decision = decide({
 *   tool: "exec",
 *   tier: 2,
 *   messageType,
 *   ...source,
 *   taint: taint.value,
 *   senderAllowed: isSenderAllowed(source, settings),
 * }, settings);
 * decision.action; // "ask"
 * ```
 *
 * @module
 */

export {
  canAskOwner,
  classifyMessage,
  INTERNAL_CHANNELS,
  isSenderAllowed,
  type MessageSource,
  type TurnOrigin,
} from "./classify.ts";
export {
  type Action,
  decide,
  type DecideSettings,
  type Decision,
  DECISION_CODES,
  type DecisionCode,
  type DecisionInput,
} from "./decide.ts";
export { type BudgetUse, budgetUse, type BudgetUseSettings, type UsageRead } from "./budget_use.ts";
export {
  Budget,
  type BudgetSettings,
  type CallUsage,
  checkBudget,
  type Cost,
  costOf,
  type Spend,
  type SpendSince,
} from "./finops.ts";
export {
  formatDuration,
  type LimitCode,
  type LimitResult,
  nextUtcDay,
  nextUtcMonth,
  startOfUtcDay,
  startOfUtcMonth,
} from "./limits.ts";
export {
  checkTokenQuota,
  type QuotaSettings,
  TokenQuota,
  type TokenUsage,
  type UsageSince,
} from "./quotas.ts";
export { RateLimiter, type RateLimiterOptions } from "./rate_limit.ts";
export {
  KNOWN_KIND,
  MIN_KNOWN_LENGTH,
  type Redaction,
  type RedactOptions,
  redactSecrets,
  SecretRedactor,
} from "./redact.ts";
export { ContentClassifier, type Sensitivity } from "./sensitivity.ts";
export {
  identity,
  type MessageType,
  type PolicySettings,
  type Price,
  type PriceTable,
  type SensitivityRule,
  type Taint,
  type Tier,
} from "./settings.ts";
export {
  deriveTaint,
  type TaintLike,
  type ToolOutput,
  type TurnStart,
  TurnTaint,
} from "./taint.ts";

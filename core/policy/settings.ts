/**
 * The settings the policy functions read. They are config's `policy.*` as resolved (its defaults
 * are config's, documented there and nowhere else): a resolved config's `policy` is a
 * {@link PolicySettings}. Each function takes only the slice it needs (a `Pick`), so callers and
 * tests pass plain objects.
 *
 * @module
 */

/** Whether a message comes from the owner (internal) or from anyone else (external). */
export type MessageType = "internal" | "external";

/** Whether a turn, or something made from it, saw content from outside the owner's control. */
export type Taint = "trusted" | "untrusted";

/**
 * How much a tool can do (ARCHITECTURE.md, Policy): 0 reads, 1 writes inside the workspace, 2 runs
 * commands, reaches the network or acts outside.
 */
export type Tier = 0 | 1 | 2;

/** What one `provider/model` costs, in US dollars per 1000 tokens. */
export interface Price {
  readonly promptPer1k: number;
  readonly completionPer1k: number;
}

/** Prices by `provider/model`; `provider/*` prices every model of a provider (`"ollama/*"`: free). */
export type PriceTable = Readonly<Record<string, Price>>;

/**
 * A sensitivity level: content that matches any of its patterns (regular expressions, `u` flag) or
 * keywords (whole words, any case) has this level, and may be routed to another model.
 */
export interface SensitivityRule {
  /** The level's name, e.g. `private`. */
  readonly name: string;
  readonly patterns?: readonly string[] | undefined;
  readonly keywords?: readonly string[] | undefined;
  /** `provider/model` to use for content of this level, e.g. a local model for private data. */
  readonly routeTo?: string | undefined;
}

/** Every policy setting, resolved (config `policy.*`). */
export interface PolicySettings {
  /** Highest tool tier the owner's untainted turns use without approval. */
  readonly maxAutoTier: number;
  /** Highest tool tier external untainted turns use without approval. */
  readonly externalMaxTier: number;
  /** The owner's identities as `channel:sender`; approvals go there. */
  readonly owners: readonly string[];
  /** `channel:sender` identities allowed to talk to the agent; empty: anyone. */
  readonly allowedSenders: readonly string[];
  /** Whether what `read_file` (and other workspace readers) return taints the turn. */
  readonly workspaceFilesUntrusted: boolean;
  /** Tokens a day for the whole agent; 0: unlimited. */
  readonly dailyTokenLimit: number;
  /** Tokens a day for one sender (`channel:sender`); 0: unlimited. */
  readonly dailyTokenLimitPerSender: number;
  /** Requests a minute per sender and channel (burst the same); 0: unlimited. */
  readonly requestsPerMinute: number;
  /** LLM prices; a model missing here costs 0 and is reported as unpriced. */
  readonly prices: PriceTable;
  /** US dollars a day (UTC) the agent may spend on LLM calls; 0: unlimited. */
  readonly dailyBudgetUsd: number;
  /** US dollars a calendar month (UTC) the agent may spend on LLM calls; 0: unlimited. */
  readonly monthlyBudgetUsd: number;
  /** Content sensitivity levels, in priority order (the first matching `routeTo` wins). */
  readonly sensitivity: readonly SensitivityRule[];
}

/** The identity of a sender on a channel, as `owners` and `allowedSenders` write it. */
export function identity(channel: string, sender: string): string {
  return `${channel}:${sender}`;
}

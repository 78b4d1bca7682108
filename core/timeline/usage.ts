/**
 * Model usage: one row per LLM call, so that quotas (tokens a day, per agent and per sender) and
 * budgets can be answered with one indexed sum.
 *
 * @module
 */
import type { Db } from "./_db.ts";
import { int, real, text } from "./_row.ts";

/** One model call. */
export interface UsageInput {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd?: number;
  readonly agent?: string;
  readonly sender?: string;
  readonly channel?: string;
  readonly provider?: string;
  readonly model?: string;
  readonly traceId?: string;
  readonly taskId?: string;
  /** Default: the clock's now. */
  readonly at?: Date;
}

/** Which calls a sum covers: all of them, or one agent's, or one sender's, or both. */
export interface UsageFilter {
  readonly agent?: string;
  readonly sender?: string;
}

/**
 * Midnight UTC at the start of the day of `now`: where a daily quota starts counting.
 *
 * @example
 * ```ts
 * import { startOfUtcDay } from "./usage.ts";
 * const start = startOfUtcDay(new Date("2026-03-01T23:30:00-05:00"));
 * console.assert(start.toISOString() === "2026-03-02T00:00:00.000Z");
 * ```
 */
export function startOfUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

const SINCE = "FROM llm_usage WHERE at >= ?1 AND (?2 IS NULL OR agent = ?2) AND " +
  "(?3 IS NULL OR sender = ?3)";

/** The `usage` repository of a Timeline. */
export class UsageLog {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Records one call. Token counts must be whole and not negative. */
  record(input: UsageInput): void {
    for (
      const [name, value] of [["prompt", input.promptTokens], [
        "completion",
        input.completionTokens,
      ]] as const
    ) {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(
          `The ${name} token count must be a whole number of at least 0, got ${value}`,
        );
      }
    }
    this.#db.run(
      `INSERT INTO llm_usage (at, agent, sender, channel, provider, model, trace_id, task_id,
        prompt_tokens, completion_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      input.at ?? this.#db.now(),
      input.agent ?? "",
      input.sender ?? "",
      input.channel ?? "",
      input.provider ?? "",
      input.model ?? "",
      input.traceId,
      input.taskId,
      input.promptTokens,
      input.completionTokens,
      input.costUsd ?? 0,
    );
  }

  /** Prompt plus completion tokens of the calls at or after `start`. */
  tokensSince(start: Date, filter: UsageFilter = {}): number {
    const row = this.#db.get(
      `SELECT coalesce(sum(prompt_tokens + completion_tokens), 0) AS n ${SINCE}`,
      start,
      filter.agent,
      filter.sender,
    );
    return int(row!, "n");
  }

  /** The cost in USD of the calls at or after `start`. */
  costSince(start: Date, filter: UsageFilter = {}): number {
    const row = this.#db.get(
      `SELECT total(cost_usd) AS n ${SINCE}`,
      start,
      filter.agent,
      filter.sender,
    );
    return real(row!, "n");
  }

  /**
   * The sender (`channel:sender`) whose calls at or after `start` used the most tokens, with
   * those tokens; undefined when no call since then had a sender (a scheduled job's have none).
   */
  topSenderSince(start: Date): { sender: string; tokens: number } | undefined {
    const row = this.#db.get(
      `SELECT sender, sum(prompt_tokens + completion_tokens) AS n FROM llm_usage
        WHERE at >= ? AND sender != '' GROUP BY sender ORDER BY n DESC, sender LIMIT 1`,
      start,
    );
    return row === undefined ? undefined : { sender: text(row, "sender"), tokens: int(row, "n") };
  }
}

/**
 * What `/metrics` counts, read from the timeline in a few aggregate queries: events by kind (turns
 * are INBOUND events, tool calls TOOL events), the LLM calls' latency (their spans' durations),
 * tokens spent, tasks and group tasks by status, and the approvals still pending. The counts are
 * the home's, so they survive a restart and include every process of it.
 *
 * @module
 */
import type { Db } from "./_db.ts";
import { int, text } from "./_row.ts";

/** The LLM calls' durations: how many, their sum, and the latest ones for quantiles. */
export interface LatencySample {
  readonly count: number;
  readonly sumMs: number;
  /** The durations of the latest calls (at most the limit asked), in ms. */
  readonly recentMs: readonly number[];
}

/** The `metrics` repository of a Timeline. */
export class MetricsQuery {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Events by kind. */
  eventsByKind(): Record<string, number> {
    return this.#counts("SELECT kind AS k, count(*) AS n FROM timeline_events GROUP BY kind");
  }

  /** Tasks (inbound messages) by status. */
  tasksByStatus(): Record<string, number> {
    return this.#counts("SELECT status AS k, count(*) AS n FROM tasks GROUP BY status");
  }

  /** Group tasks this agent sent, by status. */
  groupTasksByStatus(): Record<string, number> {
    return this.#counts(
      "SELECT status AS k, count(*) AS n FROM group_tasks WHERE direction = 'outgoing' GROUP BY status",
    );
  }

  /** Approval requests still waiting. */
  approvalsPending(): number {
    const row = this.#db.get(
      "SELECT count(*) AS n FROM approval_requests WHERE status = 'pending'",
    );
    return int(row!, "n");
  }

  /** Tokens of every LLM call. */
  tokens(): { readonly prompt: number; readonly completion: number } {
    const row = this.#db.get(
      `SELECT coalesce(sum(prompt_tokens), 0) AS p, coalesce(sum(completion_tokens), 0) AS c
        FROM llm_usage`,
    )!;
    return { prompt: int(row, "p"), completion: int(row, "c") };
  }

  /** The ended LLM calls' durations; the latest `recent` of them one by one. */
  llmLatency(recent = 1000): LatencySample {
    const total = this.#db.get(
      `SELECT count(*) AS n, coalesce(sum(duration_ms), 0) AS s FROM timeline_events
        WHERE kind = 'LLM' AND duration_ms IS NOT NULL`,
    )!;
    const rows = this.#db.all(
      `SELECT duration_ms AS d FROM timeline_events WHERE kind = 'LLM' AND duration_ms IS NOT NULL
        ORDER BY id DESC LIMIT ?`,
      recent,
    );
    return {
      count: int(total, "n"),
      sumMs: int(total, "s"),
      recentMs: rows.map((r) => int(r, "d")),
    };
  }

  #counts(sql: string): Record<string, number> {
    return Object.fromEntries(this.#db.all(sql).map((row) => [text(row, "k"), int(row, "n")]));
  }
}

/**
 * Expertise: one event per use of a skill (`skill_events`) and the running totals per skill
 * (`agent_expertise`). How quality averages and trends are computed is the memory layer's
 * business; this repository stores what it is given.
 *
 * @module
 */
import type { Db, Row } from "./_db.ts";
import { int, optDate, real, text } from "./_row.ts";

/** Whether a skill's recent quality rose, held or fell. */
export type SkillTrend = "improving" | "stable" | "declining";

/** One use of a skill. */
export interface SkillEventInput {
  readonly skill: string;
  readonly success: boolean;
  /** From 0 to 1. */
  readonly quality: number;
  readonly durationMs: number;
  readonly taskId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The totals of one skill. */
export interface SkillTotals {
  readonly skill: string;
  readonly successCount: number;
  readonly failureCount: number;
  readonly avgQuality: number;
  readonly totalDurationMs: number;
  readonly lastUsed: Date | undefined;
  readonly trend: SkillTrend;
}

function toTotals(row: Row): SkillTotals {
  return {
    skill: text(row, "skill"),
    successCount: int(row, "success_count"),
    failureCount: int(row, "failure_count"),
    avgQuality: real(row, "avg_quality"),
    totalDurationMs: int(row, "total_duration_ms"),
    lastUsed: optDate(row, "last_used"),
    trend: text(row, "trend") as SkillTrend,
  };
}

/** The `expertise` repository of a Timeline. */
export class ExpertiseStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Records an event and adds it to the skill's counts and duration. */
  record(input: SkillEventInput): void {
    if (!(input.quality >= 0 && input.quality <= 1)) {
      throw new RangeError(`A skill quality must be from 0 to 1, got ${input.quality}`);
    }
    if (!Number.isInteger(input.durationMs) || input.durationMs < 0) {
      throw new RangeError(`A duration must be a whole number of ms, got ${input.durationMs}`);
    }
    const now = this.#db.now();
    this.#db.tx(() => {
      this.#db.run(
        `INSERT INTO agent_expertise (skill, success_count, failure_count, total_duration_ms, last_used)
          VALUES (?1, ?2, 1 - ?2, ?3, ?4)
          ON CONFLICT (skill) DO UPDATE SET success_count = success_count + ?2,
            failure_count = failure_count + 1 - ?2, total_duration_ms = total_duration_ms + ?3,
            last_used = ?4`,
        input.skill,
        input.success ? 1 : 0,
        input.durationMs,
        now,
      );
      this.#db.run(
        `INSERT INTO skill_events (skill, task_id, action, quality, duration_ms, metadata, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?)`,
        input.skill,
        input.taskId,
        input.success ? "success" : "failure",
        input.quality,
        input.durationMs,
        JSON.stringify(input.metadata ?? {}),
        now,
      );
    });
  }

  /** The qualities of a skill's last `limit` events, newest first. */
  recentQualities(skill: string, limit: number): number[] {
    return this.#db.all(
      "SELECT quality FROM skill_events WHERE skill = ? ORDER BY id DESC LIMIT ?",
      skill,
      limit,
    ).map((row) => real(row, "quality"));
  }

  /** Sets a skill's average quality and trend. */
  setQuality(skill: string, avgQuality: number, trend: SkillTrend): void {
    this.#db.run(
      "UPDATE agent_expertise SET avg_quality = ?, trend = ? WHERE skill = ?",
      avgQuality,
      trend,
      skill,
    );
  }

  /** A skill's totals. */
  get(skill: string): SkillTotals | undefined {
    const row = this.#db.get("SELECT * FROM agent_expertise WHERE skill = ?", skill);
    return row && toTotals(row);
  }

  /** Every skill's totals, by name. */
  all(): SkillTotals[] {
    return this.#db.all("SELECT * FROM agent_expertise ORDER BY skill").map(toTotals);
  }
}

/**
 * Expertise: how well the agent does each skill, from one event per use. As in the Go original,
 * a use has a quality from 0 to 1 (0.7 for a success, 0.2 for a failure unless the caller
 * knows better); the average quality is over the last 50 uses; the trend compares the last 10
 * uses with the 10 before (more than 0.1 up is improving, more than 0.1 down declining, and
 * stable until there are 20); and
 *
 *     score = 0.6 · successRate + 0.3 · avgQuality + 0.1 · min(1, uses / 100)
 *
 * @module
 */
import type { SkillTotals, SkillTrend, Timeline } from "../timeline/mod.ts";

/** One use of a skill. */
export interface SkillEvent {
  readonly skill: string;
  readonly success: boolean;
  /** From 0 to 1 (default 0.7 for a success, 0.2 for a failure). */
  readonly quality?: number;
  readonly durationMs?: number;
  readonly taskId?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** A skill's record. */
export interface Expertise extends SkillTotals {
  readonly total: number;
  readonly successRate: number;
  readonly avgDurationMs: number;
  readonly score: number;
}

/** Uses averaged into the quality. */
export const QUALITY_WINDOW = 50;
/** Uses in each half of the trend comparison. */
export const TREND_WINDOW = 10;

function mean(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/**
 * The trend of qualities given newest first.
 *
 * @example
 * ```ts
 * import { trendOf } from "./expertise.ts";
 * console.assert(trendOf([...Array(10).fill(0.9), ...Array(10).fill(0.5)]) === "improving");
 * console.assert(trendOf([0.9, 0.1]) === "stable");
 * ```
 */
export function trendOf(newestFirst: readonly number[]): SkillTrend {
  if (newestFirst.length < 2 * TREND_WINDOW) return "stable";
  const delta = mean(newestFirst.slice(0, TREND_WINDOW)) -
    mean(newestFirst.slice(TREND_WINDOW, 2 * TREND_WINDOW));
  if (delta > 0.1) return "improving";
  if (delta < -0.1) return "declining";
  return "stable";
}

/** A skill's score, from 0 to 1. */
export function expertiseScore(
  totals: Pick<SkillTotals, "successCount" | "failureCount" | "avgQuality">,
): number {
  const total = totals.successCount + totals.failureCount;
  if (total === 0) return 0;
  return 0.6 * (totals.successCount / total) + 0.3 * totals.avgQuality +
    0.1 * Math.min(1, total / 100);
}

/** A stored skill's record (a stored skill has at least one use). */
function toExpertise(totals: SkillTotals): Expertise {
  const total = totals.successCount + totals.failureCount;
  return {
    ...totals,
    total,
    successRate: totals.successCount / total,
    avgDurationMs: totals.totalDurationMs / total,
    score: expertiseScore(totals),
  };
}

/** Records a use of a skill and returns the skill's record after it. */
export function recordSkillEvent(timeline: Timeline, event: SkillEvent): Expertise {
  if (event.skill.trim() === "") throw new RangeError("A skill needs a name");
  return timeline.transaction(() => {
    timeline.expertise.record({
      skill: event.skill,
      success: event.success,
      quality: event.quality ?? (event.success ? 0.7 : 0.2),
      durationMs: Math.round(event.durationMs ?? 0),
      ...(event.taskId === undefined ? {} : { taskId: event.taskId }),
      ...(event.metadata === undefined ? {} : { metadata: event.metadata }),
    });
    const qualities = timeline.expertise.recentQualities(event.skill, QUALITY_WINDOW);
    timeline.expertise.setQuality(event.skill, mean(qualities), trendOf(qualities));
    return toExpertise(timeline.expertise.get(event.skill)!);
  });
}

/** A skill's record, if it was ever used. */
export function expertise(timeline: Timeline, skill: string): Expertise | undefined {
  const totals = timeline.expertise.get(skill);
  return totals && toExpertise(totals);
}

/** The best skills by score (ties by name), at most `limit` (default 10). */
export function topSkills(timeline: Timeline, limit = 10): Expertise[] {
  return timeline.expertise.all().map(toExpertise)
    .sort((a, b) => b.score - a.score || a.skill.localeCompare(b.skill))
    .slice(0, limit);
}

/** The skill class of a tool, as the Go original groups them (unknown tools are `general`). */
export function skillOfTool(tool: string): string {
  for (const [skill, pattern] of SKILL_CLASSES) if (pattern.test(tool)) return skill;
  return "general";
}

const SKILL_CLASSES: readonly (readonly [string, RegExp])[] = [
  ["filesystem", /^(read_file|write_file|edit_file|list_dir)$/],
  ["shell", /^exec$/],
  ["memory", /^(remember|recall)$/],
  ["research", /^(web_fetch|web_search)$/],
  ["communication", /^(message|sessions_spawn|speak|transcribe_audio)$/],
];

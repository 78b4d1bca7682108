/**
 * How long memories are kept. A chunk's kind is the part of its source before the first colon
 * (`conversation:telegram` is a `conversation`). Conversations are kept 30 days, tool results 14,
 * group items 60, counted from the last time the chunk was stored; soul sections, what the user
 * asked to remember and session summaries are permanent. Other kinds have no age limit. Above the
 * chunk cap, the least recently stored chunks that are not permanent go first.
 *
 * @module
 */
import type { Timeline } from "../timeline/mod.ts";

/** Days each kind of memory is kept (`undefined`: for good, and never deleted by the cap). */
export const RETENTION_DAYS: Readonly<Record<string, number | undefined>> = Object.freeze({
  conversation: 30,
  tool: 14,
  group: 60,
  soul: undefined,
  user: undefined,
  summary: undefined,
});

/** Kinds that are never deleted. */
export const PERMANENT_KINDS: readonly string[] = Object.freeze(
  Object.entries(RETENTION_DAYS).filter(([, days]) => days === undefined).map(([kind]) => kind),
);

/** The default chunk cap. */
export const DEFAULT_MAX_CHUNKS = 50_000;

const DAY_MS = 86_400_000;

/** The kind of a source: `conversation:telegram` → `conversation`. */
export function sourceKind(source: string): string {
  const colon = source.indexOf(":");
  return colon === -1 ? source : source.slice(0, colon);
}

/** What a prune removed. */
export interface PruneReport {
  /** Chunks past their age, by kind (only kinds that lost some). */
  readonly expired: Readonly<Record<string, number>>;
  /** Chunks removed to get under the cap. */
  readonly overCap: number;
  /** Chunks left. */
  readonly remaining: number;
}

/** Deletes chunks past their kind's age, then the oldest non-permanent ones above `maxChunks`. */
export function prune(
  timeline: Timeline,
  options: { readonly now: Date; readonly maxChunks: number },
): PruneReport {
  const expired: Record<string, number> = {};
  for (const [kind, days] of Object.entries(RETENTION_DAYS)) {
    if (days === undefined) continue;
    const removed = timeline.memory.deleteExpired(
      kind,
      new Date(options.now.getTime() - days * DAY_MS),
    );
    if (removed > 0) expired[kind] = removed;
  }
  const overCap = enforceCap(timeline, options.maxChunks);
  return { expired, overCap, remaining: timeline.memory.count() };
}

/** Deletes the oldest non-permanent chunks above `maxChunks`; returns how many. */
export function enforceCap(timeline: Timeline, maxChunks: number): number {
  const excess = timeline.memory.count() - maxChunks;
  return excess > 0 ? timeline.memory.deleteOldest(excess, PERMANENT_KINDS) : 0;
}

/**
 * The pure half of hybrid search: the FTS5 query made from what the user typed, and reciprocal
 * rank fusion of the keyword and vector rankings.
 *
 * @module
 */

/** The constant of reciprocal rank fusion: 60, as in Cormack, Clarke and Büttcher (2009). */
export const RRF_K = 60;

/** Words too common to say anything about which memory is meant. */
const STOPWORDS = new Set(
  ("a an and are as at be been but by can could did do does for from had has have how i if in " +
    "into is it its me my of on or our should so than that the their them then there these they " +
    "this to was we were what when where which who whom why will with would you your").split(" "),
);

/** Most words taken from one query. */
const MAX_TERMS = 32;

/**
 * An FTS5 query matching any of the words of `text` (letters and digits; every other character
 * separates words), stop words left out unless nothing else is left. Words of four letters or
 * more also match as prefixes, so `deploy` finds `deployment`. Undefined when `text` has no
 * word. Each term is quoted, so nothing the user types is read as FTS5 syntax.
 *
 * @example
 * ```ts
 * import { ftsQuery } from "./fusion.ts";
 * console.assert(ftsQuery("How do I deploy the app?") === '"deploy"* OR "app"');
 * console.assert(ftsQuery("   ") === undefined);
 * ```
 */
export function ftsQuery(text: string): string | undefined {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])];
  const meaningful = words.filter((w) => !STOPWORDS.has(w));
  const terms = (meaningful.length > 0 ? meaningful : words).slice(0, MAX_TERMS);
  if (terms.length === 0) return undefined;
  return terms.map((w) => (w.length >= 4 ? `"${w}"*` : `"${w}"`)).join(" OR ");
}

/** One item of a fused ranking. */
export interface Fused<T> {
  readonly item: T;
  /** The sum of 1 / (k + rank) over the rankings that hold the item. */
  readonly score: number;
  /** The item's rank (from 1) in each input ranking, or undefined where it is absent. */
  readonly ranks: readonly (number | undefined)[];
}

/**
 * Reciprocal rank fusion: every ranking gives each of its items 1 / (k + rank), ranks from 1, and
 * the items are ordered by their sums, best first. Ties keep the order of first appearance,
 * ranking by ranking. Items are the same when `key` says so.
 *
 * @example
 * ```ts
 * import { fuse } from "./fusion.ts";
 * const fused = fuse([["a", "b"], ["b", "c"]], (x) => x);
 * console.assert(fused.map((f) => f.item).join() === "b,a,c");
 * ```
 */
export function fuse<T>(
  rankings: readonly (readonly T[])[],
  key: (item: T) => string,
  k: number = RRF_K,
): Fused<T>[] {
  if (!(k > 0)) throw new RangeError(`The fusion constant must be positive, got ${k}`);
  const byKey = new Map<string, { item: T; score: number; ranks: (number | undefined)[] }>();
  rankings.forEach((ranking, list) => {
    ranking.forEach((item, index) => {
      const id = key(item);
      let entry = byKey.get(id);
      if (entry === undefined) {
        entry = { item, score: 0, ranks: rankings.map(() => undefined) };
        byKey.set(id, entry);
      }
      if (entry.ranks[list] !== undefined) return;
      entry.ranks[list] = index + 1;
      entry.score += 1 / (k + index + 1);
    });
  });
  return [...byKey.values()].sort((a, b) => b.score - a.score);
}

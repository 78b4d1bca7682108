/**
 * Small types that several timeline repositories share.
 *
 * @module
 */

/** The policy's words, as the timeline stores them. */
export type { MessageType, Taint, Tier } from "../policy/mod.ts";

/** A page of rows, newest first, and the cursor for the next (older) page. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Pass as `before` to get the next page; undefined on the last one. */
  readonly next: number | undefined;
}

/** Paging options: at most `limit` rows (default 50, at most 1000), older than row `before`. */
export interface PageOptions {
  readonly limit?: number;
  readonly before?: number;
}

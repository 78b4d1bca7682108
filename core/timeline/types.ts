/**
 * Small types that several timeline repositories share.
 *
 * @module
 */

/** Whether content came from someone the owner trusts (PROTOCOL.md `Taint`). */
export type Taint = "trusted" | "untrusted";

/** Internal (the owner) or external (anyone else, other agents' tasks by default). */
export type MessageType = "internal" | "external";

/** The tool tiers: 0 read-only, 1 writes inside the workspace, 2 high-risk. */
export type Tier = 0 | 1 | 2;

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

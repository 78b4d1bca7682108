/**
 * What the chunk store and the vector store share: a chunk as read from a row, and the zone
 * filter of a search in SQL. Folder-private; the types are exported by chunks.ts.
 *
 * @module
 */
import type { Row } from "./_db.ts";
import { date, int, optDate, optText, text } from "./_row.ts";
import type { Taint } from "./types.ts";

/** A stored chunk. */
export interface MemoryChunk {
  readonly seq: number;
  readonly id: string;
  readonly source: string;
  readonly content: string;
  readonly tags: readonly string[];
  readonly taint: Taint;
  /** Undefined for public. */
  readonly zone: string | undefined;
  /** The model its vector came from; undefined while it has none. */
  readonly embeddingModel: string | undefined;
  /** When it expires (a group's context item): no search sees it after. Undefined: never. */
  readonly expiresAt: Date | undefined;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Which zones a search sees besides public: the given ones, or every zone. */
export type ZoneFilter = readonly string[] | "all";

/** A `memory_chunks` row (aliased `c` or not) as a chunk. */
export function toChunk(row: Row): MemoryChunk {
  const tags = text(row, "tags");
  return {
    seq: int(row, "seq"),
    id: text(row, "id"),
    source: text(row, "source"),
    content: text(row, "content"),
    tags: tags === "" ? [] : tags.split(", "),
    taint: text(row, "taint") as Taint,
    zone: optText(row, "zone"),
    embeddingModel: optText(row, "embedding_model"),
    expiresAt: optDate(row, "expires_at"),
    createdAt: date(row, "created_at"),
    updatedAt: date(row, "updated_at"),
  };
}

/** Now in SQL, as the ISO 8601 text every time is stored as (the system clock). */
export const SQL_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/**
 * The condition that chunk `c` is visible: not expired, and public, or of a zone in the JSON array
 * bound to parameter `zones`, or any zone when parameter `all` is 1 (the values of
 * {@link zoneParams}). Expiry runs on the system clock, so no search returns a chunk past it even
 * before the sweep deletes it.
 */
export function visible(zones: number, all: number): string {
  return `((c.expires_at IS NULL OR c.expires_at > ${SQL_NOW}) AND ` +
    `(c.zone IS NULL OR ?${all} = 1 OR c.zone IN (SELECT value FROM json_each(?${zones}))))`;
}

/** The two parameters of {@link visible}: the zones as JSON, and 1 for every zone. */
export function zoneParams(zones: ZoneFilter): [string, number] {
  return zones === "all" ? ["[]", 1] : [JSON.stringify(zones), 0];
}

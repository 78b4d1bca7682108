/**
 * Typed readers for rows: integers arrive as bigint and are turned into numbers only when they
 * fit exactly, so a corrupt or hostile value never becomes a silently wrong count.
 *
 * @module
 */
import type { Row } from "./_db.ts";
import type { Page } from "./types.ts";

function column(row: Row, name: string) {
  return row[name];
}

/** An integer column as a number; throws RangeError past ±2^53. */
export function int(row: Row, name: string): number {
  const value = column(row, name);
  if (typeof value === "bigint") {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new RangeError(`Cannot read column "${name}": ${value} is too large for a number`);
    }
    return Number(value);
  }
  throw new RangeError(`Cannot read column "${name}": expected an integer, got ${typeof value}`);
}

/** An integer column that may be NULL. */
export function optInt(row: Row, name: string): number | undefined {
  return column(row, name) === null ? undefined : int(row, name);
}

/** A REAL column (an integer is accepted: SQLite stores 0.0 as 0). */
export function real(row: Row, name: string): number {
  const value = column(row, name);
  return typeof value === "number" ? value : int(row, name);
}

/** A TEXT column. */
export function text(row: Row, name: string): string {
  const value = column(row, name);
  if (typeof value !== "string") {
    throw new RangeError(
      `Cannot read column "${name}": expected text, got ${value === null ? "NULL" : typeof value}`,
    );
  }
  return value;
}

/** A TEXT column that may be NULL. */
export function optText(row: Row, name: string): string | undefined {
  return column(row, name) === null ? undefined : text(row, name);
}

/** A BLOB column. */
export function blob(row: Row, name: string): Uint8Array {
  const value = column(row, name);
  if (!(value instanceof Uint8Array)) {
    throw new RangeError(
      `Cannot read column "${name}": expected a blob, got ${
        value === null ? "NULL" : typeof value
      }`,
    );
  }
  return value;
}

/** A 0/1 column. */
export function bool(row: Row, name: string): boolean {
  return int(row, name) !== 0;
}

/** An ISO 8601 TEXT column as a Date. */
export function date(row: Row, name: string): Date {
  return new Date(text(row, name));
}

/** An ISO 8601 TEXT column that may be NULL. */
export function optDate(row: Row, name: string): Date | undefined {
  const value = optText(row, name);
  return value === undefined ? undefined : new Date(value);
}

/** A JSON object column (the schema checks `json_type(…) = 'object'`). */
export function json(row: Row, name: string): Record<string, unknown> {
  return JSON.parse(text(row, name));
}

/** The two hex digits of each byte value. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Random lower-case hex of `bytes` bytes: 16 for trace ids, 8 for span and approval ids. */
export function randomHex(bytes: number): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) hex += HEX[b];
  return hex;
}

/** Checks a page size: an integer from 1 to 1000. */
export function pageLimit(limit: number | undefined, fallback = 50): number {
  const value = limit ?? fallback;
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    throw new RangeError(`A page limit must be an integer from 1 to 1000, got ${value}`);
  }
  return value;
}

/** A page from rows fetched with `LIMIT limit + 1`: the extra row says there is a next page. */
export function pageOf<T extends { readonly id: number }>(
  rows: readonly Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const items = rows.slice(0, limit).map(map);
  return { items, next: rows.length > limit ? items[items.length - 1]!.id : undefined };
}

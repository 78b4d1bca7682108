/**
 * The one way a core record becomes JSON for a user, as the gateway's API answers it and as
 * `kafclaw memory ... --json` prints it: its keys in snake_case (`approvalId` → `approval_id`), its
 * Dates as ISO 8601 strings, an absent value as null. Only the record's own keys change; what a
 * value holds passes as it is (a tool's arguments, a protocol payload, an event's metadata are
 * data, whose keys are not the API's), so a record whose value is itself a core record turns that
 * one with its own call.
 *
 * @module
 */

/** `approvalId` → `approval_id`. */
type SnakeKey<S extends string> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${SnakeKey<Rest>}`
  : S;

/** A value as answered: a Date as a string, undefined as null. */
type WireValue<V> = V extends Date ? string : V extends undefined ? null : V;

/** A record as {@link wire} answers it. */
export type Wire<T> = {
  [K in keyof T as K extends string ? SnakeKey<K> : never]-?: WireValue<T[K]>;
};

/** `approvalId` → `approval_id`. */
export function snakeKey(key: string): string {
  return key.replaceAll(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** `record` as the API answers it; see the module documentation. */
export function wire<T extends object>(record: T): Wire<T> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    out[snakeKey(key)] = value instanceof Date ? value.toISOString() : value ?? null;
  }
  return out as Wire<T>;
}

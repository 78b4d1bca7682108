/**
 * The connection under every repository: pragmas, file modes, a statement cache, parameter
 * conversion and `BEGIN IMMEDIATE` transactions. Folder-private: repositories use it, nothing else.
 *
 * @module
 */
import {
  DatabaseSync,
  type SQLInputValue,
  type SQLOutputValue,
  type StatementSync,
} from "node:sqlite";
import { dirname } from "node:path";
import { storageError } from "./damaged.ts";

/** A row as node:sqlite returns it (integers as bigint: every statement reads BigInts). */
export type Row = Record<string, SQLOutputValue>;

/** What a query parameter may be: converted to what SQLite can bind (Date as ISO 8601 text). */
export type Param = SQLInputValue | boolean | Date | undefined;

/** Files that SQLite creates beside the database in WAL mode. */
export const SIBLINGS = ["-wal", "-shm"] as const;

const MEMORY = ":memory:";

/** Creates the database file 0600 (its folder 0700) before SQLite opens it; tightens an old one. */
export function prepareFile(path: string): void {
  if (path === MEMORY) return;
  Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
  restrict(path);
}

/** Sets a file to 0600 when it exists with any other mode. */
export function restrict(path: string): void {
  let mode: number | null;
  try {
    mode = Deno.statSync(path).mode;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (mode !== null && (mode & 0o777) !== 0o600) Deno.chmodSync(path, 0o600);
}

/**
 * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT`: the write lock is taken up front, so two processes
 * never deadlock upgrading a read lock. Rolls back on any error (unless SQLite already did).
 */
export function transaction<T>(raw: DatabaseSync, fn: () => T): T {
  raw.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    raw.exec("COMMIT");
    return result;
  } catch (error) {
    if (raw.isTransaction) raw.exec("ROLLBACK");
    throw error;
  }
}

function bind(value: Param): SQLInputValue {
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * One open connection, shared by the repositories of a Timeline. A write either lands or throws:
 * every statement runs to its end (see {@link Db.get}), and an error that a full disk caused is
 * thrown as a DiskFullError naming the database.
 */
export class Db {
  readonly raw: DatabaseSync;
  /** The database file, for messages. */
  readonly path: string;
  readonly #clock: () => Date;
  readonly #cache = new Map<string, StatementSync>();

  constructor(raw: DatabaseSync, clock: () => Date, path = ":memory:") {
    this.raw = raw;
    this.#clock = clock;
    this.path = path;
  }

  /** The clock's time. */
  now(): Date {
    return this.#clock();
  }

  #statement(sql: string): StatementSync {
    let statement = this.#cache.get(sql);
    if (statement === undefined) {
      statement = this.raw.prepare(sql);
      statement.setReadBigInts(true);
      this.#cache.set(sql, statement);
    }
    return statement;
  }

  #checked<T>(fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw storageError(error, this.path);
    }
  }

  /**
   * The first row of a query, if any. The statement runs to its end: outside a transaction, a
   * write (`INSERT … RETURNING`) commits when its statement ends, and `StatementSync.get()` stops
   * at the first row and drops the error of that commit (a full disk), so the row would be
   * reported written and yet be rolled back.
   */
  get(sql: string, ...params: Param[]): Row | undefined {
    return this.#checked(() => this.#statement(sql).all(...params.map(bind))[0] as Row | undefined);
  }

  /** Every row of a query. */
  all(sql: string, ...params: Param[]): Row[] {
    return this.#checked(() => this.#statement(sql).all(...params.map(bind)) as Row[]);
  }

  /** Runs a statement; returns how many rows it changed. */
  run(sql: string, ...params: Param[]): number {
    return this.#checked(() => Number(this.#statement(sql).run(...params.map(bind)).changes));
  }

  /** See {@link transaction}; inside an open transaction, `fn` simply joins it. */
  tx<T>(fn: () => T): T {
    return this.raw.isTransaction ? fn() : this.#checked(() => transaction(this.raw, fn));
  }

  /** Closes the connection (cached statements die with it). */
  close(): void {
    this.#cache.clear();
    if (this.raw.isOpen) this.raw.close();
  }
}

/**
 * Parts of a group's shared memory items that wait for the rest (`memory_parts`, schema step 11),
 * so that an agent restarted between two parts of an item still puts it together: its stream
 * consumer has committed the parts it saw before, and will not see them again.
 *
 * @module
 */
import type { Db } from "./_db.ts";
import { date, int, text } from "./_row.ts";

/** A stored part: the record's payload as JSON, and when it came. */
export interface StoredMemoryPart {
  readonly authorId: string;
  readonly itemId: string;
  readonly part: number;
  readonly payload: string;
  readonly receivedAt: Date;
}

/** The `memoryParts` repository of a Timeline. */
export class MemoryPartStore {
  readonly #db: Db;

  /** Used by Timeline; not for direct use. */
  constructor(db: Db) {
    this.#db = db;
  }

  /** Keeps a part; a part already kept stays as it was. */
  put(part: Omit<StoredMemoryPart, "receivedAt">, receivedAt: Date): void {
    this.#db.run(
      `INSERT OR IGNORE INTO memory_parts (author_id, item_id, part, payload, received_at)
        VALUES (?, ?, ?, ?, ?)`,
      part.authorId,
      part.itemId,
      part.part,
      part.payload,
      receivedAt,
    );
  }

  /** Forgets the parts of an item (put together, refused or given up). */
  drop(authorId: string, itemId: string): void {
    this.#db.run("DELETE FROM memory_parts WHERE author_id = ? AND item_id = ?", authorId, itemId);
  }

  /** Every part kept, oldest first. */
  list(): StoredMemoryPart[] {
    return this.#db.all("SELECT * FROM memory_parts ORDER BY received_at, author_id, item_id, part")
      .map((row) => ({
        authorId: text(row, "author_id"),
        itemId: text(row, "item_id"),
        part: int(row, "part"),
        payload: text(row, "payload"),
        receivedAt: date(row, "received_at"),
      }));
  }
}

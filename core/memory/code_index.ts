/**
 * The code index: the binary codes of one model's vectors, held in memory, so that a search
 * scores every vector in a few milliseconds and reads back from the database only the few hundred
 * that score best, to rank them by their exact cosine (see codes.ts for the scoring).
 *
 * Several processes share one timeline, and any of them may add or delete chunks. Before each
 * search the index reads what changed since it last looked, with two indexed queries: the vector
 * rows added since the last row id it holds (a replaced vector is a new row), and the log of
 * deleted rows since the last entry it read. A deleted row's slot is marked dead, and the dead
 * are swept out once they are a quarter of the slots. When the log has dropped entries the index
 * has not read (it keeps the last 10,000), the index loads everything again. Whatever it holds,
 * it cannot return a wrong chunk: the final ranking reads the chunks, their zones and their
 * vectors from the database as they are at that moment.
 *
 * Until a model has a mean (fewer than 32 vectors), nothing is held, and every vector is ranked
 * exactly; with fewer vectors than the pool, the ranking is exact too.
 *
 * @module
 */
import type { MemoryChunk, StoredCodes, Timeline, ZoneFilter } from "../timeline/mod.ts";
import { bestSlots, codeWords, queryTables } from "./codes.ts";
import { ensureMean } from "./stored_vectors.ts";

/** The zone number of a dead slot (never visible). */
const DEAD = 0;
/** The zone number of public chunks (always visible). */
const PUBLIC = 1;

/**
 * How many of the best-scoring codes are ranked exactly: 1 in 200 of the vectors, at least 400,
 * at most 4,000, and never fewer than `k`.
 */
export function poolSize(vectors: number, k: number): number {
  return Math.max(k, Math.min(4000, Math.max(400, Math.ceil(vectors / 200))));
}

/** What a code index holds now. */
export interface CodeIndexStats {
  /** Live slots (vectors it can find). */
  readonly vectors: number;
  /** Bytes of the arrays it holds (codes, row ids, zone numbers). */
  readonly bytes: number;
}

/** See the module documentation. */
export class CodeIndex {
  readonly #timeline: Timeline;
  readonly model: string;
  readonly dimension: number;
  readonly #words: number;
  #mean: Float32Array | undefined;
  #ids = new Float64Array(0);
  #codes = new Uint32Array(0);
  #zones = new Uint32Array(0);
  #count = 0;
  #dead = 0;
  #lastId = 0;
  #lastGone = 0;
  readonly #zoneNumbers = new Map<string, number>();

  constructor(timeline: Timeline, options: { readonly model: string; readonly dimension: number }) {
    this.#timeline = timeline;
    this.model = options.model;
    this.dimension = options.dimension;
    this.#words = codeWords(options.dimension);
  }

  /** What it holds now. */
  stats(): CodeIndexStats {
    return {
      vectors: this.#count - this.#dead,
      bytes: this.#ids.byteLength + this.#codes.byteLength + this.#zones.byteLength,
    };
  }

  /**
   * The `k` chunks nearest to `query` that `zones` sees, nearest first, with their cosine
   * distance, after catching up with the database.
   */
  nearest(
    query: Float32Array,
    options: { readonly zones: ZoneFilter; readonly k: number },
  ): { chunk: MemoryChunk; distance: number }[] {
    const { zones, k } = options;
    const store = this.#timeline.memory.vectors;
    this.sync();
    if (this.#mean === undefined) return store.nearest(query, { zones, k, model: this.model });
    const slots = {
      codes: this.#codes,
      words: this.#words,
      count: this.#count,
      zones: this.#zones,
    };
    const pool = poolSize(this.#count - this.#dead, k);
    const best = bestSlots(slots, queryTables(query, this.#mean), this.#visible(zones), pool);
    // In row order, the database reads them page after page.
    const among = Array.from(Float64Array.from(best, (slot) => this.#ids[slot]!).sort());
    return store.nearest(query, { zones, k, model: this.model, among });
  }

  /** Catches up with the database (see the module documentation). */
  sync(): void {
    const store = this.#timeline.memory.vectors;
    if (this.#mean === undefined) {
      this.#mean = ensureMean(this.#timeline, this.model, this.dimension);
      if (this.#mean !== undefined) this.#load();
      return;
    }
    const gone = store.goneSince(this.#lastGone);
    if (gone.length > 0 && gone[0]!.id !== this.#lastGone + 1) return this.#load();
    for (const { id, vectorId } of gone) {
      this.#forget(vectorId);
      this.#lastGone = id;
    }
    this.#add(store.codes(this.model, this.#lastId));
    if (this.#dead > 64 && this.#dead * 4 > this.#count) this.#compact();
  }

  /** Loads every code of the model afresh. */
  #load(): void {
    const store = this.#timeline.memory.vectors;
    // The log is read first: a row deleted while the codes are read is then in its unread part.
    this.#lastGone = store.lastGone();
    const stored = store.codes(this.model, 0);
    this.#count = this.#dead = this.#lastId = 0;
    this.#grow(stored.ids.length + 1024);
    this.#add(stored);
  }

  /** Adds codes read from the database, in the order of their row ids. */
  #add(stored: StoredCodes): void {
    const { ids, zones, codes } = stored;
    if (this.#count + ids.length > this.#ids.length) this.#grow(2 * (this.#count + ids.length));
    const order = Array.from(ids.keys()).sort((a, b) => ids[a]! - ids[b]!);
    const bytes = this.#words * 4;
    const held = new Uint8Array(this.#codes.buffer);
    for (const row of order) {
      const slot = this.#count++;
      this.#ids[slot] = ids[row]!;
      held.set(codes.subarray(row * bytes, (row + 1) * bytes), slot * bytes);
      this.#zones[slot] = this.#zoneNumber(zones[row]!);
      this.#lastId = ids[row]!;
    }
  }

  /** Makes room for `capacity` slots, keeping what is held. */
  #grow(capacity: number): void {
    const ids = new Float64Array(capacity);
    const codes = new Uint32Array(capacity * this.#words);
    const zones = new Uint32Array(capacity);
    ids.set(this.#ids.subarray(0, this.#count));
    codes.set(this.#codes.subarray(0, this.#count * this.#words));
    zones.set(this.#zones.subarray(0, this.#count));
    [this.#ids, this.#codes, this.#zones] = [ids, codes, zones];
  }

  /** Marks the slot of vector row `id` dead (ids are held in ascending order). */
  #forget(id: number): void {
    let lo = 0, hi = this.#count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const at = this.#ids[mid]!;
      if (at < id) lo = mid + 1;
      else if (at > id) hi = mid - 1;
      else {
        if (this.#zones[mid] !== DEAD) this.#dead++;
        this.#zones[mid] = DEAD;
        return;
      }
    }
  }

  /** Moves the live slots together, in order. */
  #compact(): void {
    const words = this.#words;
    let kept = 0;
    for (let slot = 0; slot < this.#count; slot++) {
      if (this.#zones[slot] === DEAD) continue;
      this.#ids[kept] = this.#ids[slot]!;
      this.#zones[kept] = this.#zones[slot]!;
      this.#codes.copyWithin(kept * words, slot * words, (slot + 1) * words);
      kept++;
    }
    this.#count = kept;
    this.#dead = 0;
  }

  #zoneNumber(zone: string | null): number {
    if (zone === null) return PUBLIC;
    let number = this.#zoneNumbers.get(zone);
    if (number === undefined) {
      number = this.#zoneNumbers.size + 2;
      this.#zoneNumbers.set(zone, number);
    }
    return number;
  }

  /** Which zone numbers a search sees: public and the given zones, or all but the dead. */
  #visible(zones: ZoneFilter): Uint8Array {
    const visible = new Uint8Array(this.#zoneNumbers.size + 2);
    if (zones === "all") visible.fill(1);
    visible[DEAD] = 0;
    visible[PUBLIC] = 1;
    if (zones !== "all") {
      for (const zone of zones) {
        const number = this.#zoneNumbers.get(zone);
        if (number !== undefined) visible[number] = 1;
      }
    }
    return visible;
  }
}

/**
 * Per-author quotas of shared memory, enforced by each receiver (PROTOCOL.md semantics 8: an
 * item is stored "subject to per-author quotas"): within a sliding window, an author may share at
 * most so many items and so many content bytes. What goes over is refused by the receiver, however
 * the sender counted.
 *
 * @module
 */

/** How much one author may share within a window. */
export interface MemoryQuota {
  /** Items per window. */
  readonly items: number;
  /** Content bytes (UTF-8) per window. */
  readonly bytes: number;
  /** The window, in ms. */
  readonly windowMs: number;
}

/** The default: 100 items and 8 MiB per author per hour. */
export const DEFAULT_MEMORY_QUOTA: MemoryQuota = Object.freeze({
  items: 100,
  bytes: 8 * 1024 * 1024,
  windowMs: 60 * 60_000,
});

interface Charge {
  readonly at: number;
  readonly bytes: number;
  readonly items: number;
}

/** The quotas of every author seen within the window. */
export class AuthorQuotas {
  readonly #quota: MemoryQuota;
  readonly #charges = new Map<string, Charge[]>();

  constructor(quota: MemoryQuota = DEFAULT_MEMORY_QUOTA) {
    this.#quota = quota;
  }

  /**
   * Charges `author` with `bytes` of content and, for the first record of an item, one item.
   * Returns why not, charging nothing, when that would go over the quota.
   */
  charge(
    author: string,
    use: { readonly bytes: number; readonly newItem: boolean },
    now: number,
  ): string | undefined {
    const { items, bytes, windowMs } = this.#quota;
    const recent = (this.#charges.get(author) ?? []).filter((c) => now - c.at < windowMs);
    const usedItems = recent.reduce((sum, c) => sum + c.items, 0);
    const usedBytes = recent.reduce((sum, c) => sum + c.bytes, 0);
    const minutes = Math.round(windowMs / 60_000);
    if (use.newItem && usedItems + 1 > items) {
      this.#keep(author, recent);
      return `${author} already shared ${usedItems} items in ${minutes} min (quota ${items})`;
    }
    if (usedBytes + use.bytes > bytes) {
      this.#keep(author, recent);
      return `${author} would share ${usedBytes + use.bytes} bytes in ${minutes} min ` +
        `(quota ${bytes})`;
    }
    recent.push({ at: now, bytes: use.bytes, items: use.newItem ? 1 : 0 });
    this.#keep(author, recent);
    return undefined;
  }

  #keep(author: string, recent: Charge[]): void {
    if (recent.length === 0) this.#charges.delete(author);
    else this.#charges.set(author, recent);
  }
}

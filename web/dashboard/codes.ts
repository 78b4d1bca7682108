/**
 * One-time login codes: how `kafclaw gateway --open` hands the gateway's token to the browser it
 * opens without putting the token in a URL (a command line, a browser's history, a proxy's log).
 * The URL carries a code in its fragment (never sent to a server); the page trades it once, on
 * the dashboard's own origin, for the token. A code is 32 random bytes, good for one trade within
 * its lifetime (default 2 minutes), and unknown to every other process.
 *
 * @module
 */
import { encodeBase64Url } from "../../core/protocol/mod.ts";
import { sameToken } from "../guard.ts";

/** The codes of one running gateway. */
export class LoginCodes {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #live = new Map<string, number>();

  constructor(options: { readonly ttlMs?: number; readonly now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  /** A new code, good for one {@link redeem} within the lifetime. */
  issue(): string {
    this.#sweep();
    const code = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    this.#live.set(code, this.#now() + this.#ttlMs);
    return code;
  }

  /** Whether `code` was issued, is still good, and was not redeemed yet; it is spent either way. */
  redeem(code: string): boolean {
    this.#sweep();
    for (const known of this.#live.keys()) {
      // Compared in constant time, like the token: a code is a key for as long as it lives.
      if (sameToken(code, known)) {
        this.#live.delete(known);
        return true;
      }
    }
    return false;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [code, until] of this.#live) if (until <= now) this.#live.delete(code);
  }
}

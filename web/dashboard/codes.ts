/**
 * One-time login codes: how `kafclaw gateway --open` hands the gateway's token to the browser it
 * opens without putting the token in a URL (a command line, a browser's history, a proxy's log).
 * The URL carries a code in its fragment (never sent to a server); the page trades it once, on
 * the dashboard's own origin, for the token. A code is 32 random bytes, good for one trade within
 * its lifetime (default 2 minutes), and unknown to every other process. The same kind of code
 * opens one kshark report in the dashboard's frame ({@link ReportViews}).
 *
 * @module
 */
import { encodeBase64Url } from "../../core/protocol/mod.ts";
import { sameToken } from "../guard.ts";

/**
 * Codes of one running gateway, each standing for a value (what it lets its bearer do) and good
 * for one {@link take} within its lifetime; compared in constant time, like the token.
 */
export class OneTimeCodes<T> {
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #live = new Map<string, { readonly until: number; readonly value: T }>();

  constructor(options: { readonly ttlMs?: number; readonly now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 120_000;
    this.#now = options.now ?? Date.now;
  }

  /** A new code for `value`, good for one {@link take} within the lifetime. */
  issueFor(value: T): string {
    this.#sweep();
    const code = encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    this.#live.set(code, { until: this.#now() + this.#ttlMs, value });
    return code;
  }

  /** The value of `code` if it was issued, is still good and was not taken; spent either way. */
  take(code: string): T | undefined {
    this.#sweep();
    for (const [known, { value }] of this.#live) {
      // A code is a key for as long as it lives.
      if (sameToken(code, known)) {
        this.#live.delete(known);
        return value;
      }
    }
    return undefined;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [code, { until }] of this.#live) if (until <= now) this.#live.delete(code);
  }
}

/** The login codes of one running gateway (`--open`). */
export class LoginCodes extends OneTimeCodes<true> {
  /** A new code, good for one {@link redeem} within the lifetime. */
  issue(): string {
    return this.issueFor(true);
  }

  /** Whether `code` was issued, is still good, and was not redeemed yet; it is spent either way. */
  redeem(code: string): boolean {
    return this.take(code) === true;
  }
}

/**
 * The view codes of kshark reports: the dashboard's frame cannot send the token, so the API
 * (which takes it) gives the page a code for one report, which the dashboard's origin serves
 * once, within a minute.
 */
export class ReportViews extends OneTimeCodes<string> {
  constructor(options: { readonly now?: () => number } = {}) {
    super({ ttlMs: 60_000, ...options });
  }
}

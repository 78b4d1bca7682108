/**
 * A worker's claim on an `arbiter: "none"` task, sent as late as it may be (PROTOCOL.md,
 * semantics 3). With no arbiter the broker's acknowledgement of the claim is the grant, and only a
 * side effect needs the grant; so the claim does not go out while the turn thinks:
 *
 * - a side effect asks for it ({@link DeferredClaim.send}) and waits for its acknowledgement;
 * - a turn that ends sooner than the linger sends it in the same produce request as its final
 *   status and response ({@link DeferredClaim.with}): on the status stream the claim still comes
 *   first, and the answer costs one acknowledged produce instead of two, with nothing else on the
 *   wire (nor woken in the readers of the status stream) while the turn runs;
 * - a longer turn sends it alone after `lingerMs`, so the requester and `task show` see the task
 *   claimed while it runs.
 *
 * A run that ends without an answer and before the linger sends no claim: its record is not
 * committed, so the task is still the group's.
 *
 * @module
 */
import type { OutboundRecord } from "../transport/mod.ts";

/** How long a claim waits to go out with the answer (a turn answered at once sends one request). */
export const CLAIM_LINGER_MS = 50;

/** Sends records in one produce request; resolves once the broker acknowledged them. */
export type SendRecords = (records: readonly OutboundRecord[]) => Promise<void>;

/** One attempt's claim, held back until a side effect, the answer, or the linger sends it. */
export class DeferredClaim {
  /** Resolves when the broker acknowledged the claim (the grant); rejects when it failed. */
  readonly acknowledged: Promise<void>;
  readonly #done: PromiseWithResolvers<void>;
  readonly #claim: () => readonly OutboundRecord[];
  readonly #send: SendRecords;
  readonly #timer: ReturnType<typeof setTimeout>;
  #state: "held" | "sent" | "dropped" = "held";

  constructor(
    claim: () => readonly OutboundRecord[],
    send: SendRecords,
    lingerMs = CLAIM_LINGER_MS,
  ) {
    this.#claim = claim;
    this.#send = send;
    this.#done = Promise.withResolvers<void>();
    this.acknowledged = this.#done.promise;
    // Whoever waits on it handles a failure; a claim nobody waits on must not crash the process.
    this.acknowledged.catch(() => {});
    this.#timer = setTimeout(() => this.send(), lingerMs);
  }

  /** Whether the claim is still held back (nothing of it sent yet). */
  get held(): boolean {
    return this.#state === "held";
  }

  /** Sends the claim now, alone, unless it has gone already; see {@link acknowledged}. */
  send(): void {
    if (this.#state !== "held") return;
    this.#go(this.#send(this.#claim()));
  }

  /**
   * Sends `records` after the claim: in the same request while the claim is held, else once the
   * claim sent before is acknowledged (so that nothing goes out for a claim that failed).
   */
  async with(records: readonly OutboundRecord[]): Promise<void> {
    if (this.#state === "held") {
      const sent = this.#send([...this.#claim(), ...records]);
      this.#go(sent);
      return await sent;
    }
    await this.acknowledged;
    await this.#send(records);
  }

  /** The run ended: a claim still held is never sent. */
  drop(): void {
    clearTimeout(this.#timer);
    if (this.#state === "held") this.#state = "dropped";
  }

  #go(sent: Promise<void>): void {
    clearTimeout(this.#timer);
    this.#state = "sent";
    sent.then(this.#done.resolve, this.#done.reject);
  }
}

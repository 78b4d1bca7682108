/**
 * The worker's side of claim, grant, lease (PROTOCOL.md, semantics 3). A worker that takes a
 * request claims it and may start thinking at once; a {@link Grant} is what its turn must hold
 * before each side effect (it is the turn's {@link SideEffectFence}):
 *
 * - with `arbiter: "requester"` the grant arrives as `assigned` for this attempt in the worker's
 *   inbox; `revoked` (another claimant won) or a grant that never comes stops the run;
 * - while it holds the grant, the worker renews it every heartbeat interval with `in_progress`
 *   carrying the attempt; the requester acknowledges each with `assigned`, and when none came for
 *   two intervals the worker counts the grant lost and stops its run (the requester may already
 *   have given the task to another worker);
 * - silence is counted from when the worker *sent* what the requester last acknowledged (the
 *   claim, then each renewal, answered in order; a copy of an acknowledgement, read from the
 *   inbox and the status stream both, is told apart by the requester's `seq`), not from when the
 *   acknowledgement was read: a worker that was paused (SIGSTOP, a long GC, a slow disk) and
 *   reads old acknowledgements on waking finds its grant lost, as the requester may have given
 *   the task away meanwhile; a grant itself read more than 1 interval after the claim (a busy
 *   requester, or a worker paused before it read it) is confirmed first: the worker renews at
 *   once and holds the grant only when that renewal is acknowledged (a requester that moved on
 *   answers `revoked`);
 * - with `arbiter: "none"` the claim is the grant and nobody acknowledges renewals, so such a
 *   worker never stops itself; its turn starts before the claim is sent (it may think before the
 *   grant; deferred_claim.ts holds the claim back), a side effect sends the claim if it has not
 *   gone and waits for the broker's acknowledgement, which is the grant, and a claim that could
 *   not be sent loses the grant.
 *
 * Every side effect of the run carries the key `<task_id>#<attempt>`.
 *
 * @module
 */
import type { SideEffectFence } from "../agent/mod.ts";
import { within } from "./_within.ts";

/** Where a grant is. */
export type GrantState = "waiting" | "held" | "revoked" | "lost";

/** What a {@link Grant} is built from. */
export interface GrantOptions {
  readonly taskId: string;
  readonly attempt: number;
  /** The agent whose word on the grant counts. */
  readonly requester: string;
  readonly arbiter: "requester" | "none";
  /** Renewal interval; two of them without an acknowledgement and the grant is lost. */
  readonly heartbeatIntervalMs: number;
  /** How long a side effect waits for a grant that has not arrived. */
  readonly grantWaitMs: number;
  /** Sends one renewal (`in_progress` for this attempt). */
  readonly renew: () => Promise<void>;
  /**
   * With `arbiter: "none"`, the claim being sent: the grant is held once it is acknowledged, and
   * lost if it fails. Without it such a grant is held at once (its claim was sent before).
   */
  readonly claim?: Promise<void> | undefined;
  /** With `arbiter: "none"`, sends a claim still held back: a side effect needs its grant now. */
  readonly sendClaim?: () => void;
  readonly now?: () => number;
}

/** One attempt's grant, as the worker holding (or awaiting) it sees it. */
export class Grant implements SideEffectFence {
  readonly key: string;
  readonly #options: GrantOptions;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #state: GrantState;
  #lastAck = 0;
  /** When each status sent for the attempt (the claim, then renewals) left, oldest first. */
  readonly #unanswered: number[] = [];
  #lastSeq = -Infinity;
  #why = "";
  #changed = Promise.withResolvers<void>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: GrantOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.key = `${options.taskId}#${options.attempt}`;
    this.#state = "waiting";
    if (options.arbiter === "requester") {
      // The claim is sent as the grant is made: the requester's acknowledgement is the grant.
      this.#unanswered.push(this.#now());
    } else if (options.claim === undefined) this.#hold(this.#now());
    else {
      options.claim.then(
        () => this.#state === "waiting" && this.#hold(this.#now()),
        (error: unknown) => {
          const why = error instanceof Error ? error.message : String(error);
          if (this.#state === "waiting") this.#end("lost", `its claim was not sent: ${why}`);
        },
      );
    }
  }

  /** Where the grant is now (a held grant whose renewals went unacknowledged is lost). */
  get state(): GrantState {
    if (this.#state === "held" && this.#options.arbiter === "requester") {
      const silent = this.#now() - this.#lastAck;
      if (silent > 2 * this.#options.heartbeatIntervalMs) {
        this.#end("lost", `no acknowledgement of its renewals for ${silent} ms`);
      }
    }
    return this.#state;
  }

  /** Aborts when the grant is revoked or lost: the run stops. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /**
   * A word on this attempt: `assigned` (a grant or an acknowledgement) or `revoked`, with the
   * `seq` of the record that carried it (a copy, read from another topic, is ignored). Only the
   * requester's counts.
   */
  onStatus(status: "assigned" | "revoked", from: string, seq?: number): void {
    if (from !== this.#options.requester) return;
    if (this.#state === "revoked" || this.#state === "lost") return;
    if (seq !== undefined) {
      if (seq <= this.#lastSeq) return;
      this.#lastSeq = seq;
    }
    if (status === "revoked") {
      this.#end("revoked", "another worker holds the grant");
      return;
    }
    // What it acknowledges is the oldest status still unanswered; with none, nothing is fresher.
    const sentAt = this.#unanswered.shift() ?? this.#lastAck;
    if (this.#state !== "waiting") {
      this.#lastAck = Math.max(this.#lastAck, sentAt);
    } else if (this.#now() - sentAt > this.#options.heartbeatIntervalMs) {
      this.#renew();
    } else this.#hold(sentAt);
  }

  /** Resolves undefined once the grant is held; else why the side effect may not happen. */
  async check(signal: AbortSignal): Promise<string | undefined> {
    if (this.#state === "waiting") this.#options.sendClaim?.();
    const until = this.#now() + this.#options.grantWaitMs;
    while (this.state === "waiting" && !signal.aborted) {
      const left = until - this.#now();
      if (left <= 0) {
        return `Not done: task ${this.key} holds no grant yet (none came within ` +
          `${this.#options.grantWaitMs} ms); no side effect may happen without it`;
      }
      await within(this.#changed.promise, left, signal);
    }
    if (signal.aborted) return `Not done: the run of task ${this.key} was stopped`;
    return this.refusal();
  }

  /** Why no side effect may happen any more (the grant was revoked or lost); else undefined. */
  refusal(): string | undefined {
    const state = this.state;
    if (state !== "revoked" && state !== "lost") return undefined;
    return `Not done: task ${this.key} lost its grant (${this.#why}); the run stops`;
  }

  /** Gives the grant up (the worker is stopping): the run stops, and no side effect may follow. */
  abandon(why: string): void {
    if (this.#state === "revoked" || this.#state === "lost") return;
    this.#end("lost", why);
  }

  /** Stops renewing (the run ended). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #hold(since: number): void {
    this.#state = "held";
    this.#lastAck = since;
    this.#wake();
    if (this.#options.arbiter === "none") return;
    this.#timer = setInterval(() => {
      if (this.state !== "held") return this.close();
      this.#renew();
    }, this.#options.heartbeatIntervalMs);
  }

  #renew(): void {
    this.#unanswered.push(this.#now());
    this.#options.renew().catch(() => {
      // A renewal that could not be sent is one that goes unacknowledged.
    });
  }

  #end(state: "revoked" | "lost", why: string): void {
    this.#state = state;
    this.#why = why;
    this.close();
    this.#stop.abort(new Error(`task ${this.key}: ${why}`));
    this.#wake();
  }

  #wake(): void {
    this.#changed.resolve();
    this.#changed = Promise.withResolvers<void>();
  }
}

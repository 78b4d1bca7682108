/**
 * The bound of a running task: its deadline (the request's `deadline_at`, or the receiver's
 * default from when it took the task, limits.ts) plus the clock skew allowed. Past it the intake
 * stops the run (task_intake.ts): its turn is aborted, the attempt ends `failed` with the reason,
 * and its record is released. So a turn that never ends (an LLM that never answers, a tool that
 * hangs) cannot hold its partition's commit for ever (core/transport, watermark.ts), which would
 * have every later record of the partition redone after a restart.
 *
 * @module
 */

/** The longest delay a timer takes; a later bound is waited for in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** A running task's bound; see the module documentation. */
export class TaskDeadline {
  /** Why the run stops, for its status and response. */
  readonly reason: string;
  readonly #at: number;
  readonly #stop = new AbortController();
  readonly #reached = Promise.withResolvers<void>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Starts the bound `skewMs` after `deadline`; `now` is the clock it is measured on. */
  constructor(deadline: Date, skewMs: number, readonly now: () => number = Date.now) {
    this.#at = deadline.getTime() + skewMs;
    this.reason = `its deadline ${deadline.toISOString()} passed (with ${skewMs} ms allowed ` +
      "for clock skew) before it was done";
    this.#arm();
  }

  /** Aborts once the bound has passed. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Resolves once the bound has passed (never, once cancelled). */
  get reached(): Promise<void> {
    return this.#reached.promise;
  }

  /** Whether the bound has passed. */
  get passed(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Stops watching (the run ended). */
  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const left = this.#at - this.now();
    if (left <= 0) {
      this.#stop.abort(new Error(this.reason));
      this.#reached.resolve();
      return;
    }
    this.#timer = setTimeout(() => this.#arm(), Math.min(left, LONGEST_TIMER_MS));
  }
}

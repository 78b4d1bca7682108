/**
 * SIGINT and SIGTERM for a command that runs turns (`kafclaw agent`). Ctrl-C cancels the turn in
 * flight; at the prompt it leaves. SIGTERM interrupts the turn in flight (recorded in its session
 * as interrupted) and leaves. Leaving always goes through the command's cleanup, and the command
 * then ends with {@link Cancelled} (SIGINT, exit 130) or {@link Terminated} (SIGTERM, exit 143).
 *
 * @module
 */
import { Interruption } from "../core/agent/mod.ts";
import { Cancelled, Terminated } from "./_errors.ts";
import { STOP_SIGNALS, type StopSignal } from "./_starting.ts";

/** The stop signals of one command; dispose of it to remove the listeners. */
export class StopSignals implements Disposable {
  /** The signal that asked the command to leave, once one did. */
  received: StopSignal | undefined;
  readonly #leave = Promise.withResolvers<void>();
  #turn: AbortController | undefined;
  readonly #listeners = STOP_SIGNALS.map((signal) => [signal, () => this.#on(signal)] as const);

  constructor() {
    for (const [signal, listener] of this.#listeners) Deno.addSignalListener(signal, listener);
  }

  #on(signal: StopSignal): void {
    if (signal === "SIGINT" && this.#turn && !this.#turn.signal.aborted) {
      return this.#turn.abort();
    }
    this.received ??= signal;
    this.#turn?.abort(new Interruption(`kafclaw was stopped (${signal})`));
    this.#leave.resolve();
  }

  /**
   * Ctrl-C read as a key (a terminal in raw mode sends no signal): cancels the turn in flight, as
   * SIGINT does; false when no turn runs.
   */
  cancelTurn(): boolean {
    if (!this.#turn || this.#turn.signal.aborted) return false;
    this.#turn.abort();
    return true;
  }

  /** Resolves when a signal asks the command to leave. */
  get leaving(): Promise<void> {
    return this.#leave.promise;
  }

  /** Resolves with the signal that asked the command to leave, once one did. */
  get stopped(): Promise<StopSignal> {
    return this.#leave.promise.then(() => this.received!);
  }

  /** The signal of a new turn; ends with {@link endTurn}. */
  startTurn(): AbortSignal {
    this.#turn = new AbortController();
    if (this.received) this.#turn.abort(new Interruption(`kafclaw was stopped (${this.received})`));
    return this.#turn.signal;
  }

  /** The turn ended. */
  endTurn(): void {
    this.#turn = undefined;
  }

  /** Throws {@link Cancelled} or {@link Terminated} when a signal asked the command to leave. */
  throwIfStopped(): void {
    if (this.received === "SIGINT") throw new Cancelled();
    if (this.received === "SIGTERM") throw new Terminated();
  }

  [Symbol.dispose](): void {
    for (const [signal, listener] of this.#listeners) Deno.removeSignalListener(signal, listener);
  }
}

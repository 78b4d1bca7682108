/**
 * The delivery worker: answers whose delivery to their channel failed are tried again, with
 * backoff, a bounded number of times. Every `intervalMs` (5 s) it asks the timeline for the tasks
 * whose delivery is due and hands each to `deliver`, in order, one at a time (so the answers of one
 * chat keep their order). Success marks the delivery sent; an error counts a failed attempt, after
 * which the timeline makes the next one due `baseMs · 2^(attempts-1)` later (30 s, 60 s, 120 s …,
 * at most `capMs`, 5 min) and gives up, marking the delivery failed, after `maxAttempts` (5).
 *
 * @module
 */
import type { DeliveryRetry, Task, Timeline } from "../timeline/mod.ts";
import { type Clock, systemClock } from "./clock.ts";

/** The timeline repository the worker uses. */
export type DeliveryStore = Pick<Timeline, "tasks">;

/**
 * Sends a task's answer (`contentOut`) to its channel and chat. Rejects when it could not (the
 * attempt is retried later); resolves with `"skipped"` when the answer must not be sent at all.
 */
export type Deliver = (task: Task) => Promise<void | "skipped">;

/** Options of {@link DeliveryWorker}. */
export interface DeliveryWorkerOptions {
  readonly store: DeliveryStore;
  readonly deliver: Deliver;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Time between looks for due deliveries (default 5000 ms). */
  readonly intervalMs?: number;
  /** Attempts and backoff (default 5 attempts, 30 s doubling, at most 5 min). */
  readonly retry?: DeliveryRetry;
  /** Told about failed attempts and deliveries given up. */
  readonly warn?: (message: string) => void;
}

/** What one pass did. */
export interface DeliveryPass {
  readonly sent: number;
  readonly skipped: number;
  /** Attempts that failed and will be tried again. */
  readonly retrying: number;
  /** Deliveries given up after their last attempt. */
  readonly failed: number;
}

/** Retries due deliveries until stopped. */
export class DeliveryWorker implements AsyncDisposable {
  readonly #store: DeliveryStore;
  readonly #deliver: Deliver;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #retry: DeliveryRetry;
  readonly #warn: (message: string) => void;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  /** A worker that does nothing until {@link DeliveryWorker.start} (or a {@link DeliveryWorker.pass}). */
  constructor(options: DeliveryWorkerOptions) {
    this.#store = options.store;
    this.#deliver = options.deliver;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#retry = options.retry ?? {};
    this.#warn = options.warn ?? (() => {});
  }

  /** Starts the passes (the first one at once). Starting twice is a no-op. */
  start(): void {
    this.#loop ??= this.#cycle();
  }

  /** Stops after the delivery in progress, if any. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  /** Stops the worker. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** One pass over the deliveries due now. */
  async pass(): Promise<DeliveryPass> {
    const counts = { sent: 0, skipped: 0, retrying: 0, failed: 0 };
    for (const task of this.#store.tasks.dueDeliveries(this.#clock.now())) {
      if (this.#stop.signal.aborted) break;
      counts[await this.#attempt(task)]++;
    }
    return counts;
  }

  async #attempt(task: Task): Promise<keyof DeliveryPass> {
    const id = JSON.stringify(task.taskId);
    let outcome: void | "skipped";
    try {
      outcome = await this.#deliver(task);
    } catch (error) {
      const after = this.#store.tasks.deliveryFailed(task.taskId, this.#retry, error);
      const why = error instanceof Error ? error.message : String(error);
      if (after.deliveryStatus === "failed") {
        this.#warn(
          `gave up delivering task ${id} after ${after.deliveryAttempts} attempts: ${why}`,
        );
        return "failed";
      }
      this.#warn(
        `cannot deliver task ${id} (attempt ${after.deliveryAttempts}): ${why}; ` +
          `next attempt at ${after.deliveryNextAt!.toISOString()}`,
      );
      return "retrying";
    }
    const status = outcome === "skipped" ? "skipped" : "sent";
    this.#store.tasks.markDelivery(task.taskId, status);
    return status;
  }

  async #cycle(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      try {
        await this.pass();
      } catch (error) {
        this.#warn(`delivery worker: ${(error as Error).message}`);
      }
      await this.#clock.sleep(this.#intervalMs, this.#stop.signal);
    }
  }
}

/** Test helpers for the scheduler: a clock moved by hand, a timeline on it, a runner that records. */
import { setImmediate } from "node:timers";
import type { Clock } from "../../../../core/scheduler/mod.ts";
import type { Job } from "../../../../core/timeline/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";

interface Sleeper {
  readonly at: number;
  readonly resolve: () => void;
}

/** Lets every callback and promise that is ready run (a few rounds of the event loop). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A clock whose time moves only in {@link FakeClock.advance}, waking sleepers at their instants. */
export class FakeClock implements Clock {
  #ms: number;
  #sleepers: Sleeper[] = [];

  constructor(iso: string) {
    this.#ms = Date.parse(iso);
  }

  now = (): Date => new Date(this.#ms);

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper = { at: this.#ms + Math.max(0, ms), resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
    });
  }

  /** How many sleepers wait. */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward by `ms`, stopping at each sleeper's instant to let what it wakes run. */
  async advance(ms: number): Promise<void> {
    const target = this.#ms + ms;
    await settle();
    while (true) {
      const next = Math.min(...this.#sleepers.map((s) => s.at));
      if (!(next <= target)) break;
      this.#ms = Math.max(this.#ms, next);
      const woken = this.#sleepers.filter((s) => s.at <= this.#ms);
      this.#sleepers = this.#sleepers.filter((s) => s.at > this.#ms);
      for (const s of woken) s.resolve();
      await settle();
    }
    this.#ms = target;
    await settle();
  }

  /** Moves time to `iso`. */
  advanceTo(iso: string): Promise<void> {
    return this.advance(Date.parse(iso) - this.#ms);
  }
}

/** A timeline in a temporary folder on a fake clock; closed and removed on dispose. */
export async function clockedTimeline(iso = "2026-11-25T10:00:00.000Z") {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-scheduler-" });
  const path = `${dir}/timeline.db`;
  const clock = new FakeClock(iso);
  const timeline = Timeline.open(path, { now: clock.now });
  return {
    dir,
    path,
    clock,
    timeline,
    async [Symbol.asyncDispose]() {
      timeline.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** One call of a {@link recordingRunner}. */
export interface RunCall {
  readonly job: string;
  readonly at: string;
  readonly trigger: string;
  readonly slot: string | undefined;
}

/** A runner that records when it ran what, and answers `done <message>`. */
export function recordingRunner(clock: Clock) {
  const calls: RunCall[] = [];
  const runner = (job: Job, ctx: { trigger: string; slot: Date | undefined }) => {
    calls.push({
      job: job.name,
      at: clock.now().toISOString(),
      trigger: ctx.trigger,
      slot: ctx.slot?.toISOString(),
    });
    return Promise.resolve(`done ${job.message}`);
  };
  return { calls, runner };
}

/** A promise with its resolve and reject functions. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

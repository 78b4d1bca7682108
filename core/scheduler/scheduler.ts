/**
 * The scheduler: runs the timeline's enabled jobs at their cron times, each as an internal message
 * to the agent through a {@link JobRunner}.
 *
 * How it works. Each job's next scheduled time is stored with it (`next_run_at`). The scheduler
 * sleeps until the earliest one (at most `pollMs`, so jobs added by another process are seen), then
 * takes the lease of each due job (one conditional UPDATE, atomic across processes), re-reads it
 * under the lease, runs it and records the run together with the next time, computed after the run
 * ended. A job that another process already ran is no longer due when re-read, so every scheduled
 * time runs once however many processes share the timeline. At most `maxConcurrent` jobs run at
 * once; a due job waits for a free place, it is not dropped. The lease is renewed while a run lasts
 * and runs out `leaseMs` after a crash, when another process takes the job over.
 *
 * Missed runs. A scheduled time that passed while no scheduler was running (before {@link start})
 * runs ONCE when the scheduler starts, however many times were missed (trigger `catch-up`); the
 * next time is then the first one after that run. With `catchUp: false` it is skipped instead: no
 * run, status `skipped`. Times missed while a long run of the same job lasted are not made up
 * either: a job never runs back to back to catch up with itself.
 *
 * @module
 */
import type { Job } from "../timeline/mod.ts";
import { type LeasedRun, runLeased, skipLeased } from "./_run.ts";
import { type Clock, systemClock } from "./clock.ts";
import { CronSchedule } from "../cron/mod.ts";
import type { JobRunner, JobRunReport, RunTrigger, SchedulerStore } from "./types.ts";

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** The timeline (jobs and events). */
  readonly store: SchedulerStore;
  /** What a job does when it runs. */
  readonly runner: JobRunner;
  /** This process's name in job leases (default: `scheduler-<pid>-<random>`). */
  readonly owner?: string;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** The time zone of schedules without `CRON_TZ=` (default UTC). */
  readonly timezone?: string;
  /** Jobs running at once in this process (default 3). */
  readonly maxConcurrent?: number;
  /** The longest sleep between looks at the jobs (default 60 000 ms). */
  readonly pollMs?: number;
  /** How long a lease lasts unless renewed; renewed every half (default 300 000 ms). */
  readonly leaseMs?: number;
  /** Whether a missed time runs once at start (default true) or is skipped. */
  readonly catchUp?: boolean;
  /** Told about every run and skipped time. */
  readonly onRun?: (report: JobRunReport) => void;
  /** Told about what goes wrong around runs (a bad stored schedule, a lost lease). */
  readonly warn?: (message: string) => void;
}

/** Options of {@link Scheduler.stop}. */
export interface StopOptions {
  /**
   * How long runs in progress may go on to their end before they are cancelled (default 0: at
   * once). No job starts meanwhile.
   */
  readonly graceMs?: number;
}

/** Runs scheduled jobs; see the module documentation for the rules. */
export class Scheduler implements AsyncDisposable {
  /** The owner name of this scheduler's leases. */
  readonly owner: string;
  readonly #store: SchedulerStore;
  readonly #runner: JobRunner;
  readonly #clock: Clock;
  readonly #timezone: string;
  readonly #max: number;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #catchUp: boolean;
  readonly #onRun: (report: JobRunReport) => void;
  readonly #warn: (message: string) => void;
  readonly #schedules = new Map<string, CronSchedule | undefined>();
  readonly #running = new Map<string, Promise<void>>();
  /** Aborts when the scheduler stops taking jobs. */
  readonly #halt = new AbortController();
  /** Aborts when the runs in progress are cancelled. */
  readonly #cancel = new AbortController();
  #nudge = new AbortController();
  #loop: Promise<void> | undefined;
  #startedAt = new Date(0);

  /** A scheduler that does nothing until {@link Scheduler.start} (or {@link Scheduler.runNow}). */
  constructor(options: SchedulerOptions) {
    this.owner = options.owner ?? `scheduler-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.#store = options.store;
    this.#runner = options.runner;
    this.#clock = options.clock ?? systemClock;
    this.#timezone = options.timezone ?? "UTC";
    this.#max = options.maxConcurrent ?? 3;
    this.#pollMs = options.pollMs ?? 60_000;
    this.#leaseMs = options.leaseMs ?? 300_000;
    this.#catchUp = options.catchUp ?? true;
    this.#onRun = options.onRun ?? (() => {});
    this.#warn = options.warn ?? (() => {});
  }

  /** Starts running jobs; times that passed before now count as missed. Starting twice is a no-op. */
  start(): void {
    if (this.#loop) return;
    this.#startedAt = this.#clock.now();
    this.#loop = this.#cycle();
  }

  /**
   * Stops: no job starts any more; runs in progress may end within `graceMs`, then those left are
   * cancelled (their times stay due) and awaited. Calling it again during the grace period cancels
   * at once.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.#halt.abort();
    this.#nudge.abort();
    await this.#loop;
    const running = Promise.all(this.#running.values());
    const graceMs = options.graceMs ?? 0;
    if (graceMs > 0) {
      const ended = new AbortController();
      void running.then(() => ended.abort());
      await this.#clock.sleep(graceMs, AbortSignal.any([ended.signal, this.#cancel.signal]));
    }
    this.#cancel.abort();
    await running;
  }

  /** Stops the scheduler. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  /** The names of the jobs running in this process. */
  get running(): string[] {
    return [...this.#running.keys()];
  }

  /** A job's schedule, or undefined (with a warning, once) when its stored schedule is invalid. */
  schedule(job: Job): CronSchedule | undefined {
    if (this.#schedules.has(job.schedule)) return this.#schedules.get(job.schedule);
    let schedule: CronSchedule | undefined;
    try {
      schedule = CronSchedule.parse(job.schedule, { timezone: this.#timezone });
    } catch (error) {
      this.#warn(`job ${JSON.stringify(job.name)} never runs: ${(error as Error).message}`);
    }
    this.#schedules.set(job.schedule, schedule);
    return schedule;
  }

  /** When a job is due: its stored next time, else the first time after its last run. */
  dueAt(job: Job): Date | undefined {
    return job.nextRunAt ?? this.schedule(job)?.next(job.lastRunAt ?? job.createdAt);
  }

  /**
   * Runs a job now, through the same lease and record as a scheduled run (its next scheduled time
   * is kept). Undefined when it cannot: unknown, disabled, or running (here or elsewhere).
   */
  async runNow(name: string): Promise<JobRunReport | undefined> {
    if (this.#running.has(name) || !this.#lock(name, this.#clock.now())) return undefined;
    const run = this.#leased(this.#store.jobs.get(name)!, "manual", undefined, () => undefined);
    const running = runLeased(run, this.#runner, this.#cancel.signal);
    void this.#track(name, running, this.#onRun);
    return await running;
  }

  async #cycle(): Promise<void> {
    while (!this.#halt.signal.aborted) {
      this.#nudge = new AbortController();
      let waitMs = this.#pollMs;
      try {
        waitMs = this.#tick();
      } catch (error) {
        this.#warn(`scheduler: cannot check the jobs: ${(error as Error).message}`);
      }
      await this.#clock.sleep(waitMs, this.#nudge.signal);
    }
  }

  /** Starts the due jobs there is room for; returns how long to sleep. */
  #tick(): number {
    const now = this.#clock.now();
    let wake = now.getTime() + this.#pollMs;
    const due: Job[] = [];
    for (const job of this.#store.jobs.list()) {
      const at = job.enabled ? this.dueAt(job) : undefined;
      if (at === undefined) continue;
      if (at <= now) due.push(job);
      else wake = Math.min(wake, at.getTime());
    }
    due.sort((a, b) => this.dueAt(a)!.getTime() - this.dueAt(b)!.getTime());
    for (const job of due) {
      if (this.#running.size >= this.#max) break;
      if (!this.#running.has(job.name)) this.#launch(job.name, now);
    }
    return wake - now.getTime();
  }

  #lock(name: string, now: Date): boolean {
    const until = new Date(now.getTime() + this.#leaseMs);
    return this.#store.jobs.tryLock(name, { owner: this.owner, until, now });
  }

  #launch(name: string, now: Date): void {
    if (!this.#lock(name, now)) return; // another process runs it
    // Re-read under the lease: another process may have run this time since the list was read.
    const job = this.#store.jobs.get(name)!;
    const schedule = this.schedule(job);
    const slot = this.dueAt(job);
    if (!schedule || !slot || slot > now) {
      this.#store.jobs.unlock(name, this.owner);
      return;
    }
    const missed = slot < this.#startedAt;
    const trigger = missed ? "catch-up" : "schedule";
    const run = this.#leased(job, trigger, slot, (end) => schedule.next(end));
    if (missed && !this.#catchUp) return this.#onRun(skipLeased(run));
    void this.#track(name, runLeased(run, this.#runner, this.#cancel.signal), this.#onRun);
  }

  #leased(job: Job, trigger: RunTrigger, slot: Date | undefined, next: LeasedRun["next"]) {
    return {
      store: this.#store,
      clock: this.#clock,
      owner: this.owner,
      leaseMs: this.#leaseMs,
      warn: this.#warn,
      job,
      trigger,
      slot,
      next,
    };
  }

  #track(name: string, run: Promise<JobRunReport>, then: (r: JobRunReport) => void) {
    const tracked = run.then(then).catch((error) => {
      this.#warn(`job ${JSON.stringify(name)}: onRun failed: ${(error as Error).message}`);
    }).finally(() => {
      this.#running.delete(name);
      this.#nudge.abort(); // a place is free: look again
    });
    this.#running.set(name, tracked);
    return tracked;
  }
}

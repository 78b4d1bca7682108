/**
 * One run of a job whose lease this process holds: a SCHEDULER span around the runner, the lease
 * renewed while it works, and the run recorded (or, if cancelled, the lease given back). Also the
 * record of a skipped slot. Folder-private: the Scheduler is the way in.
 *
 * @module
 */
import type { Job, JobRunStatus, SpanEnd } from "../timeline/mod.ts";
import type { Clock } from "./clock.ts";
import type { JobRunner, JobRunReport, RunTrigger, SchedulerStore } from "./types.ts";

/** Everything one run needs. */
export interface LeasedRun {
  readonly store: SchedulerStore;
  readonly clock: Clock;
  readonly owner: string;
  readonly leaseMs: number;
  readonly warn: (message: string) => void;
  readonly job: Job;
  readonly trigger: RunTrigger;
  /** The scheduled time being run; undefined for a manual run. */
  readonly slot: Date | undefined;
  /** The next scheduled time once the run ends (undefined keeps the stored one). */
  readonly next: (end: Date) => Date | undefined;
}

const ANSWER_CHARS = 2000;
/** How long to wait before trying again to record a run the database refused. */
const RECORD_RETRY_MS = 5000;

const quoted = (run: LeasedRun) => JSON.stringify(run.job.name);

/** Begins the run's SCHEDULER span; the span is a record for people, so a failure only warns. */
function beginSpan(run: LeasedRun, startedAt: Date) {
  try {
    return run.store.events.begin({
      kind: "SCHEDULER",
      sessionKey: `cron:${run.job.name}`,
      channel: "scheduler",
      sender: "scheduler",
      contentText: run.job.message,
      metadata: {
        job: run.job.name,
        trigger: run.trigger,
        owner: run.owner,
        ...(run.slot ? { slot: run.slot.toISOString() } : {}),
      },
      startedAt,
    });
  } catch (error) {
    run.warn(`job ${quoted(run)}: cannot record the start of its run: ${(error as Error).message}`);
    return undefined;
  }
}

function endSpan(run: LeasedRun, eventId: string | undefined, end: SpanEnd): void {
  try {
    if (eventId) run.store.events.end(eventId, end);
  } catch (error) {
    run.warn(`job ${quoted(run)}: cannot record the end of its run: ${(error as Error).message}`);
  }
}

async function keepLease(run: LeasedRun, done: AbortSignal): Promise<void> {
  while (true) {
    await run.clock.sleep(run.leaseMs / 2, done);
    if (done.aborted) return;
    const now = run.clock.now();
    try {
      const until = new Date(now.getTime() + run.leaseMs);
      if (run.store.jobs.tryLock(run.job.name, { owner: run.owner, until, now })) continue;
      run.warn(`job ${quoted(run)}: another process took its lease during the run`);
    } catch (error) {
      run.warn(`job ${quoted(run)}: cannot renew its lease: ${(error as Error).message}`);
    }
    return;
  }
}

/**
 * Records the end of a run and frees the lease, trying again while the database refuses (so the
 * same time is not run twice) until `signal` aborts. A cancelled run only frees the lease.
 */
async function record(run: LeasedRun, status: Status, signal: AbortSignal): Promise<boolean> {
  const { jobs } = run.store;
  while (true) {
    try {
      if (status === "cancelled") {
        jobs.unlock(run.job.name, run.owner);
        return false;
      }
      const next = run.next(run.clock.now());
      const end = { owner: run.owner, status, ...(next ? { nextRunAt: next } : {}) };
      if (jobs.finishRun(run.job.name, end)) return true;
      run.warn(`job ${quoted(run)}: its lease ran out, so this run is not recorded`);
      return false;
    } catch (error) {
      run.warn(`job ${quoted(run)}: cannot record its run: ${(error as Error).message}`);
      if (signal.aborted) return false;
      await run.clock.sleep(RECORD_RETRY_MS, signal);
    }
  }
}

type Status = JobRunStatus | "cancelled";

/** Runs the job with `runner`; the caller holds the lease. Never rejects. */
export async function runLeased(
  run: LeasedRun,
  runner: JobRunner,
  signal: AbortSignal,
): Promise<JobRunReport> {
  const startedAt = run.clock.now();
  const span = beginSpan(run, startedAt);
  const done = new AbortController();
  const renewing = keepLease(run, done.signal);
  let status: Status;
  let answer: string | undefined;
  let error: string | undefined;
  try {
    const traceId = span?.traceId ?? "";
    answer = await runner(run.job, { signal, trigger: run.trigger, slot: run.slot, traceId });
    status = "succeeded";
  } catch (thrown) {
    status = signal.aborted ? "cancelled" : "failed";
    error = thrown instanceof Error ? thrown.message : String(thrown);
  }
  const endedAt = run.clock.now();
  // A cancelled run (the scheduler is stopping) leaves its time due, to be caught up later.
  const recorded = await record(run, status, signal);
  done.abort();
  await renewing;
  const failure = error === undefined ? {} : { error };
  endSpan(run, span?.eventId, {
    endedAt,
    metadata: {
      status,
      recorded,
      ...failure,
      ...(answer === undefined ? {} : { answer: answer.slice(0, ANSWER_CHARS) }),
    },
  });
  const { job, trigger, slot } = run;
  return {
    ...{ job: job.name, trigger, status, slot, startedAt, endedAt, recorded },
    ...(answer === undefined ? {} : { answer }),
    ...failure,
  };
}

/** Records a time missed while no scheduler ran, with catch-up off: skipped, not run. */
export function skipLeased(run: LeasedRun): JobRunReport {
  const now = run.clock.now();
  const recorded = run.store.jobs.finishRun(run.job.name, {
    owner: run.owner,
    status: "skipped",
    nextRunAt: run.next(now)!, // a cron schedule always has a next time
  });
  const span = beginSpan(run, now);
  endSpan(run, span?.eventId, { endedAt: now, metadata: { status: "skipped", recorded } });
  return {
    job: run.job.name,
    trigger: run.trigger,
    status: "skipped",
    slot: run.slot,
    startedAt: now,
    endedAt: now,
    recorded,
  };
}

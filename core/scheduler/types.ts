/**
 * The types the scheduler shares with its callers: the runner port, what it is told about a run,
 * and the report of a run.
 *
 * @module
 */
import type { Job, JobRunStatus, Timeline } from "../timeline/mod.ts";

/** The timeline repositories the scheduler uses: jobs with their leases, and the trace spans. */
export type SchedulerStore = Pick<Timeline, "jobs" | "events">;

/**
 * Why a job runs: its scheduled time came (`schedule`), a time passed while no scheduler ran
 * (`catch-up`), or someone asked (`manual`, `kafclaw cron run`).
 */
export type RunTrigger = "schedule" | "catch-up" | "manual";

/** What a runner is told about the run it does. */
export interface JobRunContext {
  /** Aborts when the scheduler stops; the run then counts as cancelled and stays due. */
  readonly signal: AbortSignal;
  readonly trigger: RunTrigger;
  /** The scheduled time being run; undefined for a manual run. */
  readonly slot: Date | undefined;
  /** The trace of the run's SCHEDULER span, for the agent's own spans. */
  readonly traceId: string;
}

/**
 * What a job does: send its message to the agent as an internal message and resolve with the
 * answer; a rejection records the run as failed with the error's message. A real agent's runner
 * hands the job to its door (core/agent `jobRunner`).
 */
export type JobRunner = (job: Job, context: JobRunContext) => Promise<string>;

/** How one run (or skipped slot) went. */
export interface JobRunReport {
  readonly job: string;
  readonly trigger: RunTrigger;
  /** `cancelled`: the scheduler stopped during the run; nothing is recorded, the slot stays due. */
  readonly status: JobRunStatus | "cancelled";
  readonly slot: Date | undefined;
  readonly startedAt: Date;
  readonly endedAt: Date;
  /** The runner's answer, when it succeeded. */
  readonly answer?: string;
  /** The runner's error message, when it failed. */
  readonly error?: string;
  /** Whether the run is in the job's history (false if another process took the lease meanwhile). */
  readonly recorded: boolean;
}

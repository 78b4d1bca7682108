/**
 * Writes through each repository that inserts with `… RETURNING` (events, decisions, approvals,
 * jobs, tasks) until the disk is full, and checks afterwards that each write reported done is
 * there. Used in-process on a small tmpfs and in a child process under a file-size limit.
 */
import type { Timeline } from "../../../../core/timeline/mod.ts";

/** What the writes reported: a name per write that returned, the errors of those that threw. */
export interface WriteReport {
  readonly written: string[];
  readonly errors: string[];
}

const PADDING = "x".repeat(16_000);
const TRACE = "a".repeat(32);

const WRITES: Record<string, (t: Timeline, id: string) => void> = {
  event: (t, id) => void t.events.record({ kind: "LLM", eventId: id, contentText: PADDING }),
  decision: (t, id) =>
    void t.decisions.record({
      traceId: TRACE,
      taskId: id,
      tool: "exec",
      tier: 2,
      sender: "owner",
      channel: "cli",
      messageType: "internal",
      taint: "trusted",
      allowed: true,
      reason: PADDING,
    }),
  approval: (t, id) =>
    void t.approvals.create({
      approvalId: id,
      traceId: TRACE,
      tool: "exec",
      tier: 2,
      arguments: { padding: PADDING },
      requester: "owner",
      channel: "cli",
      expiresAt: new Date(Date.now() + 60_000),
    }),
  job: (t, id) => void t.jobs.upsert({ name: id, schedule: "0 8 * * *", message: PADDING }),
  task: (t, id) =>
    void t.tasks.create({ idempotencyKey: id, taskId: id, channel: "cli", contentIn: PADDING }),
};

/** Writes `rounds` times through every repository, noting what each write reported. */
export function writeUntilFull(timeline: Timeline, rounds: number): WriteReport {
  const report: WriteReport = { written: [], errors: [] };
  for (let i = 0; i < rounds; i++) {
    for (const [kind, write] of Object.entries(WRITES)) {
      const id = `${kind}-${i}`;
      try {
        write(timeline, id);
        report.written.push(id);
      } catch (error) {
        report.errors.push(`${id}: ${(error as Error).message}`);
      }
    }
  }
  return report;
}

/** The writes reported done that the database does not hold. */
export function lostWrites(timeline: Timeline, written: readonly string[]): string[] {
  return written.filter((id) => {
    const [kind] = id.split("-");
    switch (kind) {
      case "event":
        return timeline.events.get(id) === undefined;
      case "decision":
        return !timeline.decisions.list({ limit: 1000 }).items.some((d) => d.taskId === id);
      case "approval":
        return timeline.approvals.get(id) === undefined;
      case "job":
        return timeline.jobs.get(id) === undefined;
      default:
        return timeline.tasks.get(id) === undefined;
    }
  });
}

/**
 * How `kafclaw task list` and `task show` print the tasks of the store (those this agent sent, and
 * those of other agents it worked on), as text and as JSON: pure functions, tested without a
 * group. They load nothing of the group's code (its traces are printed by _trace_view.ts), so
 * listing tasks loads no Kafka client.
 *
 * @module
 */
import type { OutgoingTask, WorkedTask } from "../core/timeline/mod.ts";

/** A task as `task list --json` prints it. */
export interface TaskRow {
  readonly task_id: string;
  readonly status: string;
  readonly to: string;
  readonly attempt: number;
  readonly worker: string | null;
  readonly created_at: string;
  readonly request: string;
}

/** Where a task was sent: an agent, a skill, or the group; in a zone, which. */
function targetOf(task: OutgoingTask): string {
  const { target_id: agent, skill } = task.request;
  const within = task.zone ? ` in zone ${task.zone}` : "";
  if (typeof agent === "string") return `agent ${agent}${within}`;
  if (typeof skill === "string") return `skill ${skill}${within}`;
  return task.zone ? `zone ${task.zone}` : "group";
}

/** One line of a text, at most `max` characters. */
function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A task's row. */
export function taskRow(task: OutgoingTask): TaskRow {
  return {
    task_id: task.taskId,
    status: task.status,
    to: targetOf(task),
    attempt: task.attempt,
    worker: task.workerId ?? null,
    created_at: task.createdAt.toISOString(),
    request: String(task.request.content ?? ""),
  };
}

/** `task list` as text: one line per task, newest first; `command` starts the hint (commandName). */
export function listText(tasks: readonly OutgoingTask[], command: string): string {
  if (tasks.length === 0) {
    return `no tasks sent from this agent yet (${command} task submit sends one)`;
  }
  return tasks.map((t) => {
    const row = taskRow(t);
    const worker = row.worker ? ` by ${row.worker}` : "";
    return `${row.task_id}  ${
      row.status.padEnd(9)
    } to ${row.to}${worker}, attempt ${row.attempt}  ` +
      clip(row.request, 60);
  }).join("\n");
}

/** A task as `task show --json` prints it. */
export function taskJson(task: OutgoingTask) {
  return {
    ...taskRow(task),
    deadline_at: task.deadlineAt?.toISOString() ?? null,
    // The workers that had it before the one holding it now, whose lease lapsed or who declined.
    workers: [...task.excluded, ...(task.workerId ? [task.workerId] : [])],
    // A task that ended without an answer (rejected, expired, failed with nothing said) has none,
    // whatever its end left in the store: null, as for a task not answered yet.
    answer: task.status !== "completed" && !task.responseContent
      ? null
      : task.responseContent ?? null,
    reason: task.reason ?? null,
    responded_at: task.respondedAt?.toISOString() ?? null,
  };
}

/** `task show` as text. */
export function showText(task: OutgoingTask): string {
  const json = taskJson(task);
  return [
    `task ${json.task_id}: ${json.status}`,
    `to ${json.to}, attempt ${json.attempt}${
      json.workers.length ? `, workers ${json.workers.join(", ")}` : ""
    }`,
    `sent ${json.created_at}${json.deadline_at ? `, deadline ${json.deadline_at}` : ""}`,
    `request: ${json.request}`,
    ...(json.reason ? [`reason: ${json.reason}`] : []),
    ...(json.answer !== null ? [`answer: ${json.answer}`] : []),
  ].join("\n");
}

/** A task worked on here as `task list --json` prints it under `worked`. */
export interface WorkedRow {
  readonly task_id: string;
  readonly status: string;
  readonly from: string;
  readonly attempt: number;
  readonly zone: string | null;
  readonly skill: string | null;
  readonly received_at: string;
  readonly request: string;
}

/** A task worked on here, as a row. */
export function workedRow(task: WorkedTask): WorkedRow {
  const { requester_id: from, skill } = task.request;
  return {
    task_id: task.taskId,
    status: task.status,
    from: typeof from === "string" ? from : "?",
    attempt: task.attempt,
    zone: task.zone ?? null,
    skill: typeof skill === "string" ? skill : null,
    received_at: task.receivedAt.toISOString(),
    request: String(task.request.content ?? ""),
  };
}

/** The tasks worked on here as text, after those sent: a heading, then one line per task. */
export function workedText(tasks: readonly WorkedTask[]): string {
  return [
    "worked on here for other agents:",
    ...tasks.map((t) => {
      const row = workedRow(t);
      const where = [row.skill ? `skill ${row.skill}` : "", row.zone ? `zone ${row.zone}` : ""]
        .filter(Boolean).join(", ");
      return `${row.task_id}  ${row.status.padEnd(9)} from ${row.from}${
        where ? ` (${where})` : ""
      }` +
        `, attempt ${row.attempt}  ${clip(row.request, 60)}`;
    }),
  ].join("\n");
}

/** A task worked on here as `task show --json` prints it. */
export function workedJson(task: WorkedTask) {
  return {
    ...workedRow(task),
    worked_here: true,
    answer: task.answer ?? null,
    reason: task.reason ?? null,
    ended_at: task.endedAt.toISOString(),
  };
}

/** `task show` of a task worked on here, as text. */
export function workedShowText(task: WorkedTask): string {
  const json = workedJson(task);
  return [
    `task ${json.task_id}: ${json.status} (worked on here)`,
    `from ${json.from}, attempt ${json.attempt}${json.skill ? `, skill ${json.skill}` : ""}${
      json.zone ? `, zone ${json.zone}` : ""
    }`,
    `received ${json.received_at}, ended ${json.ended_at}`,
    `request: ${json.request}`,
    ...(json.reason ? [`reason: ${json.reason}`] : []),
    ...(json.answer !== null ? [`answer: ${json.answer}`] : []),
  ].join("\n");
}

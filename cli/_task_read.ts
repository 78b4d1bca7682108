/**
 * What `kafclaw task list` and `task show` do: read the tasks this agent sent, and those of other
 * agents it worked on, from its store, and print them. Only `show --trace` needs the group's code
 * (the topics where the store lacks spans), loaded then from _task_replay.ts: listing and showing
 * tasks load no Kafka client.
 *
 * @module
 */
import { paths } from "../core/config/mod.ts";
import { type OutgoingTask, Timeline, type WorkedTask } from "../core/timeline/mod.ts";
import type { CliContext } from "./_context.ts";
import { UsageError } from "./_errors.ts";
import {
  listText,
  showText,
  taskJson,
  taskRow,
  workedJson,
  workedRow,
  workedShowText,
  workedText,
} from "./_task_view.ts";
import { trustedConfig } from "./_trusted_config.ts";

/** Prints `value` as JSON with `json`, else `text`. */
export function print(
  ctx: CliContext,
  json: boolean | undefined,
  value: unknown,
  text: string,
): void {
  ctx.io.out(json ? JSON.stringify(value, null, 2) : text);
}

/**
 * The task `taskId` this agent sent, else the one of another agent it worked on, or a usage error
 * that says how to find one.
 */
export function knownTask(
  timeline: Timeline,
  taskId: string,
  command: string,
): { sent: OutgoingTask } | { worked: WorkedTask } {
  const sent = timeline.groupTasks.outgoing(taskId);
  if (sent !== undefined) return { sent };
  const worked = timeline.workedTasks.get(taskId);
  if (worked !== undefined) return { worked };
  throw new UsageError(
    `no task "${taskId}" was sent from this agent or worked on here (${command} task list shows them)`,
  );
}

/** `task list`: the newest `limit` tasks this agent sent, and as many it worked on for others. */
export async function listTasks(ctx: CliContext, opts: { limit: number; json?: boolean }) {
  const config = await trustedConfig(ctx);
  using timeline = Timeline.open(paths(config).timeline);
  const tasks = timeline.groupTasks.listOutgoing(opts.limit);
  const worked = timeline.workedTasks.list(opts.limit);
  const text = [listText(tasks, config.command), ...(worked.length ? [workedText(worked)] : [])];
  print(
    ctx,
    opts.json,
    { tasks: tasks.map(taskRow), worked: worked.map(workedRow) },
    text.join("\n"),
  );
}

/** `task show`, and with `trace` the task's spans from every agent. */
export async function showTask(
  ctx: CliContext,
  taskId: string,
  opts: { trace?: boolean; json?: boolean },
): Promise<void> {
  const config = await trustedConfig(ctx);
  using timeline = Timeline.open(paths(config).timeline);
  if (opts.trace) {
    const { showTrace } = await import("./_task_replay.ts");
    return await showTrace(ctx, { config, timeline, taskId, json: opts.json });
  }
  const task = knownTask(timeline, taskId, config.command);
  if ("sent" in task) print(ctx, opts.json, taskJson(task.sent), showText(task.sent));
  else print(ctx, opts.json, workedJson(task.worked), workedShowText(task.worked));
}

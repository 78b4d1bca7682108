/**
 * What `kafclaw task list` and `task show` do: read the tasks this agent sent from its store, and
 * print them. Only `show --trace` needs the group's code (the topics where the store lacks spans),
 * loaded then from _task_run.ts: listing and showing tasks load no Kafka client.
 *
 * @module
 */
import { paths } from "../core/config/mod.ts";
import { type OutgoingTask, Timeline } from "../core/timeline/mod.ts";
import type { CliContext } from "./_context.ts";
import { UsageError } from "./_errors.ts";
import { listText, showText, taskJson, taskRow } from "./_task_view.ts";
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

/** The task `taskId` this agent sent, or a usage error that says how to find one. */
export function knownTask(timeline: Timeline, taskId: string, command: string): OutgoingTask {
  const task = timeline.groupTasks.outgoing(taskId);
  if (task === undefined) {
    throw new UsageError(
      `no task "${taskId}" was sent from this agent (${command} task list shows them)`,
    );
  }
  return task;
}

/** `task list`: the newest `limit` tasks this agent sent. */
export async function listTasks(ctx: CliContext, opts: { limit: number; json?: boolean }) {
  const config = await trustedConfig(ctx);
  using timeline = Timeline.open(paths(config).timeline);
  const tasks = timeline.groupTasks.listOutgoing(opts.limit);
  print(ctx, opts.json, { tasks: tasks.map(taskRow) }, listText(tasks, config.command));
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
    const { showTrace } = await import("./_task_run.ts");
    return await showTrace(ctx, { config, timeline, taskId, json: opts.json });
  }
  const task = knownTask(timeline, taskId, config.command);
  print(ctx, opts.json, taskJson(task), showText(task));
}

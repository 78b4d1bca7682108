/**
 * `kafclaw task`: the tasks this agent sends to its group. `submit` hands a task to the gateway
 * running in the same KAFCLAW_HOME (queued in its store, which its requester sends and follows)
 * and prints the task id, or with `--wait` the answer; `list` and `show` read that store; `show
 * --trace` prints the task's spans from every agent as one tree, from the store, or from the
 * group's traces topic where the store lacks them; `replay` runs a recorded task's request again
 * as a turn of this agent and prints the new answer beside the old. Every one has `--json`.
 *
 * @module
 */
import { Command } from "commander";
import type { CliContext } from "./_context.ts";
import { UsageError } from "./_errors.ts";
import { DEADLINE, duration } from "./_durations.ts";
import { wholeNumber } from "./_numbers.ts";
import { listTasks, showTask } from "./_task_read.ts";

/** Submitting and replaying need the group's code (and the agent's): loaded when they run. */
const run = () => import("./_task_run.ts");
const replay = () => import("./_task_replay.ts");

/** `kafclaw task`: submit and inspect group tasks. */
export function taskCommand(ctx: CliContext): Command {
  const task = new Command("task").description(
    "submit and inspect the tasks this agent sends and works on",
  );
  task.command("submit")
    .description("send a task to the group through this home's running gateway")
    .argument("<text>", "what the task asks")
    .option("--skill <skill>", "send it to whoever offers this skill")
    .option("--to <agent>", "send it to this agent")
    .option("--zone <zone>", "send it into this zone, of which this agent is a member")
    .option("--wait", "wait for the answer and print it")
    .option(
      "--deadline <duration>",
      "how long the group has to answer (90s, 5m, 1h; up to 24d)",
      duration(DEADLINE),
    )
    .option("--json", "print as JSON")
    .action(async (text: string, opts: SubmitFlags) => {
      if (opts.skill !== undefined && opts.to !== undefined) {
        throw new UsageError("task submit takes --skill or --to, not both");
      }
      await (await run()).submitTask(ctx, text, opts);
    });
  task.command("list")
    .description("the tasks this agent sent, then those it worked on for others, newest first")
    .option("-n, --limit <n>", "at most this many", wholeNumber(), 50)
    .option("--json", "print as JSON")
    .action((opts: { limit: number; json?: boolean }) => listTasks(ctx, opts));
  task.command("show")
    .description("one task: status, attempts, workers, answer; --trace for its spans")
    .argument("<task-id>", "the task's id")
    .option("--trace", "the task's spans from every agent, as one tree")
    .option("--json", "print as JSON")
    .action((id: string, opts: { trace?: boolean; json?: boolean }) => showTask(ctx, id, opts));
  task.command("replay")
    .description("run a recorded task's request again on this agent; old and new answers")
    .argument("<task-id>", "the task's id")
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      await (await replay()).replayTask(ctx, id, opts);
    });
  return task;
}

/** The flags of `task submit`. */
export interface SubmitFlags {
  readonly skill?: string;
  readonly to?: string;
  /** The zone the task goes into (`public`, the default, is the group's topics). */
  readonly zone?: string;
  readonly wait?: boolean;
  readonly deadline?: number;
  readonly json?: boolean;
}

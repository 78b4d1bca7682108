/**
 * What `kafclaw task submit` does: queue the task for the gateway of this KAFCLAW_HOME (its store
 * is the queue its requester reads), into a zone when asked, and with `--wait` follow it to its
 * answer (as a one-shot member where no gateway runs). `task show --trace` and `task replay` are
 * in _task_replay.ts.
 *
 * @module
 */
import { inProcessAgentId, paths, type ResolvedConfig } from "../core/config/mod.ts";
import {
  PUBLIC_ZONE,
  type Requester,
  rootLimits,
  taskRequest,
  type ZoneDirectory,
  ZoneRefused,
} from "../core/group/mod.ts";
import { FINAL_OUTGOING, Timeline } from "../core/timeline/mod.ts";
import type { CliContext } from "./_context.ts";
import { CliError, failure } from "./_errors.ts";
import { agentIdOf, groupTransport, needBrokers, trustedConfig, zonesNow } from "./_group.ts";
import { memberRunsHere, queueFollowedHere } from "./_group_config.ts";
import { zoneId } from "./_zone_id.ts";
import { print } from "./_task_read.ts";
import { taskJson } from "./_task_view.ts";
import type { SubmitFlags } from "./task.ts";

/**
 * `task submit`: queues the task for the gateway running in this home; with `wait`, prints its
 * answer. With `zone`, the task goes into that zone (its requests topic, or its inbox for `to`),
 * refused first unless this agent (and `to`) is a member. Where no gateway runs, `wait` makes this command the requester, as a one-shot member.
 */
export async function submitTask(
  ctx: CliContext,
  text: string,
  opts: SubmitFlags,
  known: { readonly zones?: ZoneDirectory } = {},
): Promise<void> {
  const config = await trustedConfig(ctx);
  using timeline = Timeline.open(paths(config).timeline);
  const running = memberRunsHere(config, timeline);
  // A standalone gateway's group is in its process: the task is queued for it, in its name.
  const local = running && !config.group.enabled;
  if (!local) needBrokers(config);
  const agentId = local ? inProcessAgentId(config) : agentIdOf(config);
  const group = config.group.name;
  if (running && !local && !await followedSoon(config, timeline)) {
    // The member is `group join` (or a `task submit --wait` that joined): it sends no task, and a
    // second member of the same agent cannot join beside it. A task queued here would never go.
    throw new CliError(
      `this home's agent "${agentId}" runs as a member that sends no tasks (\`${config.command} ` +
        `group join\`, or a \`task submit --wait\` still waiting): stop it and run ` +
        `\`${config.command} gateway\` here, or submit with --wait once it has stopped`,
    );
  }
  if (!running && !opts.wait) {
    throw new CliError(
      "no gateway runs in this KAFCLAW_HOME to follow the task: add --wait to follow it from " +
        `here, or start \`${config.command} gateway\` first`,
    );
  }
  const taskId = crypto.randomUUID();
  const to = opts.to !== undefined
    ? { agent: agentIdOf(config, opts.to) }
    : opts.skill !== undefined
    ? { skill: opts.skill }
    : { group: true as const };
  const zone = await taskZone(config, agentId, {
    zone: opts.zone,
    to: "agent" in to ? to.agent : undefined,
    ...(known.zones ? { zones: known.zones } : {}),
  });
  const limits = rootLimits(agentId, new Date(), { deadlineMs: opts.deadline });
  const { type, payload, topic } = taskRequest(agentId, group, {
    taskId,
    content: text,
    to,
    zone,
    limits,
  });
  const deadline = Date.parse(String(limits.deadline_at)) + 2 * config.group.heartbeatIntervalMs;
  const request = { type, payload, taint: "trusted" as const };
  if (!running) {
    await oneShot(config, { agentId, timeline, deadline }, async (requester) => {
      // Joined, this command's membership has stored the roster as it read it.
      noteNobody(ctx, timeline, { agentId, to, deadline: String(limits.deadline_at) });
      await requester.send(request, { topic, zone });
    });
  } else {
    timeline.groupTasks.addOutgoing({
      taskId,
      ...request,
      request: payload,
      topic,
      zone,
      status: "queued",
    });
    if (!local) noteNobody(ctx, timeline, { agentId, to, deadline: String(limits.deadline_at) });
    if (!opts.wait) {
      print(ctx, opts.json, { task_id: taskId, status: "queued" }, taskId);
      return;
    }
  }
  let task = timeline.groupTasks.outgoing(taskId)!;
  while (!FINAL_OUTGOING.includes(task.status)) {
    if (Date.now() > deadline) {
      throw new CliError(
        `task ${taskId} has no answer yet; ${config.command} task show ${taskId} tells later`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    task = timeline.groupTasks.outgoing(taskId)!;
  }
  print(ctx, opts.json, taskJson(task), task.responseContent ?? "");
  if (task.status !== "completed") {
    throw new CliError(`task ${taskId} ${task.status}: ${task.reason ?? "no reason given"}`);
  }
}

/**
 * Whether this home's gateway follows the task queue, asked again for up to 2 s: a gateway that
 * has just joined starts its task side a moment after its first heartbeat.
 */
async function followedSoon(config: ResolvedConfig, timeline: Timeline): Promise<boolean> {
  const until = Date.now() + 2_000;
  while (!queueFollowedHere(config, timeline)) {
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

/**
 * Tells on stderr when the running agent's roster holds nobody live who could take the task (the
 * agent of `--to`, a provider of the skill, any other member): no answer may come soon, though one
 * may be back before the deadline (a gateway restarting leaves and joins).
 */
function noteNobody(
  ctx: CliContext,
  timeline: Timeline,
  task: {
    readonly agentId: string;
    readonly to: { agent: string } | { skill: string } | { group: true };
    readonly deadline: string;
  },
): void {
  const { agentId, to } = task;
  const members = timeline.members.list();
  const live = members.filter((m) => m.status === "active" && m.agentId !== agentId);
  let nobody: string | undefined;
  let until = "one is";
  if ("agent" in to) {
    const member = members.find((m) => m.agentId === to.agent);
    if (member?.status !== "active") {
      const state = member === undefined
        ? "not in the group now (it left, or never joined)"
        : "stale";
      nobody = `"${to.agent}" is ${state}`;
      until = "it is back";
    }
  } else if ("skill" in to) {
    if (!live.some((m) => m.skills.includes(to.skill))) {
      nobody = `no live agent offers skill "${to.skill}" now`;
    }
  } else if (live.length === 0) {
    nobody = "no other agent is live in the group now";
  }
  if (nobody === undefined) return;
  ctx.io.err(
    `kafclaw: ${nobody}: no answer may come until ${until}, or before the task's deadline ` +
      task.deadline,
  );
}

/**
 * The zone a task is sent into (`--zone`; `public` is the group's topics, so none), refused in one
 * line unless it exists and this agent (and the agent of `--to`) is a member. The zones are those
 * given (read already) or read from the group's topics.
 */
async function taskZone(
  config: ResolvedConfig,
  agentId: string,
  opts: {
    readonly zone?: string | undefined;
    readonly to?: string | undefined;
    readonly zones?: ZoneDirectory;
  },
): Promise<string | undefined> {
  const zone = opts.zone;
  if (zone === undefined || zone === PUBLIC_ZONE) return undefined;
  zoneId(zone, "--zone");
  let zones = opts.zones;
  if (zones === undefined) {
    const transport = await groupTransport(config, agentId);
    try {
      zones = await zonesNow(config, transport);
    } finally {
      await transport.close();
    }
  }
  try {
    zones.checkTask(agentId, zone, opts.to);
  } catch (error) {
    if (error instanceof ZoneRefused) throw new CliError(error.message);
    throw error;
  }
  return zone;
}

/**
 * Runs `send` with a one-shot requester of this home's agent, and follows what it sent until its
 * final answer or `deadline`, then leaves the group.
 */
async function oneShot(
  config: ResolvedConfig,
  at: { readonly agentId: string; readonly timeline: Timeline; readonly deadline: number },
  send: (requester: Requester) => Promise<void>,
): Promise<void> {
  const { OneShotRequester } = await import("../core/gateway/mod.ts");
  const transport = await groupTransport(config, at.agentId);
  try {
    await using member = await OneShotRequester.start(config, { ...at, transport }).catch(
      (error) => {
        throw failure(error);
      },
    );
    const before = new Set(member.requester.following());
    await send(member.requester);
    const mine = member.requester.following().filter((id) => !before.has(id));
    const answers = mine.map((id) => member.requester.answer(id)!);
    const left = Math.max(0, at.deadline - Date.now());
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(answers),
      new Promise((resolve) => timer = setTimeout(resolve, left)),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await transport.close();
  }
}

/**
 * What `kafclaw task` does: submit through the gateway of this KAFCLAW_HOME (its store is the
 * queue its requester reads), read that store, read the group's topics where the store lacks
 * something, and replay a task as a turn of this agent.
 *
 * @module
 */
import { inProcessAgentId, paths, type ResolvedConfig } from "../core/config/mod.ts";
import {
  type DroppedRecord,
  PUBLIC_ZONE,
  readTaskLog,
  type Requester,
  rootLimits,
  spanTree,
  taskRequest,
  type TaskTrace,
  traceOfTask,
  uniqueSpans,
  type ZoneDirectory,
  ZoneRefused,
} from "../core/group/mod.ts";
import { agentInbox, topicsFor } from "../core/protocol/mod.ts";
import { FINAL_OUTGOING, Timeline } from "../core/timeline/mod.ts";
import type { CliContext } from "./_context.ts";
import { CliError, failure, UsageError } from "./_errors.ts";
import {
  agentIdOf,
  groupTransport,
  needBrokers,
  pinnedOwnerKey,
  trustedConfig,
  zonesNow,
} from "./_group.ts";
import { memberRunsHere, queueFollowedHere } from "./_group_config.ts";
import { zoneId } from "./_zone_id.ts";
import { print } from "./_task_read.ts";
import { taskJson } from "./_task_view.ts";
import { droppedJson, droppedLines, traceJson, traceText } from "./_trace_view.ts";
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

/** `task show --trace`: the task's spans from every agent, as one tree. */
export async function showTrace(
  ctx: CliContext,
  at: {
    readonly config: ResolvedConfig;
    readonly timeline: Timeline;
    readonly taskId: string;
    readonly json: boolean | undefined;
  },
): Promise<void> {
  const { trace, source, dropped } = await taskTrace(at.config, at.timeline, at.taskId);
  print(ctx, at.json, traceJson(trace, source, dropped), traceText(trace, dropped));
}

/**
 * How records read back from the group's topics are checked: in a signed group against the
 * pinned owner key and the roster, as a member checks them; in an open group not at all.
 */
async function logQuery(config: ResolvedConfig, agentId: string) {
  const { name, security } = config.group;
  return {
    groupId: `kafclaw.${name}.${agentId}.cli-${crypto.randomUUID().slice(0, 8)}`,
    signed: security === "signed"
      ? { group: name, ownerKey: await pinnedOwnerKey(config) }
      : undefined,
  };
}

/**
 * A task's trace: from the store when it holds a whole tree (one root, every span ended) and the
 * gateway runs (it stores what the traces topic brings); else read from the traces topic too.
 */
async function taskTrace(config: ResolvedConfig, timeline: Timeline, taskId: string) {
  const store = timeline.groupTraces;
  const known = traceOfTask(taskId, store.ofTask(taskId));
  const local = known === undefined ? undefined : spanTree(known, store.trace(known));
  if (local !== undefined && whole(local) && memberRunsHere(config, timeline)) {
    return { trace: local, source: "agent" as const, dropped: [] };
  }
  if (config.group.kafkaBrokers.length === 0) {
    if (local !== undefined) return { trace: local, source: "agent" as const, dropped: [] };
    throw new UsageError(`no spans of task "${taskId}" here, and no brokers to read them from`);
  }
  const agentId = config.group.agentId ?? "reader";
  const query = await logQuery(config, agentId);
  const transport = await groupTransport(config, agentId);
  try {
    const log = await readTaskLog(transport, [topicsFor(config.group.name).traces], {
      taskId,
      traceId: known,
      ...query,
    });
    const traceId = known ?? log.spans[0]?.traceId;
    if (traceId === undefined) throw new UsageError(`no spans of task "${taskId}" in the group`);
    const spans = uniqueSpans([...(known ? store.trace(known) : []), ...log.spans]);
    return { trace: spanTree(traceId, spans), source: "topics" as const, dropped: log.dropped };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw failure(error);
  } finally {
    await transport.close();
  }
}

function whole(trace: TaskTrace): boolean {
  const open = (nodes: TaskTrace["roots"]): boolean =>
    nodes.some((n) => n.span.endedAt === undefined || open(n.children));
  return trace.roots.length === 1 && !open(trace.roots);
}

/** `task replay`: the task's request again, as a turn of this agent; old and new answers. */
export async function replayTask(ctx: CliContext, taskId: string, opts: { json?: boolean }) {
  const config = await trustedConfig(ctx);
  const recorded = await recordedTask(config, taskId);
  const { createAgentRuntime } = await import("../core/agent/mod.ts");
  await using runtime = await createAgentRuntime(config, {});
  const result = await runtime.door.enter({
    source: {
      kind: "task",
      group: config.group.name,
      from: recorded.requester,
      vouched: false,
      taint: "untrusted",
      scope: { zones: ["public"] },
    },
    sessionKey: `replay:${taskId}:${Date.now()}`,
    text: recorded.text,
  });
  const status = result.kind !== "turn"
    ? "rejected"
    : result.turn.stopped === "answer"
    ? "completed"
    : "failed";
  const agentId = config.group.agentId ?? "local";
  const value = {
    task_id: taskId,
    request: recorded.text,
    old: recorded.old,
    new: { agent_id: agentId, status, answer: result.content },
    dropped: recorded.dropped.map(droppedJson),
  };
  const old = recorded.old;
  print(
    ctx,
    opts.json,
    value,
    [
      `task ${taskId} replayed on ${agentId}`,
      old
        ? `old answer (${old.agent_id ?? "?"}, ${old.status}): ${old.answer}`
        : "old answer: none recorded",
      `new answer (${status}): ${result.content}`,
      ...droppedLines(recorded.dropped),
    ].join("\n"),
  );
}

/** What a replay needs of a task: its request, who asked, and the answer it got. */
interface RecordedTask {
  readonly text: string;
  readonly requester: string;
  readonly old: { agent_id: string | null; status: string; answer: string } | null;
  /** Records of the task read from the topics that failed verification. */
  readonly dropped: readonly DroppedRecord[];
}

/**
 * A task's request and answer: from this agent's store (a task it sent, else one it worked on),
 * else from the group's topics.
 */
async function recordedTask(config: ResolvedConfig, taskId: string): Promise<RecordedTask> {
  {
    using timeline = Timeline.open(paths(config).timeline);
    const task = timeline.groupTasks.outgoing(taskId);
    if (task !== undefined) {
      const final = FINAL_OUTGOING.includes(task.status);
      return {
        text: requestText(task.request),
        requester: String(task.request.requester_id),
        old: final
          ? {
            agent_id: task.workerId ?? null,
            status: task.status,
            answer: task.responseContent ?? "",
          }
          : null,
        dropped: [],
      };
    }
    const worked = timeline.workedTasks.get(taskId);
    if (worked !== undefined) {
      const said = worked.answer !== undefined && worked.answer !== "";
      return {
        text: requestText(worked.request),
        requester: String(worked.request.requester_id),
        old: said || worked.reason !== undefined
          ? {
            agent_id: config.group.agentId ?? null,
            status: worked.status,
            answer: worked.answer ?? "",
          }
          : null,
        dropped: [],
      };
    }
  }
  if (config.group.kafkaBrokers.length === 0) {
    throw new UsageError(`no task "${taskId}" here, and no brokers to read it from`);
  }
  const agentId = config.group.agentId ?? "reader";
  const topics = topicsFor(config.group.name);
  const query = await logQuery(config, agentId);
  const transport = await groupTransport(config, agentId);
  try {
    // This agent's inbox, when it has one: an agent that never joined has none yet.
    const inbox = config.group.agentId ? [agentInbox(config.group.name, config.group.agentId)] : [];
    const log = await readTaskLog(transport, [topics.requests, ...inbox, topics.responses], {
      taskId,
      ...query,
      optional: inbox,
    });
    const [request] = log.requests;
    if (request === undefined) throw new UsageError(`no request of task "${taskId}" in the group`);
    const answer = log.responses.find((r) => r.payload.status === "completed") ?? log.responses[0];
    return {
      text: requestText(request.payload),
      requester: request.payload.requester_id,
      old: answer
        ? {
          agent_id: answer.payload.responder_id,
          status: answer.payload.status,
          answer: answer.payload.content,
        }
        : null,
      dropped: log.dropped,
    };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw failure(error);
  } finally {
    await transport.close();
  }
}

/** The text of a task's turn, as the worker's intake makes it. */
function requestText(payload: Readonly<Record<string, unknown>>): string {
  const description = typeof payload.description === "string" ? payload.description : "";
  const content = String(payload.content ?? "");
  return description ? `${description}\n\n${content}` : content;
}

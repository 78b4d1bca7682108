/**
 * What `kafclaw task show --trace` and `task replay` read of a task where this agent's store lacks
 * it: the group's topics (verified in a signed group), beyond the group's own those of the skills
 * and of this agent's zones; and the replay itself, the task's request again as a turn of this
 * agent.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import {
  type DroppedRecord,
  searchTaskLog,
  spanTree,
  type TaskLog,
  type TaskLogQuery,
  type TaskLogSearch,
  type TaskTrace,
  traceOfTask,
  uniqueSpans,
} from "../core/group/mod.ts";
import { agentInbox, topicsFor } from "../core/protocol/mod.ts";
import { FINAL_OUTGOING, Timeline } from "../core/timeline/mod.ts";
import type { Transport } from "../core/transport/mod.ts";
import type { CliContext } from "./_context.ts";
import { failure, UsageError } from "./_errors.ts";
import { groupTransport, pinnedOwnerKey, rosterNow, trustedConfig } from "./_group.ts";
import { memberRunsHere } from "./_group_config.ts";
import { print } from "./_task_read.ts";
import { droppedJson, droppedLines, traceJson, traceText } from "./_trace_view.ts";

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
    // A zone's task has its spans on the zone's traces topic.
    const log = await taskLog(config, transport, { taskId, traceId: known, ...query }, {
      topics: [topicsFor(config.group.name).traces],
      beyond: (topics) => topics.traces,
      found: (log) => log.spans.length > 0,
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
    requester: recorded.requester,
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
    // A task sent to a skill, or into a zone, has its request (and, in a zone, its answer) there.
    const log = await taskLog(config, transport, { taskId, ...query, optional: inbox }, {
      topics: [topics.requests, ...inbox, topics.responses],
      beyond: (topics) => [...topics.requests, ...topics.responses],
      found: (log) => log.requests.length > 0,
    });
    const [request] = log.requests;
    if (request === undefined) {
      throw new UsageError(
        `no request of task "${taskId}" in the group: looked in its requests topic, this agent's ` +
          "inbox, every skill's work topic and the zones this agent is a member of",
      );
    }
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

/**
 * {@link searchTaskLog} as this home's agent looks: beyond the group's topics, those of the skills
 * and of the zones this agent is a member of, as the group's state topics say now.
 */
function taskLog(
  config: ResolvedConfig,
  transport: Transport,
  query: TaskLogQuery,
  search: Pick<TaskLogSearch, "topics" | "beyond" | "found">,
): Promise<TaskLog> {
  return searchTaskLog(transport, query, {
    ...search,
    group: config.group.name,
    agentId: config.group.agentId,
    view: () => rosterNow(config, transport, { what: "skills and zones" }),
  });
}

/** The text of a task's turn, as the worker's intake makes it. */
function requestText(payload: Readonly<Record<string, unknown>>): string {
  const description = typeof payload.description === "string" ? payload.description : "";
  const content = String(payload.content ?? "");
  return description ? `${description}\n\n${content}` : content;
}

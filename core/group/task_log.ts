/**
 * One task as the group's topics hold it, for the commands that look back at a task: its spans
 * from every agent on the traces topic (`kafclaw task show <id> --trace` when the agent's store
 * lacks some), its request and its responses (`kafclaw task replay`). Each topic is read from the
 * beginning, only up to where it was when the read began (topic_reader.ts).
 *
 * In a signed group a record counts only if it verifies as a member would verify it, against the
 * certificates and revocations on the roster: a span, request or response that a non-member
 * forged, or that a revoked agent sent, is dropped and counted, never shown as the task's. A
 * replay (a copy of a record already read) is skipped without being counted.
 *
 * @module
 */
import { type Envelope, type EnvelopeOf, parseRecord, topicZone } from "../protocol/mod.ts";
import type { StoredSpan } from "../timeline/mod.ts";
import type { Transport } from "../transport/mod.ts";
import { spanOf } from "./spans.ts";
import { readWholeAfter } from "./_read_whole.ts";
import { type TaskTopics, taskTopics, type TaskTopicsView } from "./task_topics.ts";
import { type RecordCheck, rosterCheck } from "./topic_reader.ts";

/** A record of the task that failed verification. */
export interface DroppedRecord {
  /** The sender the record claims. */
  readonly agentId: string;
  readonly topic: string;
  /** The verification code (`bad_signature`, `unknown_signer`, `certificate_revoked` …). */
  readonly code: string;
  readonly reason: string;
}

/** What the topics hold of one task. */
export interface TaskLog {
  readonly spans: StoredSpan[];
  readonly requests: EnvelopeOf<"request" | "skill_request">[];
  readonly responses: EnvelopeOf<"response" | "skill_response">[];
  /** The task's records (of its trace, or naming it) that failed verification. */
  readonly dropped: DroppedRecord[];
}

/** What {@link readTaskLog} looks for, and how. */
export interface TaskLogQuery {
  readonly taskId: string;
  /** The task's trace, when known; else the trace of a span naming the task. */
  readonly traceId?: string | undefined;
  /** The per-run consumer group to read through. */
  readonly groupId: string;
  /** The group and its owner's key: given, records are verified (a signed group). */
  readonly signed?: { readonly group: string; readonly ownerKey: CryptoKey } | undefined;
  /** Topics that may not exist (an agent's inbox); missing, they hold nothing. */
  readonly optional?: readonly string[];
}

/** The task and trace a record speaks of, to tell whether a dropped record was this task's. */
function subjectOf(envelope: Envelope): { readonly taskId: unknown; readonly traceId: unknown } {
  if (envelope.type === "trace") {
    const { attributes, trace_id } = envelope.payload;
    return { taskId: attributes?.task_id, traceId: trace_id };
  }
  return {
    taskId: (envelope.payload as Readonly<Record<string, unknown>>).task_id,
    traceId: undefined,
  };
}

/**
 * Reads the task of `query` from `topics` (a group's or zone's traces, requests, inbox and
 * responses topics): its spans (those of its trace), its requests and its responses.
 */
export async function readTaskLog(
  transport: Transport,
  topics: readonly string[],
  query: TaskLogQuery,
): Promise<TaskLog> {
  return await taskLogReader(transport, query)(topics, query.optional);
}

/** Reads the task of a query from the topics given, as {@link readTaskLog} reads it. */
export type TaskLogReader = (
  topics: readonly string[],
  optional?: readonly string[],
) => Promise<TaskLog>;

/** Where {@link searchTaskLog} looks for a task, and what it looks for. */
export interface TaskLogSearch {
  readonly group: string;
  /** The agent whose zones' topics may be read (none: a reader that never joined). */
  readonly agentId: string | undefined;
  /** The topics read first (the group's own). */
  readonly topics: readonly string[];
  /** Whether the first topics hold what is looked for. */
  readonly found: (log: TaskLog) => boolean;
  /** The skills and zones as the group's state topics say now (`readRoster`). */
  readonly view: () => Promise<TaskTopicsView>;
  /** Of the topics of the skills and of the agent's zones ({@link taskTopics}), those read next. */
  readonly beyond: (topics: TaskTopics) => readonly string[];
}

/**
 * The task as `search.topics` hold it; when they lack what `search.found` looks for, also as the
 * topics of its skills and zones hold it (`kafclaw task show --trace`, `task replay`). The state
 * topics that say which those are are read beside the first topics, so a task found beyond the
 * group's topics costs two reads in turn, not three.
 */
export async function searchTaskLog(
  transport: Transport,
  query: TaskLogQuery,
  search: TaskLogSearch,
): Promise<TaskLog> {
  const readTopics = taskLogReader(transport, query);
  const [first, view] = await Promise.allSettled([
    readTopics(search.topics, query.optional),
    search.view(),
  ]);
  if (first.status === "rejected") throw first.reason;
  const log = first.value;
  if (search.found(log)) return log;
  if (view.status === "rejected") throw view.reason;
  const topics = taskTopics(search.group, search.agentId, view.value);
  const beyond = search.beyond(topics).filter((topic) => !search.topics.includes(topic));
  if (beyond.length === 0) return log;
  const more = await readTopics(beyond, topics.optional);
  return {
    spans: more.spans,
    requests: [...log.requests, ...more.requests],
    responses: [...log.responses, ...more.responses],
    dropped: [...log.dropped, ...more.dropped],
  };
}

/**
 * A reader of the task of `query` from one set of topics after another (the group's, then those of
 * its skills and zones), each read against the same read of the roster in a signed group.
 */
export function taskLogReader(transport: Transport, query: TaskLogQuery): TaskLogReader {
  const { groupId, signed } = query;
  // In a signed group the roster is read beside the first topics, whose records wait for it.
  const checking = signed === undefined
    ? Promise.resolve(undefined)
    : rosterCheck(transport, signed.group, { ownerKey: signed.ownerKey, groupId });
  // Its failure is thrown by each read, which waits for it.
  checking.catch(() => {});
  return (topics, optional = []) => readTopics(transport, topics, query, checking, optional);
}

async function readTopics(
  transport: Transport,
  topics: readonly string[],
  query: TaskLogQuery,
  checking: Promise<RecordCheck | undefined>,
  optional: readonly string[],
): Promise<TaskLog> {
  const { taskId, groupId } = query;
  // The topics are read together; what each holds is told in the order of `topics`.
  const place = new Map(topics.map((topic, i) => [topic, i]));
  const spans = new TopicOrder<StoredSpan>(place);
  const requests = new TopicOrder<TaskLog["requests"][number]>(place);
  const responses = new TopicOrder<TaskLog["responses"][number]>(place);
  const dropped = new TopicOrder<DroppedRecord & ReturnType<typeof subjectOf>>(place);
  let check: RecordCheck | undefined;
  const checked = checking.then((made) => void (check = made));
  await readWholeAfter(checked, transport, topics, groupId, async (record) => {
    const parsed = parseRecord(record);
    if (!parsed.ok) return;
    const { envelope } = parsed;
    const verdict = await check?.(record, envelope);
    if (verdict?.ok === false) {
      if (verdict.code === "replay") return;
      const { code, reason } = verdict;
      dropped.push(record.topic, {
        agentId: envelope.sender_id,
        topic: record.topic,
        code,
        reason,
        ...subjectOf(envelope),
      });
      return;
    }
    switch (envelope.type) {
      case "trace":
        spans.push(
          record.topic,
          spanOf(envelope.sender_id, envelope.payload, topicZone(record.topic)),
        );
        return;
      case "request":
      case "skill_request":
        if (envelope.payload.task_id === taskId) requests.push(record.topic, envelope);
        return;
      case "response":
      case "skill_response":
        if (envelope.payload.task_id === taskId) responses.push(record.topic, envelope);
    }
  }, optional);
  const read = spans.all();
  const traceId = query.traceId ?? read.find((s) => s.attributes.task_id === taskId)?.traceId;
  return {
    spans: read.filter((s) => s.traceId === traceId),
    requests: requests.all(),
    responses: responses.all(),
    dropped: dropped.all()
      .filter((d) => d.taskId === taskId || (traceId !== undefined && d.traceId === traceId))
      .map(({ agentId, topic, code, reason }) => ({ agentId, topic, code, reason })),
  };
}

/** Items kept with the topic they came from, told in the order of their topics. */
class TopicOrder<T> {
  readonly #place: ReadonlyMap<string, number>;
  readonly #items: { readonly at: number; readonly item: T }[] = [];

  constructor(place: ReadonlyMap<string, number>) {
    this.#place = place;
  }

  push(topic: string, item: T): void {
    this.#items.push({ at: this.#place.get(topic)!, item });
  }

  /** Every item: by its topic's place, each topic's in the order read (the sort is stable). */
  all(): T[] {
    return this.#items.toSorted((a, b) => a.at - b.at).map(({ item }) => item);
  }
}

/**
 * One task as the group's topics hold it, for the commands that look back at a task: its spans
 * from every agent on the traces topic (`kafclaw task show <id> --trace` when the agent's store
 * lacks some), its request and its responses (`kafclaw task replay`). Each topic is read from the
 * beginning through a consumer group of this run that never commits (as a state topic is), and
 * only up to where it was when the read began.
 *
 * @module
 */
import { type Envelope, type EnvelopeOf, parseRecord } from "../protocol/mod.ts";
import type { StoredSpan } from "../timeline/mod.ts";
import type { InboundRecord, Transport } from "../transport/mod.ts";
import { spanOf } from "./spans.ts";

/** What the topics hold of one task. */
export interface TaskLog {
  readonly spans: StoredSpan[];
  readonly requests: EnvelopeOf<"request" | "skill_request">[];
  readonly responses: EnvelopeOf<"response" | "skill_response">[];
}

/** Reads every record of `topics` there is now, handing each parsed envelope to `seen`. */
async function readAll(
  transport: Transport,
  topics: readonly string[],
  groupId: string,
  seen: (envelope: Envelope, record: InboundRecord) => void,
): Promise<void> {
  for (const topic of topics) {
    const subscription = await transport.subscribe({
      kind: "state",
      topics: [topic],
      groupId,
      handler: (record) => {
        const parsed = parseRecord(record);
        if (parsed.ok) seen(parsed.envelope, record);
      },
    });
    try {
      await subscription.caughtUp();
    } finally {
      await subscription.close();
    }
  }
}

/**
 * Reads task `taskId` from `topics` (a group's or zone's traces, requests, inbox and responses
 * topics): its spans (those of trace `traceId`, or, when it is not known, of the trace a span
 * naming the task belongs to), its requests and its responses.
 */
export async function readTaskLog(
  transport: Transport,
  topics: readonly string[],
  task: {
    readonly taskId: string;
    readonly traceId?: string | undefined;
    readonly groupId: string;
  },
): Promise<TaskLog> {
  const spans: StoredSpan[] = [];
  const requests: TaskLog["requests"] = [];
  const responses: TaskLog["responses"] = [];
  await readAll(transport, topics, task.groupId, (envelope) => {
    switch (envelope.type) {
      case "trace":
        spans.push(spanOf(envelope.sender_id, envelope.payload));
        return;
      case "request":
      case "skill_request":
        if (envelope.payload.task_id === task.taskId) requests.push(envelope);
        return;
      case "response":
      case "skill_response":
        if (envelope.payload.task_id === task.taskId) responses.push(envelope);
    }
  });
  const traceId = task.traceId ??
    spans.find((s) => s.attributes.task_id === task.taskId)?.traceId;
  return {
    spans: traceId === undefined ? [] : spans.filter((s) => s.traceId === traceId),
    requests,
    responses,
  };
}

/**
 * A requester driven record by record, for its unit tests: a timeline in memory (or a file), a
 * hand-made clock, three live workers (`a`, `b` and the requester `r` itself), and what it sent.
 */
import {
  LiveWorkerSet,
  Requester,
  type RequesterAudit,
  type RequesterDeps,
} from "../../core/group/mod.ts";
import { Timeline } from "../../core/timeline/mod.ts";
import type { InboundRecord, OutboundRecord } from "../../core/transport/mod.ts";
import { taskPayload } from "./task_group.ts";

export const G = "g1";
export const STATUS = `group.${G}.tasks.status`;
export const RESPONSES = `group.${G}.responses`;
export const load = { running: 0, capacity: 4 };

export interface Rig {
  requester: Requester;
  sent: {
    topic: string;
    envelope: Record<string, unknown> & { payload: Record<string, unknown> };
  }[];
  audits: RequesterAudit[];
  clock: { t: number };
  timeline: Timeline;
  workers: LiveWorkerSet;
  [Symbol.dispose](): void;
}

export function rig(deps: Partial<RequesterDeps> = {}, timeline = Timeline.open(":memory:")): Rig {
  const sent: Rig["sent"] = [];
  const audits: RequesterAudit[] = [];
  const clock = { t: Date.parse("2026-12-04T12:00:00Z") };
  const workers = new LiveWorkerSet([
    { agentId: "a", skills: ["sql"], load },
    { agentId: "b", skills: ["sql"], load },
    { agentId: "r", skills: ["sql"], load },
  ]);
  const requester = new Requester({
    agentId: "r",
    group: G,
    send: (records: readonly OutboundRecord[]) => {
      for (const r of records) {
        sent.push({ topic: r.topic, envelope: JSON.parse(String(r.value)) });
      }
      return Promise.resolve();
    },
    store: timeline.groupTasks,
    workers,
    heartbeatIntervalMs: 1000,
    leaseMs: 5000,
    audit: (a) => audits.push(a),
    now: () => new Date(clock.t),
    ...deps,
  });
  return {
    requester,
    sent,
    audits,
    clock,
    timeline,
    workers,
    [Symbol.dispose]: () => (requester.close(), timeline.close()),
  };
}

let offset = 0;
export function record(topic: string, envelope: Record<string, unknown>): InboundRecord {
  return {
    topic,
    partition: 0,
    offset: String(offset++),
    key: String((envelope.payload as { task_id?: string } | undefined)?.task_id),
    value: new TextEncoder().encode(JSON.stringify(envelope)),
    headers: {},
    timestamp: 0,
  };
}

let seq = 1;
export function status(worker: string, what: string, attempt = 1, task = "t1", from = worker) {
  return record(STATUS, {
    type: "task_status",
    correlation_id: task,
    sender_id: from,
    timestamp: "2026-12-04T12:00:00Z",
    payload: { task_id: task, attempt, worker_id: worker, status: what, seq: seq++ },
  });
}

export function response(
  worker: string,
  attempt = 1,
  fields: Record<string, unknown> = {},
  task = "t1",
) {
  return record(RESPONSES, {
    type: "response",
    correlation_id: task,
    sender_id: worker,
    timestamp: "2026-12-04T12:00:00Z",
    payload: {
      task_id: task,
      attempt,
      responder_id: worker,
      content: `from ${worker}`,
      status: "completed",
      ...fields,
    },
  });
}

export async function send(r: Rig, fields: Record<string, unknown> = {}, task = "t1") {
  const deadline = new Date(r.clock.t + 60_000).toISOString();
  await r.requester.send({
    type: fields.skill ? "skill_request" : "request",
    payload: taskPayload("r", { task_id: task, content: "x", deadline_at: deadline, ...fields }),
    taint: "untrusted",
  }, { topic: `group.${G}.requests` });
}

/** What the requester sent after the request, as `status:worker@attempt` or `request@attempt>inbox`. */
export function said(r: Rig): string[] {
  return r.sent.flatMap(({ topic, envelope }) => {
    const p = envelope.payload;
    if (envelope.type === "task_status") {
      return topic === STATUS ? [`${p.status}:${p.worker_id}@${p.attempt}`] : [];
    }
    return [`request@${p.attempt}>${topic}`];
  });
}

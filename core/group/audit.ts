/**
 * The group's audit (PROTOCOL.md, `audit` on `group.<g>.observe.audit`): what an agent refused
 * or dropped, told to the group so an operator sees it in one place. Records dropped by
 * verification (forged, replayed, revoked or expired certificates, a certificate that never
 * came), leases that lapsed, responses dropped as not the first, tasks rejected (depth, cycle,
 * budget, deadline), and turns or tool calls the policy refused (quotas and limits included).
 *
 * PROTOCOL.md names seven event types; what it has no name for goes as `policy_decision` with a
 * `decision` field saying which (`task_rejected`, `response_dropped`, `turn_refused`,
 * `tool_denied`). Each record carries `code`, `topic` and `task_id` where known, beside the
 * protocol's `detail` and `agent_id` (the agent the event is about); a poison record (one a
 * handler could not take: not an envelope, the wrong type, a sender that does not verify on a
 * work topic) its `partition` and `offset` too, with the reason, and never its value
 * ({@link watchPoison}: the transport dead-letters it as before). Sending never fails the work
 * that caused it: what the broker refuses is told to `warn`.
 *
 * @module
 */
import {
  agentKey,
  type AUDIT_EVENTS,
  isAgentId,
  PROTOCOL_VERSION,
  topicsFor,
} from "../protocol/mod.ts";
import type { EventLog } from "../timeline/mod.ts";
import type {
  HandlerResult,
  InboundRecord,
  OutboundRecord,
  RecordHandler,
  Transport,
} from "../transport/mod.ts";
import type { RequesterAudit } from "./requester.ts";
import type { Dropped } from "./trust.ts";

/** One thing audited. */
export interface AuditEvent {
  readonly eventType: typeof AUDIT_EVENTS[number];
  /** Within `policy_decision`: which decision (`task_rejected`, `tool_denied` …). */
  readonly decision?: string | undefined;
  /** The agent the event is about (a record's claimed sender, a worker); default this agent. */
  readonly agentId?: string | undefined;
  readonly detail: string;
  readonly code?: string | undefined;
  readonly topic?: string | undefined;
  /** Where on `topic` the record was (a poison record). */
  readonly partition?: number | undefined;
  readonly offset?: string | undefined;
  readonly taskId?: string | undefined;
}

/** What a {@link GroupAudit} is built from. */
export interface GroupAuditOptions {
  readonly agentId: string;
  readonly group: string;
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  /** Where this agent keeps its own record of each event (its timeline); none when omitted. */
  readonly events?: Pick<EventLog, "record">;
  readonly warn?: (message: string) => void;
  readonly now?: () => Date;
}

/** Records audit events and sends them to the group; see the module documentation. */
export class GroupAudit {
  readonly #options: GroupAuditOptions;

  constructor(options: GroupAuditOptions) {
    this.#options = options;
  }

  /** Keeps the event in this agent's timeline and sends it to the group. */
  record(event: AuditEvent): void {
    this.#options.events?.record({
      kind: "GROUP",
      sender: event.agentId ?? this.#options.agentId,
      contentText: event.taskId ? `task ${event.taskId}: ${event.detail}` : event.detail,
      metadata: {
        event_type: event.decision ?? event.eventType,
        ...(event.code ? { code: event.code } : {}),
        ...(event.topic ? { topic: event.topic } : {}),
        ...(event.offset === undefined ? {} : { partition: event.partition, offset: event.offset }),
        ...(event.taskId ? { task_id: event.taskId } : {}),
      },
    });
    this.publish(event);
  }

  /** Sends the event to the group only (the caller keeps its own record). */
  publish(event: AuditEvent): void {
    this.#options.send([this.#record(event)]).catch((error) =>
      this.#options.warn?.(`Cannot send an audit record: ${(error as Error).message}`)
    );
  }

  /** A record dropped by verification (the membership keeps its own record of it). */
  readonly dropped = (dropped: Dropped): void => {
    this.publish({
      eventType: dropped.eventType === "replay_dropped" ? "replay_dropped" : "signature_invalid",
      agentId: dropped.agentId,
      detail: `dropped a record on ${dropped.topic}: ${dropped.detail}`,
      code: dropped.code,
      topic: dropped.topic,
    });
  };

  /** A requester's lapsed lease or dropped response. */
  readonly requester = (event: RequesterAudit): void => {
    this.record({
      eventType: event.event === "lease_lapsed" ? "lease_lapsed" : "policy_decision",
      ...(event.event === "lease_lapsed" ? {} : { decision: event.event }),
      detail: event.detail,
      taskId: event.taskId,
    });
  };

  /** A newcomer this agent's sponsor refused (its timeline keeps its own record of it). */
  readonly rejected = (newcomer: string, reason: string): void => {
    this.publish({
      eventType: "onboard_rejected",
      agentId: newcomer,
      detail: `refused to onboard ${newcomer}: ${reason}`,
      code: "onboard_rejected",
    });
  };

  /** A record a handler called poison: where it was and why, never its value. */
  readonly poison = (record: InboundRecord, reason: string): void => {
    const { topic, partition, offset } = record;
    this.record({
      eventType: "poison_record",
      detail: `poison record at ${topic}@${partition}:${offset}: ${reason}`,
      code: "poison",
      topic,
      partition,
      offset,
    });
  };

  #record(event: AuditEvent): OutboundRecord {
    const { agentId, group } = this.#options;
    const subject = event.agentId ?? agentId;
    const named = isAgentId(subject);
    const value = JSON.stringify({
      type: "audit",
      correlation_id: event.taskId ?? `audit-${crypto.randomUUID()}`,
      sender_id: agentId,
      timestamp: (this.#options.now?.() ?? new Date()).toISOString(),
      protocol: PROTOCOL_VERSION,
      payload: {
        event_type: event.eventType,
        detail: event.detail,
        // The protocol's field names an agent; a claimed sender that is none (`owner`) goes apart.
        agent_id: named ? subject : agentId,
        ...(named ? {} : { claimed_sender: subject }),
        ...(event.decision ? { decision: event.decision } : {}),
        ...(event.code ? { code: event.code } : {}),
        ...(event.topic ? { topic: event.topic } : {}),
        ...(event.offset === undefined ? {} : { partition: event.partition, offset: event.offset }),
        ...(event.taskId ? { task_id: event.taskId } : {}),
      },
    });
    return { topic: topicsFor(group).audit, key: agentKey(agentId), value };
  }
}

/** Topics whose handlers audit their own poison (shared memory, which says whose item it was). */
const SELF_AUDITED = /\.memory(\.shared|\.context)?$/;

/**
 * `transport`, but every record that a subscription's handler calls poison (on any topic but
 * the shared memory ones, which audit their own) is also told to `poison` before the transport
 * dead-letters or counts it as before.
 */
export function watchPoison(
  transport: Transport,
  poison: (record: InboundRecord, reason: string) => void,
): Transport {
  const watched = (handler: RecordHandler): RecordHandler => async (record) => {
    const result: HandlerResult = await handler(record);
    if (result && "poison" in result && !SELF_AUDITED.test(record.topic)) {
      poison(record, result.poison);
    }
    return result;
  };
  return {
    produce: (records) => transport.produce(records),
    subscribe: (options) => transport.subscribe({ ...options, handler: watched(options.handler) }),
    createTopics: (specs) => transport.createTopics(specs),
    verifyTopics: (specs) => transport.verifyTopics(specs),
    groupMembers: (groupId) => transport.groupMembers(groupId),
    listGroups: (prefix) => transport.listGroups(prefix),
    deleteGroups: (groupIds) => transport.deleteGroups(groupIds),
    close: () => transport.close(),
  };
}

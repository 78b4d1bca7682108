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
 * work topic; code `poison`), a record its handler threw on (`handler_failed`) and a batch the
 * consumer could not decode (`undecodable_batch`, with `last_offset`) their `partition` and
 * `offset` too, with the reason, and never the value (audit_watch.ts: the transport dead-letters
 * them as before). Sending never fails the work that caused it: what the broker refuses is told
 * to `warn`.
 *
 * An audit exists before its agent has joined the group, so that what is refused while it joins
 * (records dropped while the state topics are read, a sponsor's refusals, poison) is not lost:
 * each event goes to the timeline at once, and its record waits (at most {@link AUDIT_WAITING})
 * until {@link GroupAudit.open} gives the audit the member's signed sender.
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
import type { InboundRecord, OutboundRecord, SkippedBatch } from "../transport/mod.ts";
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
  /** The last offset of a range of records (a batch that could not be decoded). */
  readonly lastOffset?: string | undefined;
  readonly taskId?: string | undefined;
}

/** How many events wait for {@link GroupAudit.open}; the timeline keeps those beyond. */
export const AUDIT_WAITING = 100;

type Send = (records: readonly OutboundRecord[]) => Promise<void>;

/** What a {@link GroupAudit} is built from. */
export interface GroupAuditOptions {
  readonly agentId: string;
  readonly group: string;
  /** Where the records go (the member's signed send); without it they wait for `open`. */
  readonly send?: Send | undefined;
  /** Where this agent keeps its own record of each event (its timeline); none when omitted. */
  readonly events?: Pick<EventLog, "record">;
  readonly warn?: (message: string) => void;
  readonly now?: () => Date;
}

/** Records audit events and sends them to the group; see the module documentation. */
export class GroupAudit {
  readonly #options: GroupAuditOptions;
  #send: Send | undefined;
  readonly #waiting: AuditEvent[] = [];
  #unsent = 0;

  constructor(options: GroupAuditOptions) {
    this.#options = options;
    this.#send = options.send;
  }

  /**
   * Sends the records through `send` from now on, the waiting ones first (and says how many did
   * not wait, if any). Opening again changes the sender.
   */
  open(send: Send): void {
    this.#send = send;
    if (this.#unsent > 0) {
      this.#options.warn?.(
        `${this.#unsent} audit event(s) before the group was joined are in the timeline only ` +
          `(at most ${AUDIT_WAITING} wait to be sent)`,
      );
      this.#unsent = 0;
    }
    for (const event of this.#waiting.splice(0)) this.publish(event);
  }

  /** Keeps the event in this agent's timeline and sends it to the group. */
  record(event: AuditEvent): void {
    try {
      this.#options.events?.record({
        kind: "GROUP",
        sender: event.agentId ?? this.#options.agentId,
        contentText: event.taskId ? `task ${event.taskId}: ${event.detail}` : event.detail,
        metadata: { event_type: event.decision ?? event.eventType, ...whereAndWhy(event) },
      });
    } catch (error) {
      // The group still hears of it (a timeline that fails may be why a handler threw).
      this.#options.warn?.(`Cannot keep an audit event: ${(error as Error).message}`);
    }
    this.publish(event);
  }

  /** Sends the event to the group only (the caller keeps its own record). */
  publish(event: AuditEvent): void {
    if (this.#send === undefined) {
      if (this.#waiting.length < AUDIT_WAITING) this.#waiting.push(event);
      else this.#unsent++;
      return;
    }
    this.#send([this.#record(event)]).catch((error) =>
      // Out of the group now (it left, or was revoked): no one there to tell. The timeline keeps
      // what `record` was given.
      (error as Error).name === "MembershipClosed"
        ? undefined
        : this.#options.warn?.(`Cannot send an audit record: ${(error as Error).message}`)
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

  /**
   * A record a handler called poison (code `poison`), or threw on (`handler_failed`: the
   * transport takes it for poison too): where it was and why, never its value.
   */
  readonly poison = (record: InboundRecord, reason: string, code = "poison"): void => {
    const { topic, partition, offset } = record;
    this.record({
      eventType: "poison_record",
      detail: `poison record at ${topic}@${partition}:${offset}: ${reason}`,
      code,
      topic,
      partition,
      offset,
    });
  };

  /** A batch of records the consumer could not decode, skipped: its offsets and why. */
  readonly undecodable = (batch: SkippedBatch): void => {
    const { topic, partition, firstOffset, lastOffset, reason } = batch;
    this.record({
      eventType: "poison_record",
      detail: `undecodable batch at ${topic}@${partition}:${firstOffset}-${lastOffset}: ${reason}`,
      code: "undecodable_batch",
      topic,
      partition,
      offset: firstOffset,
      lastOffset,
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
        ...whereAndWhy(event),
      },
    });
    return { topic: topicsFor(group).audit, key: agentKey(agentId), value };
  }
}

/** The fields of an event beside its type, as the timeline and the audit record carry them. */
function whereAndWhy(event: AuditEvent): Record<string, unknown> {
  return {
    ...(event.code ? { code: event.code } : {}),
    ...(event.topic ? { topic: event.topic } : {}),
    ...(event.offset === undefined ? {} : { partition: event.partition, offset: event.offset }),
    ...(event.lastOffset === undefined ? {} : { last_offset: event.lastOffset }),
    ...(event.taskId ? { task_id: event.taskId } : {}),
  };
}

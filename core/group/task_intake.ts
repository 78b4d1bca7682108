/**
 * Where a Kafka record becomes a task, and a task becomes a turn. A worker's `work` subscription
 * on a requests topic (the group's, a skill's, its inbox, a zone's) hands every record to
 * {@link TaskIntake.handle}, which never blocks the consumer:
 *
 * 1. the record is parsed (core/protocol `parseRecord`) and its sender checked (`trust`); what
 *    fails either is poison, which the transport dead-letters (PROTOCOL.md, Envelope);
 * 2. a request for another agent, or this agent's own, is left alone;
 * 3. the task goes to the subscription's bounded executor as `work`: a task past its deadline is
 *    rejected without a turn, any other enters the agent's door (core/agent `Door`) as another
 *    agent's task, in the zone of the topic it came on (never a field's);
 * 4. the turn's answer goes back as a `response` (or `skill_response`) keyed by the task id, on
 *    the responses topic of the same zone, carrying the turn's taint.
 *
 * @module
 */
import type { Door, TurnScope } from "../agent/mod.ts";
import {
  type Envelope,
  type EnvelopeOf,
  parseRecord,
  parseTimestamp,
  parseTopic,
  PROTOCOL_VERSION,
  type ResponsePayload,
  type TopicInfo,
  topicsFor,
  zoneTopic,
} from "../protocol/mod.ts";
import type { HandlerResult, InboundRecord, OutboundRecord } from "../transport/mod.ts";

/** A task request as it came in. */
export type TaskRequest = EnvelopeOf<"request" | "skill_request">;

/** Whether a parsed record's sender is who it says, and whether its certificate vouches for it. */
export type Trust = (
  record: InboundRecord,
  envelope: Envelope,
) => Promise<
  { readonly ok: true; readonly vouched: boolean } | { readonly ok: false; readonly reason: string }
>;

/**
 * The trust of a group in open mode (`group.security: open`): nobody's signature is checked, so
 * nobody is vouched for; every task is external and untrusted. Signed groups verify each record
 * against the group's roster instead (core/protocol `verifyRecord`).
 */
export const openTrust: Trust = () => Promise.resolve({ ok: true, vouched: false });

/** What a {@link TaskIntake} is built from. */
export interface TaskIntakeDeps {
  /** This agent's id in the group. */
  readonly agentId: string;
  /** The agent's one door into a turn. */
  readonly door: Pick<Door, "enter">;
  readonly trust: Trust;
  /** Sends the response (signed, in a signed group). */
  readonly send: (records: readonly OutboundRecord[]) => Promise<void>;
  readonly now?: () => Date;
}

/** Turns task records into turns and their answers into responses; see the module documentation. */
export class TaskIntake {
  readonly #deps: TaskIntakeDeps;

  constructor(deps: TaskIntakeDeps) {
    this.#deps = deps;
  }

  /** The subscription's handler for one record of a requests topic. */
  readonly handle = async (record: InboundRecord): Promise<HandlerResult> => {
    const parsed = parseRecord(record);
    if (!parsed.ok) return { poison: parsed.error.message };
    const { envelope } = parsed;
    if (envelope.type !== "request" && envelope.type !== "skill_request") {
      return { poison: `a ${envelope.type} record on the requests topic ${record.topic}` };
    }
    const task = envelope.payload;
    const mine = task.target_id === undefined || task.target_id === this.#deps.agentId;
    if (!mine || task.requester_id === this.#deps.agentId) return;
    // parseRecord accepted the topic: it is one of this protocol's.
    const where = parseTopic(record.topic) as TopicInfo;
    const trusted = await this.#deps.trust(record, envelope);
    if (!trusted.ok) return { poison: trusted.reason };
    const zone = where.role === "zone" ? where.zone : undefined;
    return { work: () => this.#run(envelope, { group: where.group, zone }, trusted.vouched) };
  };

  async #run(
    request: TaskRequest,
    at: { group: string; zone: string | undefined },
    vouched: boolean,
  ): Promise<void> {
    const task = request.payload;
    const { group, zone } = at;
    const deadline = task.deadline_at === undefined ? undefined : parseTimestamp(task.deadline_at);
    const now = (this.#deps.now ?? (() => new Date()))();
    let response: Pick<ResponsePayload, "content" | "status" | "reason" | "usage">;
    let taint = request.taint ?? "untrusted";
    if (deadline !== undefined && deadline <= now.getTime()) {
      response = {
        content: "",
        status: "rejected",
        reason: `the deadline ${task.deadline_at} had passed when the task arrived`,
      };
    } else {
      const scope: TurnScope = zone ? { zone, zones: ["public", zone] } : { zones: ["public"] };
      const result = await this.#deps.door.enter({
        source: {
          kind: "task",
          group,
          from: task.requester_id,
          vouched,
          taint: request.taint,
          scope,
        },
        sessionKey: `task:${task.task_id}`,
        text: task.description ? `${task.description}\n\n${task.content}` : task.content,
      });
      if (result.kind === "turn") taint = result.turn.taint;
      response = result.kind !== "turn"
        ? { content: result.content, status: "rejected", reason: result.content }
        : result.turn.stopped === "answer"
        ? { content: result.content, status: "completed", usage: usageOf(result.turn.usage) }
        : {
          content: result.content,
          status: "failed",
          reason: result.turn.stopped,
          usage: usageOf(result.turn.usage),
        };
    }
    await this.#deps.send([this.#response(request, response, { group, zone, taint, now })]);
  }

  /** The response record of a task, on the responses topic of the zone it came from. */
  #response(
    request: TaskRequest,
    answer: Pick<ResponsePayload, "content" | "status" | "reason" | "usage">,
    at: { group: string; zone: string | undefined; taint: "trusted" | "untrusted"; now: Date },
  ): OutboundRecord {
    const task = request.payload;
    const { group } = at;
    const envelope = {
      type: request.type === "skill_request" ? "skill_response" : "response",
      correlation_id: task.task_id,
      sender_id: this.#deps.agentId,
      timestamp: at.now.toISOString(),
      protocol: PROTOCOL_VERSION,
      ...(request.trace_id ? { trace_id: request.trace_id } : {}),
      taint: at.taint,
      payload: {
        task_id: task.task_id,
        attempt: task.attempt,
        responder_id: this.#deps.agentId,
        ...answer,
      },
    };
    return {
      topic: at.zone ? zoneTopic(group, at.zone, "responses") : topicsFor(group).responses,
      key: task.task_id,
      value: JSON.stringify(envelope),
    };
  }
}

function usageOf(usage: { promptTokens: number; completionTokens: number }) {
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens };
}

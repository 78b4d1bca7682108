/**
 * A running agent's subscriptions to the topics of the zones it is a member of (PROTOCOL.md
 * semantics 9): only members read a zone's traffic. It follows the zone directory (zones.ts):
 * when a zone's record lists the agent, it starts reading the zone's requests (work, through the
 * zone's shared group `kafclaw.<g>.zone.<z>`, dead-letters to the zone's dead-letter topic), its
 * inbox (targeted work and grants, through its own `kafclaw.<g>.<agent_id>.zone-inbox.<z>`) and
 * its responses, statuses, traces and memory (streams, through the agent's own group
 * `kafclaw.<g>.<agent_id>.zone.<z>`); when it is removed, or the zone deleted, it stops.
 *
 * A record on a zone's topic whose sender is not a member of that zone (in a signed group: whose
 * certificate does not name it either) is dropped before any handler sees it, and told to
 * `refused` (the audit), with why: a member never acts on a non-member's
 * record in the zone, whatever it holds. The zone of a record is its topic's: each handler is
 * chosen by the kind of the topic the record came on.
 *
 * Every handler is wrapped here, not by each caller, so that no way of reading a zone skips a
 * check: each goes behind `guard` (a signed membership's: records wait for their signer's
 * certificate, batches are verified together), and the task streams (statuses, responses, spans)
 * behind the check of each record's sender by `trust` as well (sender_check.ts), as the group's
 * task stream is; the requests, the inbox and memory check their senders themselves.
 *
 * @module
 */
import { settleAll } from "../errors/mod.ts";
import { agentConsumerGroup, parseRecord, parseTopic, zoneTopic } from "../protocol/mod.ts";
import {
  around,
  byTopic,
  type RecordHandler,
  type Subscription,
  type Transport,
} from "../transport/mod.ts";
import type { AuditEvent } from "./audit.ts";
import { senderChecked } from "./sender_check.ts";
import type { Trust } from "./task_admission.ts";
import { PUBLIC_ZONE, type ZoneDirectory } from "./zones.ts";

/** The handlers of a zone's topics, by kind (the same as of the group's); a kind left out is not read. */
export interface ZoneHandlers {
  readonly requests?: RecordHandler;
  /** The zone's targeted work and grants, for this member (the same handler as its own inbox's). */
  readonly inbox?: RecordHandler;
  readonly responses?: RecordHandler;
  readonly status?: RecordHandler;
  readonly traces?: RecordHandler;
  readonly memory?: RecordHandler;
}

/** A zone topic read by the zone's stream subscription. */
export type ZoneStreamKind = "responses" | "tasks.status" | "traces" | "memory";

/** What {@link ZoneSubscriptions} is built from. */
export interface ZoneSubscriptionsOptions {
  readonly group: string;
  readonly agentId: string;
  readonly transport: Transport;
  readonly zones: ZoneDirectory;
  readonly handlers: ZoneHandlers;
  /** Tasks run at once from a zone's requests. */
  readonly concurrency: number;
  /**
   * The streams' group is `kafclaw.<g>.<agent_id>.<streamGroup>.<z>`; default `zone`. Two sides of
   * one agent that read different kinds each have their own.
   */
  readonly streamGroup?: string;
  /**
   * Makes the zone's topics that are missing before they are read (a zone made before its inbox
   * was one of them); a failure (no right to create them) is left to the subscription.
   */
  readonly ensureTopics?: (zone: string) => Promise<unknown>;
  /** Told of a record dropped for a sender that is not a member of the topic's zone. */
  readonly refused?: (dropped: ZoneDropped) => void;
  /** Checks each task stream record's sender: the membership's trust (`openTrust` when open). */
  readonly trust: Trust;
  /** Wraps every handler: a signed membership's guard. Default none (an open group). */
  readonly guard?: (handler: RecordHandler) => RecordHandler;
}

/** A record dropped on a zone's topic: its sender, where, and why the sender does not count. */
export interface ZoneDropped {
  readonly sender: string;
  readonly topic: string;
  readonly zone: string;
  readonly why: string;
}

/** The audit event of a record dropped on a zone's topic (`not_zone_member`). */
export function zoneDroppedEvent(dropped: ZoneDropped): AuditEvent {
  return {
    eventType: "signature_invalid",
    code: "not_zone_member",
    agentId: dropped.sender,
    topic: dropped.topic,
    detail: `dropped a record of "${dropped.sender}": ${dropped.why}`,
  };
}

/** The shared group of a zone's workers: `kafclaw.<g>.zone.<z>`. */
export function zoneConsumerGroup(group: string, zone: string): string {
  return `kafclaw.${group}.zone.${zone}`;
}

/** An agent's zone subscriptions; see the module documentation. */
export class ZoneSubscriptions {
  readonly #options: ZoneSubscriptionsOptions;
  readonly #open = new Map<string, Subscription[]>();
  /** The stream subscription of each zone read (the others are work subscriptions). */
  readonly #streams = new Set<Subscription>();
  #changing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: ZoneSubscriptionsOptions) {
    this.#options = options;
    options.zones.listen(() => void this.follow().catch(() => {}));
  }

  /**
   * Whether this agent's stream of `zone` has not read everything appended to `topics` of it
   * (transport `Subscription.behind`); true for a zone it does not read.
   */
  async behind(zone: string, kinds: readonly ZoneStreamKind[]): Promise<boolean> {
    const topics = kinds.map((kind) => zoneTopic(this.#options.group, zone, kind));
    const stream = this.#open.get(zone)?.find((s) => this.#streams.has(s));
    return stream === undefined ? true : await stream.behind(topics);
  }

  /** The zones whose topics are read now, by id. */
  joined(): string[] {
    return [...this.#open.keys()].sort();
  }

  /** Reads the topics of exactly the zones the agent is a member of now; calls run in turn. */
  follow(): Promise<void> {
    const run = this.#changing.then(() => this.#follow());
    this.#changing = run.catch(() => {});
    return run;
  }

  async #follow(): Promise<void> {
    if (this.#closed) return;
    const { zones, agentId } = this.#options;
    const want = zones.zonesOf(agentId).filter((z) => z !== PUBLIC_ZONE);
    for (const [zone, subscriptions] of [...this.#open].filter(([z]) => !want.includes(z))) {
      this.#open.delete(zone);
      for (const s of subscriptions) this.#streams.delete(s);
      await Promise.allSettled(subscriptions.map((s) => s.close()));
    }
    // The new zones' reads start together.
    await settleAll(
      want.filter((z) => !this.#open.has(z)).map(async (zone) => {
        const subscriptions: Subscription[] = [];
        this.#open.set(zone, subscriptions);
        try {
          await this.#start(zone, subscriptions);
        } catch (error) {
          // Not read: the next change of the zones tries again.
          this.#open.delete(zone);
          for (const s of subscriptions) this.#streams.delete(s);
          await Promise.allSettled(subscriptions.map((s) => s.close()));
          throw error;
        }
      }),
    );
  }

  async #start(zone: string, subscriptions: Subscription[]): Promise<void> {
    const { group, agentId, transport, concurrency, trust } = this.#options;
    const guard = this.#options.guard ?? ((handler: RecordHandler) => handler);
    const given = this.#options.handlers;
    const checked = (handler: RecordHandler | undefined) =>
      handler && guard(senderChecked(trust, handler));
    const handlers: Record<keyof ZoneHandlers, RecordHandler | undefined> = {
      requests: given.requests && guard(given.requests),
      inbox: given.inbox && guard(given.inbox),
      responses: checked(given.responses),
      status: checked(given.status),
      traces: checked(given.traces),
      memory: given.memory && guard(given.memory),
    };
    const topic = (kind: Parameters<typeof zoneTopic>[2]) => zoneTopic(group, zone, kind);
    // The zone's consumer groups join together (each join waits for the broker's join delay).
    // Its stream reads from the beginning, so a grant appended before it holds its place is read.
    const made: Promise<unknown>[] = [];
    const add = async (subscription: Promise<Subscription>, stream = false) => {
      const opened = await subscription;
      if (stream) this.#streams.add(opened);
      subscriptions.push(opened);
    };
    if (handlers.requests !== undefined) {
      made.push(add(transport.subscribe({
        kind: "work",
        topics: [topic("requests")],
        groupId: zoneConsumerGroup(group, zone),
        deadLetterTopic: topic("dead-letter"),
        handler: this.#members(handlers.requests),
        concurrency,
      })));
    }
    if (handlers.inbox !== undefined) {
      const inbox = handlers.inbox;
      made.push(add((async () => {
        await this.#options.ensureTopics?.(zone).catch(() => {});
        return await transport.subscribe({
          kind: "work",
          topics: [topic("inbox")],
          // Every member reads all of it through its own group, and acts on what names it; a
          // poison record is not dead-lettered (each member would write a copy).
          groupId: `${agentConsumerGroup(group, agentId)}.zone-inbox.${zone}`,
          handler: this.#members(inbox),
          concurrency,
        });
      })()));
    }
    const streams = new Map<string, RecordHandler>();
    for (
      const [kind, handler] of [
        ["responses", handlers.responses],
        ["tasks.status", handlers.status],
        ["traces", handlers.traces],
        ["memory", handlers.memory],
      ] as const
    ) {
      if (handler !== undefined) streams.set(topic(kind), handler);
    }
    if (streams.size > 0) {
      const suffix = this.#options.streamGroup ?? "zone";
      made.push(add(
        transport.subscribe({
          kind: "stream",
          topics: [...streams.keys()],
          groupId: `${agentConsumerGroup(group, agentId)}.${suffix}.${zone}`,
          // A new member reads what the zone holds already (its memory, above all).
          fromBeginning: true,
          // Each batch's records go to their topic's handler's prepare: a signed group's guard
          // starts their signature checks together, as on the group-wide streams.
          handler: this.#members(byTopic(streams)),
        }),
        true,
      ));
    }
    await settleAll(made);
  }

  /** `handler`, for records whose sender is a member of their topic's zone only. */
  #members(handler: RecordHandler): RecordHandler {
    const { zones, refused } = this.#options;
    return around(handler, (record) => {
      const where = parseTopic(record.topic);
      const parsed = parseRecord(record);
      // What does not parse is the handler's to judge (poison, dead-lettered on work topics).
      if (where?.role !== "zone" || !parsed.ok) return handler(record);
      const sender = parsed.envelope.sender_id;
      const why = zones.whyNot(where.zone, sender);
      if (why === undefined) return handler(record);
      refused?.({ sender, topic: record.topic, zone: where.zone, why });
    });
  }

  /**
   * Stops reading every zone's topics. The work subscriptions first, giving the work running
   * `graceMs` (default 0) to end (transport `Subscription.close`); the streams after them, so a
   * run finishing meanwhile still reads its grant's acknowledgements.
   */
  async close(graceMs = 0): Promise<void> {
    this.#closed = true;
    await this.#changing;
    const all = [...this.#open.values()].flat();
    this.#open.clear();
    const streams = all.filter((s) => this.#streams.has(s));
    this.#streams.clear();
    const work = all.filter((s) => !streams.includes(s));
    await Promise.allSettled(work.map((s) => s.close(graceMs)));
    await Promise.allSettled(streams.map((s) => s.close()));
  }
}

/**
 * A running agent's subscriptions to the topics of the zones it is a member of (PROTOCOL.md
 * semantics 9): only members read a zone's traffic. It follows the zone directory (zones.ts):
 * when a zone's record lists the agent, it starts reading the zone's requests (work, through the
 * zone's shared group `kafclaw.<g>.zone.<z>`, dead-letters to the zone's dead-letter topic), its
 * inbox (targeted work and grants, through its own `kafclaw.<g>.<agent_id>.zone-inbox.<z>`) and
 * its responses, statuses, traces and memory (streams, through the agent's own group
 * `kafclaw.<g>.<agent_id>.zone.<z>`); when it is removed, or the zone deleted, it stops. At start
 * it asks for the groups of the zones it read when it last ran (kept in its timeline's settings)
 * beside the membership's join, their records held until the membership has read the directory: on
 * a broker with a join delay, a restarted member of zones waits for one delay, not two.
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
import { untilStarted } from "./_gate.ts";
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
  /**
   * Where the agent keeps the zones it read when it last ran (its timeline's settings), for
   * {@link ZoneSubscriptions.start} to read them beside the membership's join. Default nowhere.
   */
  readonly remembered?: ZoneMemory;
}

/** A store of settings (the timeline's), where the zones an agent read are kept. */
export interface ZoneMemory {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
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
  /** The membership's start, when {@link start} was given it: records wait for it. */
  #joined: Promise<unknown> | undefined;
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

  /**
   * Starts reading beside the membership's join, `joined` (its start, which reads the zone
   * directory): the zones the agent read when it last ran (`remembered`) at once, each consumer
   * group's join waiting for the broker's join delay while the membership's does, their records
   * held until `joined` ends; then exactly the zones the directory lists ({@link follow}). A
   * remembered zone that cannot be read now is left to that follow, which throws what it meets.
   */
  async start(joined: Promise<unknown>): Promise<void> {
    this.#joined = joined;
    const early = this.#recalled();
    if (early.length > 0) {
      void this.#inTurn(() => this.#read(early, { early: true })).catch(() => {});
    }
    await joined;
    await this.follow();
  }

  /** Reads the topics of exactly the zones the agent is a member of now; calls run in turn. */
  follow(): Promise<void> {
    // Not before the membership's start has read the directory whole.
    const read = this.#joined?.catch(() => {});
    return this.#inTurn(async () => {
      await read;
      await this.#follow();
    });
  }

  #inTurn(change: () => Promise<void>): Promise<void> {
    const run = this.#changing.then(change);
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
    try {
      await this.#read(want.filter((z) => !this.#open.has(z)), { early: false });
    } finally {
      this.#remember();
    }
  }

  /** Starts reading `zones` together; a zone whose reads cannot all start is not read. */
  async #read(zones: readonly string[], how: { readonly early: boolean }): Promise<void> {
    if (this.#closed) return;
    await settleAll(zones.map(async (zone) => {
      const subscriptions: Subscription[] = [];
      this.#open.set(zone, subscriptions);
      try {
        await this.#start(zone, subscriptions, how);
      } catch (error) {
        // Not read: the next change of the zones tries again.
        this.#open.delete(zone);
        for (const s of subscriptions) this.#streams.delete(s);
        await Promise.allSettled(subscriptions.map((s) => s.close()));
        throw error;
      }
    }));
  }

  get #memoryKey(): string {
    return `group.zones_read.${this.#options.group}.${this.#options.agentId}`;
  }

  /** The zones kept as read when the agent last ran; none when nothing (readable) was kept. */
  #recalled(): string[] {
    const kept = this.#options.remembered?.get(this.#memoryKey);
    if (kept === undefined) return [];
    try {
      const zones: unknown = JSON.parse(kept);
      return Array.isArray(zones)
        ? zones.filter((z): z is string => typeof z === "string" && z !== PUBLIC_ZONE)
        : [];
    } catch {
      return [];
    }
  }

  #remember(): void {
    const read = JSON.stringify(this.joined());
    const { remembered } = this.#options;
    if (remembered !== undefined && remembered.get(this.#memoryKey) !== read) {
      remembered.set(this.#memoryKey, read);
    }
  }

  async #start(
    zone: string,
    subscriptions: Subscription[],
    how: { readonly early: boolean },
  ): Promise<void> {
    const { group, agentId, transport, concurrency, trust } = this.#options;
    // Before the membership has started, records wait for it: the directory checks their senders,
    // and says whether this agent is still the zone's member. When it is not (a remembered zone
    // it was taken out of), they are left uncommitted, for the members, and the follow stops
    // reading the zone.
    const member = this.#joined?.then(() => {
      if (!this.#options.zones.zonesOf(agentId).includes(zone)) {
        throw new Error(`"${agentId}" is no longer a member of zone "${zone}"`);
      }
    });
    member?.catch(() => {});
    const held = (handler: RecordHandler) =>
      member === undefined ? handler : untilStarted(member, handler);
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
        handler: held(this.#members(handlers.requests)),
        concurrency,
      })));
    }
    if (handlers.inbox !== undefined) {
      const inbox = handlers.inbox;
      made.push(add((async () => {
        // A remembered zone's are not made: it may be gone (the follow makes a listed zone's).
        if (!how.early) await this.#options.ensureTopics?.(zone).catch(() => {});
        return await transport.subscribe({
          kind: "work",
          topics: [topic("inbox")],
          // Every member reads all of it through its own group, and acts on what names it; a
          // poison record is not dead-lettered (each member would write a copy).
          groupId: `${agentConsumerGroup(group, agentId)}.zone-inbox.${zone}`,
          handler: held(this.#members(inbox)),
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
          handler: held(this.#members(byTopic(streams))),
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

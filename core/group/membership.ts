/**
 * An agent's membership of a group while it runs (PROTOCOL.md, Membership and trust; semantics 1
 * and 6). {@link Membership.start} checks the group's topics, reads the roster topic (certificates,
 * revocations, the manifest) and the announce, skills and orchestrator topics from the beginning,
 * follows the heartbeats stream through the agent's own consumer group (new, it reads the last
 * minute's first, so it starts with the whole roster), announces the agent's join and heartbeats
 * every interval with its load; a sweep marks silent members stale and removes them, each by its
 * own announced interval. The roster lives in memory and in SQLite (`group_members`). A newcomer's
 * certificate may still be on its way (asked of a sponsor while the group is read): nothing is
 * sent before it has come.
 * {@link Membership.leave} sends a signed `leave` and stops, within a bounded time; it closes for
 * good (nothing more is sent through it), and joining again takes a new membership.
 *
 * In a signed group every record is verified ({@link GroupTrust}); records whose signer's
 * certificate has not arrived wait for it. The task side uses {@link Membership.trust} and
 * {@link Membership.guard} for its own subscriptions, {@link Membership.live} to pick workers, and
 * {@link Membership.send} to send signed records. It may start beside the join
 * ({@link Membership.begin}): the guard holds its records until the membership has started.
 *
 * Before it announces itself it refuses, in one line, to join in the other security mode than
 * the group's manifest (group_mode.ts) or as an agent the roster revokes: either way no one would
 * hear it, while it still took its share of the work. A revocation of this agent read while it
 * runs is told to `onRevoked` (its gateway then leaves). {@link Membership.standing} tells a
 * sponsor which ids are taken.
 *
 * Zones (zones.ts): the orchestrator topic is read whole at start, so {@link Membership.zones}
 * knows the group's zones and their members; {@link Membership.send} refuses, before anything
 * goes out, a record for a zone topic of a zone this agent is not a member of (fail closed: every
 * record an agent sends goes through it).
 *
 * @module
 */
import {
  agentConsumerGroup,
  type AgentIdentity,
  type GroupManifest,
  type Signer,
  topicsFor,
  type TopicSpecOptions,
} from "../protocol/mod.ts";
import type { OutboundRecord, RecordHandler, Subscription, Transport } from "../transport/mod.ts";
import { afterGate, gate, untilStarted } from "./_gate.ts";
import { messageOf } from "./_message.ts";
import { within } from "./_within.ts";
import { checkJoin, learnCertificates, learnOwnCertificate } from "./membership_join.ts";
import { GroupSetupError, securityMismatch } from "./group_mode.ts";
import type { NodeFeed } from "./node_feed.ts";
import { OutageNotice } from "./outage.ts";
import { announceRecord, heartbeatRecord, type Load } from "./presence.ts";
import { type Member, REMOVE_AFTER, Roster, type RosterChange } from "./roster.ts";
import { RosterFeed } from "./roster_feed.ts";
import { RecordSigner } from "./signer.ts";
import type { SkillDirectory } from "./skill_records.ts";
import { openTrust, type Trust } from "./task_admission.ts";
import { type Dropped, GroupTrust } from "./trust.ts";
import type { MembershipStore } from "./store.ts";
import type { ZoneDirectory } from "./zones.ts";
import { toStored } from "./store.ts";

/**
 * How far back a newcomer reads the heartbeats at least (REMOVE_AFTER of its own intervals when
 * longer): a minute holds a heartbeat of every live member whose interval is up to a minute.
 */
const HEARD_BACK_MS = 60_000;

/** What a {@link Membership} is built from. */
export interface MembershipOptions {
  readonly group: string;
  readonly transport: Transport;
  /** Who this agent is; `joined_at` is set at start. */
  readonly identity: AgentIdentity;
  readonly security: "signed" | "open";
  /**
   * The agent's key and certificate (signed mode); for a newcomer without a certificate yet, how
   * it gets them (asked of a sponsor, newcomer.ts): called once the topics are checked, so the
   * group is read while the sponsor answers; nothing is sent, and no record but the roster's is
   * handled, before they come, and the join fails with the asking's error.
   */
  readonly signer?: Signer | (() => Promise<Required<Signer>>);
  /** The owner's public key, pinned in config (signed mode). */
  readonly ownerKey?: CryptoKey;
  readonly store: MembershipStore;
  /** How the group's topics were made (partitions, replication), for the check at start. */
  readonly topics?: TopicSpecOptions;
  /** How the user runs kafclaw (config.command), for the fixes errors name. Default kafclaw. */
  readonly command?: string;
  readonly clockSkewMs?: number;
  /** The agent's load now, for heartbeats. Default nothing running, capacity 0. */
  readonly load?: () => Load;
  /** The agent's expertise score per skill, for heartbeats. */
  readonly expertise?: () => Record<string, number>;
  /** How long a record may wait for its signer's certificate. Default 60000. */
  readonly parkMs?: number;
  /** How many records, and bytes of them, may wait for certificates at once (trust.ts). */
  readonly parkLimit?: number;
  readonly parkBytes?: number;
  /** How many records after start carry the agent's certificate. Default 8. */
  readonly attachFirst?: number;
  /** Told of every record dropped, after it is kept in the store (the group's audit, audit.ts). */
  readonly onDropped?: (dropped: Dropped) => void;
  /**
   * Told, in one line, when a heartbeat cannot be sent, and when one is sent again after that
   * (not when Kafka cannot be reached: the transport's reachability says so); and when the leave
   * could not be sent, so the others were not told.
   */
  readonly warn?: (line: string) => void;
  /**
   * Told once, in a signed group, when the owner revokes this agent while it runs (the message
   * says so and why): its records are dropped by every member from then on, so it should leave.
   */
  readonly onRevoked?: (message: string) => void;
  readonly now?: () => number;
}

/** `Agent "a" is revoked by the owner of group "g" (why): every member drops its records`. */
function revokedLine(group: string, agentId: string, reason: string, tense: "is" | "was"): string {
  return `Agent "${agentId}" ${tense} revoked by the owner of group "${group}" (${reason}): every ` +
    "member drops its records";
}

/** What the roster holds for an agent id: its revocation's reason, or its certificate's key. */
export type Standing = { readonly revoked: string } | { readonly publicKey: string };

/** A record to send through a membership that has left its group, or stopped. */
export class MembershipClosed extends Error {
  override name = "MembershipClosed";
}

/** The bound of {@link Membership.leave} by default. */
export const LEAVE_TIMEOUT_MS = 5_000;

/** A running membership; see the module documentation. */
export class Membership {
  readonly group: string;
  readonly agentId: string;
  readonly security: "signed" | "open";
  readonly #options: MembershipOptions;
  readonly #roster = new Roster();
  readonly #trust: GroupTrust | undefined;
  /** A promise while a newcomer's certificate is asked for ({@link MembershipOptions.signer}). */
  #signer: RecordSigner | Promise<RecordSigner>;
  readonly #now: () => number;
  readonly #feed: RosterFeed;
  /** Joined and not yet told of its own revocation. */
  #running = false;
  #identity: AgentIdentity;
  #subscriptions: Subscription[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];
  #closed = false;
  /** The heartbeats' failures, said (outage.ts). */
  readonly #beats: OutageNotice;
  /** Records dropped by verification, for `status`. */
  dropped = 0;
  /** The join's end ({@link started}); set by {@link begin}. */
  #started: Promise<void> = Promise.resolve();

  private constructor(options: MembershipOptions) {
    this.#options = options;
    this.group = options.group;
    this.agentId = options.identity.agent_id;
    this.security = options.security;
    this.#now = options.now ?? Date.now;
    this.#identity = options.identity;
    this.#beats = new OutageNotice(options.warn, {
      failed: (why) =>
        `Cannot send the heartbeat of "${this.agentId}" to group "${this.group}": ${why}; the ` +
        "group takes it for stale until one goes",
      again: `Heartbeats of "${this.agentId}" reach group "${this.group}" again`,
    });
    const signed = options.security === "signed";
    const signer = options.signer;
    this.#signer = new RecordSigner(
      signed && typeof signer !== "function" ? signer : undefined,
      this.#attachFirst,
    );
    if (signed) {
      const certified = typeof signer === "function" || signer?.certificate !== undefined;
      if (options.ownerKey === undefined || !certified) {
        throw new TypeError("Cannot join a signed group without the owner key and a certificate");
      }
      this.#trust = new GroupTrust({
        ownerKey: options.ownerKey,
        replay: options.store.replay,
        audit: (d) => this.#audit(d),
        clockSkewMs: options.clockSkewMs,
        parkMs: options.parkMs,
        parkLimit: options.parkLimit,
        parkBytes: options.parkBytes,
        now: this.#now,
      });
    }
    this.#feed = new RosterFeed({
      roster: this.#roster,
      trust: this.#trust,
      audit: (d) => this.#audit(d),
      changed: (change) => this.#stored(change),
      certificates: options.store.certificates,
      ...(options.clockSkewMs === undefined ? {} : { clockSkewMs: options.clockSkewMs }),
      now: this.#now,
      revoked: (agentId, reason) => {
        // Its own revocation, once it runs (before, the start refuses): in a signed group only.
        if (agentId !== this.agentId || !this.#running || this.#trust === undefined) return;
        this.#running = false;
        options.onRevoked?.(`${revokedLine(options.group, agentId, reason, "was")} from now on`);
      },
    });
  }

  /**
   * Resolves once the join has ended (the state read, the agent announced); rejects with why it
   * failed, the membership stopped. Until then {@link guard} holds the records of the parts that
   * start beside it.
   */
  get started(): Promise<void> {
    return this.#started;
  }

  /** Joins: see the module documentation. Throws GroupTopicsError when a topic is not right. */
  static async start(options: MembershipOptions): Promise<Membership> {
    const m = await Membership.begin(options);
    await m.started;
    return m;
  }

  /**
   * Checks the group's topics (this agent's inbox made, no other process running as this agent)
   * and begins the rest of the join, returning then: the parts that need only the membership's
   * object (its {@link guard}, {@link trust} and {@link send} for records they handle) start
   * beside the join, each consumer group's join waiting for the broker's join delay while the
   * membership's does. {@link started} says when, and whether, the join ended.
   */
  static async begin(options: MembershipOptions): Promise<Membership> {
    const m = new Membership(options);
    try {
      await m.#check();
    } catch (error) {
      await m.#stop();
      throw error;
    }
    const { signer } = options;
    if (m.#trust !== undefined && typeof signer === "function") {
      m.#signer = m.#certified(m.#trust, signer);
      // The join reports its failure (#read); a send awaiting it throws it too.
      m.#signer.catch(() => {});
    }
    m.#started = m.#read().catch(async (error) => {
      await m.#stop();
      throw error;
    });
    // Awaited by whoever needs it; a failure is theirs to report, never an unhandled rejection.
    m.#started.catch(() => {});
    return m;
  }

  async #check(): Promise<void> {
    const { transport, group, store } = this.#options;
    // The producer connects while the topics are checked and read; the join is its first send.
    // A failure here is the first send's to report (it connects again).
    void transport.connectProducer?.().catch(() => {});
    await checkJoin(transport, {
      group,
      agentId: this.agentId,
      ...(this.#options.topics === undefined ? {} : { topics: this.#options.topics }),
      ...(this.#options.command === undefined ? {} : { command: this.#options.command }),
    });
    if (this.#trust !== undefined) {
      const { signer } = this.#options;
      const own = typeof signer === "function" ? undefined : signer?.certificate;
      await learnCertificates(this.#trust, { own, certificates: store.certificates });
    }
  }

  get #attachFirst(): { readonly attachFirst?: number } {
    const { attachFirst } = this.#options;
    return attachFirst === undefined ? {} : { attachFirst };
  }

  /** A newcomer's signer, once its certificate has come and chains to the owner key. */
  async #certified(
    trust: GroupTrust,
    ask: () => Promise<Required<Signer>>,
  ): Promise<RecordSigner> {
    const signer = await ask();
    await learnOwnCertificate(trust, signer.certificate);
    this.#signer = new RecordSigner(signer, this.#attachFirst);
    return this.#signer;
  }

  async #read(): Promise<void> {
    const { group, store } = this.#options;
    const topics = topicsFor(group);
    const ownGroup = agentConsumerGroup(group, this.agentId);
    store.members.clear();
    const state = (topic: string, handler: RecordHandler) =>
      this.#subscribe({ kind: "state", topics: [topic], groupId: ownGroup, handler });
    // The roster first: every certificate and revocation is known before any other record is
    // verified. The other state topics and the heartbeats are subscribed to at the same time
    // (each joins a consumer group of its own, which takes most of the time), but their records
    // wait until the roster is read ({@link afterGate}), the heartbeats until all state is. The
    // three state topics fill apart structures (the roster's members, the skill directory, the
    // zones and nodes), so no order between them matters, and the agent goes on once all are
    // read to their ends.
    const rosterRead = gate();
    const stateRead = gate();
    // A newcomer's certificate is asked for meanwhile: the other records wait for it too.
    const certified = Promise.resolve(this.#signer);
    const roster = state(topics.roster, this.#feed.onRoster).then((s) => s.caughtUp());
    const others = ([
      [topics.announce, this.#feed.onAnnounce],
      [topics.skills, this.#feed.onSkill],
      [topics.orchestrator, this.#feed.onOrchestrator],
    ] as const).map(async ([topic, handler]) =>
      (await state(topic, afterGate(rosterRead.opened, this.#verified(handler)))).caughtUp()
    );
    // A newcomer reads the heartbeats of the last moments too, not only those sent after it came
    // (semantics 6: the full roster once the state topics are read): a member running for long
    // announced itself before it would be removed for silence, and heartbeats since.
    const interval = this.#identity.heartbeat_interval_ms;
    const heartbeats = this.#subscribe({
      kind: "stream",
      topics: [topics.heartbeats],
      groupId: ownGroup,
      fromBeginning: false,
      fromTime: Date.now() - Math.max(REMOVE_AFTER * interval, HEARD_BACK_MS),
      handler: afterGate(stateRead.opened, this.#verified(this.#feed.onHeartbeat)),
    });
    // Settled from now on: one that fails while the roster is still read is no unhandled rejection.
    const all = Promise.allSettled([certified, roster, ...others, heartbeats]);
    const ok = () => true;
    const failed = () => false;
    const certifiedOk = certified.then(ok, failed);
    rosterRead.open(await roster.then(ok, failed) && await certifiedOk);
    const reads = await Promise.allSettled([roster, ...others]);
    stateRead.open(reads.every((read) => read.status === "fulfilled") && await certifiedOk);
    const failure = (await all).find((read) => read.status === "rejected");
    if (failure !== undefined) throw failure.reason;
    // Those recent heartbeats are read before the agent goes on, or for one interval at most.
    await within((await heartbeats).caughtUp(), interval, new AbortController().signal);
    // In the group's other security mode it would hear no one, and no one it (group_mode.ts).
    const { security, command } = this.#options;
    const mismatch = securityMismatch(group, security, this.#feed.manifest, command);
    if (mismatch !== undefined) throw new GroupSetupError(mismatch);
    // A revoked agent would be heard by no one, and still take its share of the work.
    const revoked = this.#trust && this.#feed.revocationOf(this.agentId);
    if (revoked !== undefined) {
      throw new GroupSetupError(
        `${revokedLine(group, this.agentId, revoked, "is")}, so it does not join; the owner can ` +
          "admit it again only under another agent id",
      );
    }
    this.#running = true;
    this.#identity = { ...this.#identity, joined_at: new Date(this.#now()).toISOString() };
    await this.send([announceRecord(group, "join", this.#identity, new Date(this.#now()))]);
    this.#stored(this.#roster.join(this.#identity, this.#now()));
    await this.#beat();
    this.#timers.push(setInterval(() => void this.#beatAgain(), interval));
    this.#timers.push(setInterval(() => this.sweep(), Math.min(1000, interval)));
  }

  async #subscribe(options: Parameters<Transport["subscribe"]>[0]): Promise<Subscription> {
    const subscription = await this.#options.transport.subscribe(options);
    this.#subscriptions.push(subscription);
    return subscription;
  }

  /** The group's manifest as the owner signed it, once read. */
  get manifest(): GroupManifest | undefined {
    return this.#feed.manifest;
  }

  /** Who offers which skill, as the group's skills topic says (read whole at start). */
  get skills(): SkillDirectory {
    return this.#feed.skills;
  }

  /**
   * Changes the skills this agent offers: announces itself again with them (a newcomer reads them
   * from the announce topic) and sends a heartbeat at once (requesters pick from heartbeats).
   */
  async offer(skills: readonly string[]): Promise<void> {
    await this.started;
    this.#identity = { ...this.#identity, skills: [...skills] };
    if (this.#closed) return;
    await this.send([announceRecord(this.group, "join", this.#identity, new Date(this.#now()))]);
    this.#stored(this.#roster.join(this.#identity, this.#now()));
    await this.#beat();
  }

  /** The group's zones and their members, as the orchestrator topic says (read whole at start). */
  get zones(): ZoneDirectory {
    return this.#feed.zones;
  }

  /** Records waiting for their signer's certificate now. */
  get parked(): number {
    return this.#trust?.parked ?? 0;
  }

  /** Every member on the roster (active and stale), this agent included. */
  members(): Member[] {
    return this.#roster.members();
  }

  /** A member on the roster (active or stale), if any. */
  get(agentId: string): Member | undefined {
    return this.#roster.get(agentId);
  }

  /** The active members, offering `skill` if given: what a requester picks a worker from. */
  live(skill?: string): Member[] {
    return this.#roster.members().filter((m) =>
      m.status === "active" && (skill === undefined || m.skills.includes(skill))
    );
  }

  /** How task subscriptions check senders: signatures in a signed group, nobody in an open one. */
  get trust(): Trust {
    return this.#trust?.trust ?? openTrust;
  }

  /**
   * Wraps a handler of another part of the agent: its records wait until the membership has
   * started (the roster read: what they are verified by), and come again if it failed to
   * ({@link untilStarted}); then those awaiting their signer's certificate wait for it instead of
   * being lost.
   */
  guard(handler: RecordHandler): RecordHandler {
    return untilStarted(this.started, this.#verified(handler));
  }

  /** `handler` behind the trust's verification (a signed group's), for the membership's reads. */
  #verified(handler: RecordHandler): RecordHandler {
    return this.#trust?.guard(handler) ?? handler;
  }

  /**
   * What the roster holds for `agentId` (a signed group's; an open one verifies nothing and holds
   * nothing): its revocation's reason, or the key it is certified with. For the sponsor, which
   * gives no newcomer a member's id (sponsor.ts).
   */
  standing(agentId: string): Standing | undefined {
    if (this.#trust === undefined) return undefined;
    const revoked = this.#feed.revocationOf(agentId);
    if (revoked !== undefined) return { revoked };
    const publicKey = this.#trust.keyOf(agentId);
    return publicKey === undefined ? undefined : { publicKey };
  }

  /** The orchestrator's node records, read whole at start and followed (node_feed.ts). */
  get nodes(): NodeFeed {
    return this.#feed.nodes;
  }

  /**
   * Signs records as this agent (in a signed group) and produces them. Throws ZoneRefused, sending
   * none, when one is for a zone this agent is not a member of, and MembershipClosed once it has
   * left or stopped: a part of the agent that outlives its membership cannot speak in the group.
   */
  async send(records: readonly OutboundRecord[]): Promise<void> {
    if (this.#closed) {
      throw new MembershipClosed(
        `${this.agentId} is not a member of group "${this.group}" now: it has left it`,
      );
    }
    this.zones.checkPublish(this.agentId, records.map((r) => r.topic));
    const signer = this.#signer instanceof RecordSigner ? this.#signer : await this.#signer;
    await this.#options.transport.produce(await signer.sign(records));
  }

  /** Applies the sweep at `now`: stale and removed members, in memory and SQLite. */
  sweep(now = this.#now()): RosterChange[] {
    const changes = this.#roster.sweep(now);
    for (const change of changes) this.#stored(change);
    return changes;
  }

  /** Whether it has left the group, or stopped. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a signed `leave` and stops, giving up on the broker after `timeoutMs`; a leave that could
   * not be sent (or not in time) is said through `warn`, and the member stops all the same.
   * Resolves with whether the others were told (false too when it had left or stopped already).
   */
  async leave(timeoutMs = LEAVE_TIMEOUT_MS): Promise<boolean> {
    if (this.#closed) return false;
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
    // Whether the others were told: a leave that could not be sent still stops this member.
    let told = false;
    let failure = `not within ${timeoutMs} ms`;
    const leaving = this.send([announceRecord(this.group, "leave", this.#identity)]).then(
      () => void (told = true),
      (error) => void (failure = messageOf(error)),
    ).then(() => this.#stop());
    try {
      await Promise.race([leaving, bound]);
    } finally {
      clearTimeout(timer);
      this.#closed = true;
      this.#gone();
      if (!told) {
        this.#options.warn?.(
          `Could not tell group "${this.group}" that "${this.agentId}" leaves (${failure}): ` +
            "its members take it for gone once it has been silent for 6 of its intervals",
        );
      }
    }
    return told;
  }

  /** Stops without leaving (the members see it go stale). */
  async close(): Promise<void> {
    for (const timer of this.#timers.splice(0)) clearInterval(timer);
    await this.#stop();
    this.#gone();
  }

  /**
   * No member of this home runs any more: `group.alive_at` goes, so a command of the home started
   * next does not take this one for running (a task queued for it would wait for nobody).
   */
  #gone(): void {
    this.#options.store.settings.delete("group.alive_at");
  }

  async #stop(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#subscriptions.splice(0).map((s) => s.close()));
  }

  /** A heartbeat of the interval: one that fails is said once, and so is the next that goes. */
  async #beatAgain(): Promise<void> {
    try {
      await this.#beat();
      this.#beats.sent();
    } catch (error) {
      if (!this.#closed) this.#beats.failed(error);
    }
  }

  async #beat(): Promise<void> {
    const load = this.#options.load?.() ?? { running: 0, capacity: 0 };
    const expertise = this.#options.expertise?.();
    // Marked before the send: a beat still on its way when the member stops cannot mark it again
    // after `#gone`.
    this.#options.store.settings.set("group.alive_at", new Date(this.#now()).toISOString());
    await this.send([heartbeatRecord(this.group, {
      agent_id: this.agentId,
      status: "active",
      load: { running: load.running, capacity: load.capacity },
      skills: [...this.#identity.skills],
      ...(expertise === undefined ? {} : { expertise }),
      heartbeat_interval_ms: this.#identity.heartbeat_interval_ms,
    }, new Date(this.#now()))]);
  }

  #stored(change: RosterChange): void {
    const member = this.#roster.get(change.agentId);
    if (member === undefined) this.#options.store.members.remove(change.agentId);
    else this.#options.store.members.put(toStored(member));
  }

  #audit(dropped: Dropped): void {
    this.dropped++;
    this.#options.store.events.record({
      kind: "GROUP",
      sender: dropped.agentId,
      contentText: `dropped a record on ${dropped.topic}: ${dropped.detail}`,
      metadata: { event_type: dropped.eventType, code: dropped.code, topic: dropped.topic },
    });
    this.#options.onDropped?.(dropped);
  }
}

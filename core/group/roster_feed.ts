/**
 * From records to the roster: the handlers of the roster, announce, skills and heartbeat topics. Each
 * record is parsed (what does not parse is poison, skipped and counted) and, in a signed group,
 * verified ({@link GroupTrust}); then certificates, revocations and the manifest (roster topic),
 * joins and leaves (announce) and heartbeats update the {@link Roster} and the certificate cache,
 * and `skill` records the {@link SkillDirectory}; the orchestrator topic's node records go to the
 * {@link NodeFeed} (node_feed.ts) and its zone records to the {@link ZoneDirectory} (zones.ts),
 * whose refusals (a record not from the zone's owner …) are audited with their sender:
 * {@link RosterFeed.onOrchestrator} is this topic's one reader.
 * A certificate speaks for itself, whoever publishes it (it must chain to the owner); the
 * manifest and revocations count only from the owner.
 *
 * A running agent's membership and `kafclaw group members` (reading the topics when no agent
 * runs) share it.
 *
 * @module
 */
import {
  type Certificate,
  type Envelope,
  type EnvelopeOf,
  type GroupManifest,
  MemoryReplayStore,
  OWNER_ID,
  parseRecord,
  type ReplayStore,
  rosterShape,
  topicsFor,
} from "../protocol/mod.ts";
import type { StoredCertificate } from "../timeline/mod.ts";
import {
  byTopic,
  type HandleOne,
  type HandlerResult,
  type InboundRecord,
  type RecordHandler,
  type Transport,
} from "../transport/mod.ts";
import { readWhole, readWholeAfter } from "./_read_whole.ts";
import { NodeFeed, type NodeRecordRead } from "./node_feed.ts";
import { type Member, Roster, type RosterChange } from "./roster.ts";
import { SkillDirectory } from "./skill_records.ts";
import { type Dropped, GroupTrust, startsOwnChecks } from "./trust.ts";
import { ZoneDirectory } from "./zones.ts";

/** What a {@link RosterFeed} updates, and whom it tells. */
export interface RosterFeedOptions {
  readonly roster: Roster;
  /** Verifies records in a signed group; absent in an open one. */
  readonly trust: GroupTrust | undefined;
  readonly audit: (dropped: Dropped) => void;
  /** Called after each change of the roster. */
  readonly changed: (change: RosterChange) => void;
  /** Where `skill` records go (the skills topic); default a directory of its own. */
  readonly skills?: SkillDirectory;
  /** Where certificates and revocations are cached. */
  readonly certificates?: { put(entry: StoredCertificate): void };
  /** Heartbeats older than this (default 120000 ms) say nothing about liveness now. */
  readonly clockSkewMs?: number;
  readonly now: () => number;
  /** Told of each revocation taken (in a signed group, the owner's alone), with its reason. */
  readonly revoked?: (agentId: string, reason: string) => void;
}

/** The handlers that keep a roster; see the module documentation. */
export class RosterFeed {
  readonly #options: RosterFeedOptions;
  // State topics are read whole on every run, so a per-run table sees every copy of a record.
  readonly #stateReplay: ReplayStore = new MemoryReplayStore();
  readonly #skills: SkillDirectory;
  readonly #zones: ZoneDirectory;
  /** Where zone records come from, for the audit of those judged later. */
  #orchestratorTopic = "";
  readonly #nodes = new NodeFeed();
  #manifest: GroupManifest | undefined;
  /** The reason of each revocation taken, by agent id. */
  readonly #revocations = new Map<string, string>();

  constructor(options: RosterFeedOptions) {
    this.#options = options;
    this.#skills = options.skills ?? new SkillDirectory();
    this.#zones = new ZoneDirectory((refusal) => {
      options.audit({
        eventType: "signature_invalid",
        code: refusal.code,
        agentId: refusal.sender,
        topic: this.#orchestratorTopic,
        detail: refusal.detail,
      });
    }, options.trust && ((agentId) => options.trust!.certifiedZones(agentId)));
  }

  /** The group's manifest, once read. */
  get manifest(): GroupManifest | undefined {
    return this.#manifest;
  }

  /** Why `agentId` was revoked, when the roster revokes it. */
  revocationOf(agentId: string): string | undefined {
    return this.#revocations.get(agentId);
  }

  /** Handles a record of `control.roster`. */
  readonly onRoster: RecordHandler = this.#batched((record) =>
    this.#accept(record, true, async (envelope) => {
      // parseRecord takes only the type that goes on a topic: here, `roster`.
      const payload = envelope.payload as Record<string, unknown>;
      const shape = rosterShape(payload);
      const { trust, certificates } = this.#options;
      if (trust !== undefined && shape !== "certificate" && envelope.sender_id !== OWNER_ID) {
        this.#options.audit({
          eventType: "signature_invalid",
          code: "not_owner",
          agentId: envelope.sender_id,
          topic: record.topic,
          detail: `a roster ${shape} from "${envelope.sender_id}", not from the owner`,
        });
        return;
      }
      const agentId = payload.agent_id as string;
      if (shape === "manifest") this.#manifest = payload as GroupManifest;
      else if (shape === "revocation") {
        const reason = String(payload.reason);
        trust?.revoke(agentId);
        certificates?.put({ agentId, revoked: true, reason });
        this.#revocations.set(agentId, reason);
        this.#options.revoked?.(agentId, reason);
        this.#changed(this.#options.roster.leave(agentId));
        this.#zones.recheck();
      } else {
        const bundle = { cert: payload.cert as string, cert_sig: payload.cert_sig as string };
        const why = await trust?.learn(bundle);
        if (why !== undefined) {
          this.#options.audit({
            eventType: "signature_invalid",
            code: why.code,
            agentId,
            topic: record.topic,
            detail: why.message,
          });
          return;
        }
        certificates?.put({ agentId, revoked: false, cert: bundle.cert, certSig: bundle.cert_sig });
        // In a signed group a certificate's zones decide membership too.
        if (trust !== undefined) this.#zones.recheck();
      }
    })
  );

  /** Handles a record of the announce topic. */
  readonly onAnnounce: RecordHandler = this.#batched((record) =>
    this.#accept(record, true, (envelope) => {
      const { action, identity } = (envelope as EnvelopeOf<"announce">).payload;
      const { roster } = this.#options;
      this.#changed(
        action === "join"
          ? roster.join(identity, record.timestamp)
          : roster.leave(identity.agent_id),
      );
    })
  );

  /** Handles a record of the skills topic: the skill's providers, in the skill directory. */
  readonly onSkill: RecordHandler = this.#batched((record) =>
    this.#accept(record, true, (envelope) => {
      this.#skills.apply(envelope as EnvelopeOf<"skill">);
    })
  );

  /**
   * Handles a record of the orchestrator topic: node records go to the node feed, which the
   * orchestrator (core/orchestrator) listens to; zone records to the zone directory.
   */
  readonly onOrchestrator: RecordHandler = this.#batched((record) =>
    this.#accept(record, true, (envelope) => {
      const orchestrator = envelope as EnvelopeOf<"orchestrator">;
      if (orchestrator.payload.action === "node") {
        this.#nodes.add({ envelope: orchestrator, appendTime: record.timestamp });
        return;
      }
      this.#orchestratorTopic = record.topic;
      // In a signed group the verified signer is the envelope's sender.
      this.#zones.apply(orchestrator, envelope.sender_id);
    })
  );

  /** The node records read (node_feed.ts). */
  get nodes(): NodeFeed {
    return this.#nodes;
  }

  /** The skill directory this feed fills. */
  get skills(): SkillDirectory {
    return this.#skills;
  }

  /** The zones and their members, as the orchestrator topic says. */
  get zones(): ZoneDirectory {
    return this.#zones;
  }

  /** Handles a record of the heartbeats stream. */
  readonly onHeartbeat: RecordHandler = this.#batched(
    (record) => {
      if (!this.#recent(record)) return Promise.resolve(undefined);
      return this.#accept(record, false, (envelope) => {
        const { payload } = envelope as EnvelopeOf<"heartbeat">;
        this.#changed(this.#options.roster.heartbeat(payload, record.timestamp));
      });
    },
    (record) => this.#recent(record),
  );

  /** Whether a heartbeat is recent enough to say anything about liveness now. */
  #recent(record: InboundRecord): boolean {
    const { now, clockSkewMs = 120_000 } = this.#options;
    return record.timestamp >= now() - clockSkewMs;
  }

  /**
   * `handle` with a `prepare` that, in a signed group, starts the signature checks of a fetched
   * batch together (trust.ts `verifyAhead`) before its records come one by one (those `worth`
   * checking only: a heartbeat too old to count is not): the first read of a state topic is
   * hundreds of records at once. Each record is still verified, and dropped or applied, alone.
   */
  #batched(
    handle: HandleOne,
    worth: (record: InboundRecord) => boolean = () => true,
  ): RecordHandler {
    const prepare = async (records: readonly InboundRecord[]): Promise<void> => {
      await this.#options.trust?.verifyAhead(records.filter(worth));
    };
    // The membership's guard around it leaves the batch's checks to this prepare.
    return startsOwnChecks(Object.assign(handle, { prepare }));
  }

  #changed(change: RosterChange | undefined): void {
    if (change !== undefined) this.#options.changed(change);
  }

  /** Parses and (signed mode) verifies a record, then applies it; poison when it does not parse. */
  async #accept(
    record: InboundRecord,
    state: boolean,
    apply: (envelope: Envelope) => void | Promise<void>,
  ): Promise<HandlerResult> {
    const parsed = parseRecord(record);
    if (!parsed.ok) return { poison: parsed.error.message };
    const { trust } = this.#options;
    if (trust !== undefined) {
      const verdict = await trust.verify(
        record,
        parsed.envelope,
        state ? { appendTime: record.timestamp, replay: this.#stateReplay } : undefined,
      );
      if (!verdict.ok) return;
    }
    await apply(parsed.envelope);
  }
}

/** The roster as the state topics and recent heartbeats say, read by one who is not a member. */
export interface ReadRoster {
  readonly members: readonly Member[];
  readonly manifest: GroupManifest | undefined;
  /** Who offers which skill, as the skills topic says. */
  readonly skills: SkillDirectory;
  /** The zones and their members, as the orchestrator topic says. */
  readonly zones: ZoneDirectory;
  /** The orchestrator's node records (node_feed.ts), in append order. */
  readonly nodes: readonly NodeRecordRead[];
  /** When the read began: the moment liveness is judged at. */
  readonly readAt: number;
  /**
   * The certificate the group knows for an agent (the latest on the roster that verifies), in a
   * signed group; undefined in an open one, or when none is known.
   */
  certificate(agentId: string): Certificate | undefined;
  /** Why the roster revokes an agent (in a signed group, by the owner), when it does. */
  revocation(agentId: string): string | undefined;
}

/**
 * Reads a group's roster from its topics without joining (`kafclaw group members` when no agent
 * runs, `kafclaw zone list`): the roster topic whole and, beside it, the announce, skills and
 * orchestrator topics whole and the heartbeats of the last `clockSkewMs` in one read whose records
 * wait for the roster, each read whole (the transport's `readWhole`). Signed groups' records are
 * verified against `ownerKey`; without one (an open group) nothing is.
 */
export async function readRoster(
  transport: Transport,
  group: string,
  options: { readonly ownerKey?: CryptoKey; readonly now?: () => number } = {},
): Promise<ReadRoster> {
  const now = options.now ?? Date.now;
  // Liveness is judged as of the moment the read began: a slow read (a busy machine, a broker
  // that holds each new consumer group back) must not age the heartbeats it read.
  const readAt = now();
  const { roster, trust, feed } = readerFeed(options.ownerKey, now);
  const topics = topicsFor(group);
  const groupId = `kafclaw.${group}.reader`;
  // The certificates first, so that the records after them verify; the rest in one read begun
  // beside it, its records held until the roster is read (an early heartbeat waits in the roster
  // for its agent's announce).
  const certificates = readWhole(transport, [topics.roster], groupId, feed.onRoster);
  const rest = new Map<string, RecordHandler>([
    [topics.announce, feed.onAnnounce],
    [topics.skills, feed.onSkill],
    [topics.orchestrator, feed.onOrchestrator],
    [topics.heartbeats, feed.onHeartbeat],
  ]);
  await readWholeAfter(certificates, transport, [...rest.keys()], groupId, byTopic(rest));
  roster.sweep(readAt);
  return {
    members: roster.members(),
    manifest: feed.manifest,
    skills: feed.skills,
    zones: feed.zones,
    nodes: feed.nodes.kept(),
    readAt,
    certificate: (agentId) => trust?.certificateOf(agentId),
    revocation: (agentId) => feed.revocationOf(agentId),
  };
}

/**
 * The group's manifest as its roster topic says, read as {@link readRoster} reads it (counted
 * only from the owner, and verified against `ownerKey` when one is given); undefined when the
 * group has none. For `kafclaw group status`, which shows the group's own modes.
 */
export async function readManifest(
  transport: Transport,
  group: string,
  options: { readonly ownerKey?: CryptoKey } = {},
): Promise<GroupManifest | undefined> {
  const { feed } = readerFeed(options.ownerKey, Date.now);
  const roster = topicsFor(group).roster;
  await readWhole(transport, [roster], `kafclaw.${group}.reader`, feed.onRoster);
  return feed.manifest;
}

/**
 * A roster, and the feed that fills it, for one who reads the group without being a member:
 * records verified against `ownerKey` (a signed group's), none when it is undefined; nothing
 * audited or told.
 */
function readerFeed(ownerKey: CryptoKey | undefined, now: () => number) {
  const roster = new Roster();
  const trust = ownerKey === undefined
    ? undefined
    : new GroupTrust({ ownerKey, replay: new MemoryReplayStore(), audit: () => {}, now });
  const feed = new RosterFeed({ roster, trust, audit: () => {}, changed: () => {}, now });
  return { roster, trust, feed };
}

/**
 * When each agent of a group was last seen, read from the group's topics by an operator who is
 * not a member (`kafclaw group gc` and `kafclaw group acl`): certificates and revocations from
 * `control.roster`, the last join or leave of each agent from `announce` (compacted, so one record
 * per agent stays for ever), and the heartbeats the stream still holds (6 h by default). In a
 * signed group every record is verified against the owner key first, each on its own timestamp
 * (these records may be hours old), so a forged `leave` cannot make a live agent look gone.
 *
 * @module
 */
import {
  decodeCertificate,
  type Envelope,
  type EnvelopeOf,
  parseRecord,
  topicsFor,
} from "../protocol/mod.ts";
import {
  byTopic,
  type HandlerResult,
  type InboundRecord,
  type Transport,
} from "../transport/mod.ts";
import { settleAll } from "../errors/mod.ts";
import { readWholeAfter } from "./_read_whole.ts";
import { readRoster } from "./roster_feed.ts";
import { type RecordCheck, rosterCheck } from "./topic_reader.ts";
import type { ZoneDirectory } from "./zones.ts";

/** What the topics say about one agent; times in ms since the epoch. */
export interface Sighting {
  readonly agentId: string;
  /** It holds a certificate on the roster (not revoked). */
  certified: boolean;
  revoked: boolean;
  /** Its last announce: a join or a leave, and when. */
  lastAnnounce?: { readonly action: "join" | "leave"; readonly at: number };
  /** Its last heartbeat still on the stream. */
  lastHeartbeat?: number;
  /** The interval it announced (default 10 s). */
  heartbeatIntervalMs: number;
  /** The zones its certificate names (none while it holds no certificate). */
  zones?: readonly string[];
}

/** Every agent the topics name, and how far back the heartbeats stream reaches. */
export interface Sightings {
  readonly agents: ReadonlyMap<string, Sighting>;
  /**
   * The oldest heartbeat on the stream (of any agent), or undefined when it holds none: an agent
   * with no heartbeat there has been silent at least since then.
   */
  readonly heartbeatsFrom: number | undefined;
}

/**
 * Reads the sightings of `group`; `ownerKey` verifies records in a signed group (without one
 * nothing is verified: an open group). Each topic is read whole (the transport's `readWhole`).
 */
export async function readSightings(
  transport: Transport,
  group: string,
  options: { readonly ownerKey?: CryptoKey; readonly now?: () => number } = {},
): Promise<Sightings> {
  const now = options.now ?? Date.now;
  const agents = new Map<string, Sighting>();
  const of = (agentId: string): Sighting => {
    let seen = agents.get(agentId);
    if (seen === undefined) {
      seen = { agentId, certified: false, revoked: false, heartbeatIntervalMs: 10_000 };
      agents.set(agentId, seen);
    }
    return seen;
  };
  const groupId = `kafclaw.${group}.reader`;
  // The roster is read beside the announces and heartbeats, whose records wait for it.
  let check: RecordCheck | undefined;
  const checking = rosterCheck(transport, group, {
    ownerKey: options.ownerKey,
    groupId,
    certificates: {
      put: (entry) => {
        const seen = of(entry.agentId);
        seen.revoked = entry.revoked;
        seen.certified = !entry.revoked;
        if (entry.revoked) return;
        // In a signed group the roster check read it to verify it; that reading is reused here.
        const decoded = decodeCertificate({ cert: entry.cert, cert_sig: entry.certSig });
        if (decoded.ok) seen.zones = decoded.certificate.zones;
      },
    },
    now,
  }).then((made) => void (check = made));
  let heartbeatsFrom: number | undefined;
  const accept = async (record: InboundRecord, apply: (e: Envelope) => void) => {
    const parsed = parseRecord(record);
    if (!parsed.ok) return { poison: parsed.error.message };
    if ((await check!(record, parsed.envelope)).ok) apply(parsed.envelope);
    return undefined;
  };
  const topics = topicsFor(group);
  const onAnnounce = (record: InboundRecord) =>
    accept(record, (envelope) => {
      const { action, identity } = (envelope as EnvelopeOf<"announce">).payload;
      // An agent's records share its key, so one partition: the last read is the last sent.
      const seen = of(identity.agent_id);
      seen.lastAnnounce = { action, at: record.timestamp };
      seen.heartbeatIntervalMs = identity.heartbeat_interval_ms;
    });
  const onHeartbeat = (record: InboundRecord): Promise<HandlerResult> => {
    heartbeatsFrom = Math.min(heartbeatsFrom ?? record.timestamp, record.timestamp);
    return accept(record, (envelope) => {
      of((envelope as EnvelopeOf<"heartbeat">).payload.agent_id).lastHeartbeat = record.timestamp;
    });
  };
  // Both in one read: each fills its own fields of an agent's sightings.
  const read = new Map([[topics.announce, onAnnounce], [topics.heartbeats, onHeartbeat]]);
  await readWholeAfter(checking, transport, [...read.keys()], groupId, byTopic(read));
  return { agents, heartbeatsFrom };
}

/**
 * {@link readSightings} and, beside it, the zones as {@link readRoster} reads them (`kafclaw group
 * gc` and `group acl`), the two reads together. Both are let end before a failure is thrown.
 */
export async function readSightingsAndZones(
  transport: Transport,
  group: string,
  options: { readonly ownerKey?: CryptoKey; readonly now?: () => number } = {},
): Promise<Sightings & { readonly zones: ZoneDirectory }> {
  const sightings = readSightings(transport, group, options);
  const roster = readRoster(transport, group, options);
  await settleAll([sightings, roster]);
  return { ...await sightings, zones: (await roster).zones };
}

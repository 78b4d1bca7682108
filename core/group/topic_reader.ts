/**
 * Reading a group's topics to look back (`kafclaw task show --trace`, `task replay`, `group gc`,
 * `group acl`), as one who is not running as a member: each topic read whole (_read_whole.ts);
 * and, in a signed group, each record believed only as a member would believe it (trust.ts): signed
 * with a certificate that chains to the owner key and is not revoked, as `control.roster` says,
 * not a replay, its timestamp within the clock skew of its own append time (such records may be
 * hours old).
 *
 * @module
 */
import { type Envelope, MemoryReplayStore, topicsFor } from "../protocol/mod.ts";
import type { StoredCertificate } from "../timeline/mod.ts";
import type { InboundRecord, Transport } from "../transport/mod.ts";
import { readWhole } from "./_read_whole.ts";
import { Roster } from "./roster.ts";
import { RosterFeed } from "./roster_feed.ts";
import { GroupTrust, type TrustVerdict } from "./trust.ts";

/** Whether a record read back may be believed, and if not why. */
export type RecordCheck = (record: InboundRecord, envelope: Envelope) => Promise<TrustVerdict>;

/** What {@link rosterCheck} reads the roster with. */
export interface RosterCheckOptions {
  /** The owner's key of a signed group; without one (an open group) every record is believed. */
  readonly ownerKey?: CryptoKey | undefined;
  /** The per-run consumer group to read `control.roster` through. */
  readonly groupId: string;
  /** Told each certificate and revocation the roster holds (verified in a signed group). */
  readonly certificates?: { put(entry: StoredCertificate): void };
  readonly now?: () => number;
}

const believed: RecordCheck = (_record, envelope) =>
  Promise.resolve({ ok: true, signer: envelope.sender_id, vouched: false });

/**
 * Reads the roster of `group` whole and returns the check of the records read after it; see the
 * module documentation.
 */
export async function rosterCheck(
  transport: Transport,
  group: string,
  options: RosterCheckOptions,
): Promise<RecordCheck> {
  const now = options.now ?? Date.now;
  const trust = options.ownerKey === undefined ? undefined : new GroupTrust({
    ownerKey: options.ownerKey,
    replay: new MemoryReplayStore(),
    audit: () => {},
    now,
  });
  const feed = new RosterFeed({
    roster: new Roster(),
    trust,
    audit: () => {},
    changed: () => {},
    ...(options.certificates ? { certificates: options.certificates } : {}),
    now,
  });
  await readWhole(transport, [topicsFor(group).roster], options.groupId, feed.onRoster);
  if (trust === undefined) return believed;
  const replay = new MemoryReplayStore();
  return (record, envelope) =>
    trust.verify(record, envelope, { appendTime: record.timestamp, replay });
}

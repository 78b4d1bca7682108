/**
 * The group's zones as its orchestrator topic says (PROTOCOL.md semantics 9), and the rules a
 * reader holds them to (zone_records.ts has the records):
 *
 * - `public` always exists, every member is in it, and no record makes, changes or deletes it.
 * - A zone record counts only from the zone's owner: the first record of a zone id makes the
 *   sender its owner, and it must name the sender as `owner_id`; later records of that zone count
 *   only when its owner signed them. A deleted zone's id stays its owner's: its topics (and what
 *   they still hold within their retention) never pass to another agent.
 * - A join request counts only from the agent it names, about a zone that exists; an approval or
 *   a denial only from the zone's owner. An approval makes the agent a member, a denial takes it
 *   out (or turns its request down); the zone record the owner sends beside it says the same.
 * - What does not count is ignored and returned as refused (the caller audits it, with the sender).
 *   An event about a zone not read yet waits for the zone's record (a state topic read from the
 *   beginning has no order across partitions), and is judged then.
 *
 * The sender given to {@link ZoneDirectory.apply} is the verified signer in a signed group (the
 * envelope's `sender_id`, which a signature must match) and the claimed sender in an open one.
 *
 * In a signed group a member must also hold a certificate that names the zone (its `zones`, which
 * the owner or an issuer gave it): {@link ZoneDirectory.isMember} asks both, so every reader,
 * router and publisher holds an agent whose certificate does not name a zone outside it.
 *
 * {@link ZoneDirectory.checkPublish} is the one place where an agent refuses to publish into a
 * zone it is not a member of: everything it sends goes through its membership's `send`, which
 * asks it first. It fails closed: a zone not read (yet) has no members.
 *
 * @module
 */
import { type EnvelopeOf, parseTopic } from "../protocol/mod.ts";
import type { ZoneEventAction, ZoneInfo } from "./zone_records.ts";

/** The zone every member is in, which has no record and no topics of its own. */
export const PUBLIC_ZONE = "public";

/** A zone record or event that does not count, and why (for the audit). */
export interface ZoneRefusal {
  readonly code: "not_zone_owner" | "not_requester" | "public_zone" | "unknown_zone";
  readonly detail: string;
}

/** The zones a verified certificate names for an agent, or undefined when none is known. */
export type CertifiedZones = (agentId: string) => readonly string[] | undefined;

/** A zone's change, for those who follow membership (a gateway's zone subscriptions). */
export type ZoneListener = (zoneId: string) => void;

/** Thrown when an agent would publish into a zone it is not in; one line. */
export class ZoneRefused extends Error {
  override name = "ZoneRefused";
}

interface Pending {
  readonly action: ZoneEventAction;
  readonly sender: string;
  readonly reason: string | undefined;
}

/** The zones of a group and their members; see the module documentation. */
export class ZoneDirectory {
  readonly #zones = new Map<string, ZoneInfo>();
  /** The owners of deleted zones, by id. */
  readonly #deleted = new Map<string, string>();
  /** Join requests waiting for the owner's answer, by zone. */
  readonly #requests = new Map<string, Set<string>>();
  /** Events about zones not read yet, by `zone:agent`, the latest each. */
  readonly #waiting = new Map<string, Pending & { agentId: string; zoneId: string }>();
  readonly #listeners: ZoneListener[] = [];
  readonly #refused: (refusal: ZoneRefusal & { sender: string }) => void;
  readonly #certified: CertifiedZones | undefined;

  /**
   * `refused` hears what does not count, with its sender, when judged (possibly later). With
   * `certified` (a signed group), a member must also hold a certificate that names the zone.
   */
  constructor(
    refused: (refusal: ZoneRefusal & { sender: string }) => void = () => {},
    certified?: CertifiedZones,
  ) {
    this.#refused = refused;
    this.#certified = certified;
  }

  /**
   * Tells the listeners that every zone may have changed: a certificate was learned or revoked,
   * which changes who is a member in a signed group.
   */
  recheck(): void {
    for (const zoneId of [...this.#zones.keys()]) this.#changed(zoneId);
  }

  /** Calls `listener` with a zone's id after each change of it. */
  listen(listener: ZoneListener): void {
    this.#listeners.push(listener);
  }

  /** Applies an `orchestrator` record from `sender`; `node` records are not the zones' concern. */
  apply(envelope: EnvelopeOf<"orchestrator">, sender: string): void {
    const payload = envelope.payload;
    if (payload.action === "node") return;
    if (payload.action === "zone") {
      this.#zone(payload.zone as unknown as ZoneInfo, sender, payload.deleted === true);
      return;
    }
    const event = {
      action: payload.action,
      zoneId: payload.zone_id as string,
      agentId: payload.agent_id as string,
      sender,
      reason: payload.reason,
    };
    this.#event(event);
  }

  #zone(zone: ZoneInfo, sender: string, deleted: boolean): void {
    const id = zone.zone_id;
    if (id === PUBLIC_ZONE) {
      return this.#refuse(sender, "public_zone", `a record of zone "public", which has none`);
    }
    const known = this.#zones.get(id);
    const owner = known?.owner_id ?? this.#deleted.get(id) ?? zone.owner_id;
    if (sender !== owner || (known === undefined && zone.owner_id !== sender)) {
      return this.#refuse(
        sender,
        "not_zone_owner",
        `a record of zone ${quote(id)}, owned by ${quote(owner)}`,
      );
    }
    if (deleted) {
      this.#deleted.set(id, owner);
      this.#zones.delete(id);
      this.#requests.delete(id);
    } else {
      this.#deleted.delete(id);
      const members = [...new Set([zone.owner_id, ...zone.members])].sort();
      this.#zones.set(id, { ...zone, members });
      for (const member of members) this.#requests.get(id)?.delete(member);
    }
    this.#changed(id);
    for (const [key, event] of [...this.#waiting]) {
      if (event.zoneId !== id) continue;
      this.#waiting.delete(key);
      if (!deleted) this.#event(event);
    }
  }

  #event(event: Pending & { zoneId: string; agentId: string }): void {
    const { action, zoneId, agentId, sender } = event;
    if (zoneId === PUBLIC_ZONE) {
      return this.#refuse(sender, "public_zone", `a ${action} of zone "public", which all are in`);
    }
    if (action === "zone_join_request" && sender !== agentId) {
      return this.#refuse(
        sender,
        "not_requester",
        `a join request of zone ${quote(zoneId)} for ${quote(agentId)}`,
      );
    }
    const zone = this.#zones.get(zoneId);
    if (zone === undefined) {
      this.#waiting.set(`${zoneId}:${agentId}`, event);
      return;
    }
    if (action === "zone_join_request") {
      if (zone.members.includes(agentId)) return;
      let asking = this.#requests.get(zoneId);
      if (asking === undefined) this.#requests.set(zoneId, asking = new Set());
      asking.add(agentId);
      return this.#changed(zoneId);
    }
    if (sender !== zone.owner_id) {
      return this.#refuse(
        sender,
        "not_zone_owner",
        `a ${action} of zone ${quote(zoneId)}, owned by ${quote(zone.owner_id)}`,
      );
    }
    this.#requests.get(zoneId)?.delete(agentId);
    const others = zone.members.filter((m) => m !== agentId);
    // The owner stays a member of its zone: a denial of itself changes nothing.
    const members = action === "zone_join_approve" || agentId === zone.owner_id
      ? [...others, agentId].sort()
      : others;
    this.#zones.set(zoneId, { ...zone, members });
    this.#changed(zoneId);
  }

  #refuse(sender: string, code: ZoneRefusal["code"], what: string): void {
    this.#refused({ sender, code, detail: `ignored ${what}, from ${quote(sender)}` });
  }

  #changed(zoneId: string): void {
    for (const listener of this.#listeners) listener(zoneId);
  }

  /** A zone by id; `public` is always there. */
  get(zoneId: string): ZoneInfo | undefined {
    if (zoneId === PUBLIC_ZONE) return publicZone();
    return this.#zones.get(zoneId);
  }

  /** Every zone, `public` first, then by id. */
  all(): ZoneInfo[] {
    const zones = [...this.#zones.values()].sort((a, b) => a.zone_id.localeCompare(b.zone_id));
    return [publicZone(), ...zones];
  }

  /**
   * Whether `agentId` is a member of `zoneId`: everyone is of `public`, nobody of an unknown zone;
   * of another, an agent its record lists, whose certificate names it in a signed group.
   */
  isMember(zoneId: string, agentId: string): boolean {
    return this.whyNot(zoneId, agentId) === undefined;
  }

  /**
   * Whether the certificate known for `agentId` names `zoneId`; undefined where certificates do
   * not count (an open group).
   */
  certifies(agentId: string, zoneId: string): boolean | undefined {
    return this.#certified && (this.#certified(agentId)?.includes(zoneId) ?? false);
  }

  /** Why `agentId` is not a member of `zoneId` (for a refusal or an audit), or undefined. */
  whyNot(zoneId: string, agentId: string): string | undefined {
    if (zoneId === PUBLIC_ZONE) return undefined;
    const zone = this.#zones.get(zoneId);
    if (zone === undefined) return `there is no zone ${quote(zoneId)}`;
    if (!zone.members.includes(agentId)) {
      return `${quote(agentId)} is not a member of zone ${quote(zoneId)}`;
    }
    if (this.certifies(agentId, zoneId) !== false) return undefined;
    return `${quote(agentId)} is listed in zone ${quote(zoneId)}, but ${
      this.#certified!(agentId) === undefined
        ? "no certificate of it is known"
        : "its certificate does not name it"
    }`;
  }

  /** The zones `agentId` is a member of, `public` first. */
  zonesOf(agentId: string): string[] {
    return this.all().filter((z) => this.isMember(z.zone_id, agentId)).map((z) => z.zone_id);
  }

  /** The agents whose join requests of `zoneId` wait for an answer, sorted. */
  requests(zoneId: string): string[] {
    return [...(this.#requests.get(zoneId) ?? [])].sort();
  }

  /**
   * Throws {@link ZoneRefused}, in one line, unless `agentId` may send a task into `zoneId` (and,
   * given `target`, to that agent there): the zone exists and both are its members. `public`
   * takes every task.
   */
  checkTask(agentId: string, zoneId: string, target?: string): void {
    if (zoneId === PUBLIC_ZONE) return;
    const what = `Cannot send a task into zone ${quote(zoneId)}`;
    if (this.#zones.get(zoneId) === undefined) {
      throw new ZoneRefused(`${what}: there is no such zone`);
    }
    for (const who of target === undefined ? [agentId] : [agentId, target]) {
      const why = this.whyNot(zoneId, who);
      if (why !== undefined) throw new ZoneRefused(`${what}: ${why}`);
    }
  }

  /**
   * Throws {@link ZoneRefused} when one of `topics` is a zone's topic and `agentId` is not a member
   * of that zone (an unknown zone included).
   */
  checkPublish(agentId: string, topics: Iterable<string>): void {
    for (const topic of topics) {
      const where = parseTopic(topic);
      if (where?.role !== "zone") continue;
      const why = this.whyNot(where.zone, agentId);
      if (why !== undefined) throw new ZoneRefused(`Cannot publish to ${topic}: ${why}`);
    }
  }
}

const quote = (value: string): string => JSON.stringify(value);

function publicZone(): ZoneInfo {
  return {
    zone_id: PUBLIC_ZONE,
    name: PUBLIC_ZONE,
    visibility: "public",
    owner_id: "",
    parent_zone: "",
    members: [],
    created_at: "1970-01-01T00:00:00.000Z",
  };
}

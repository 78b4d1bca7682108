/**
 * What `kafclaw zone create|delete|join|approve|deny` send, decided against the zones as the
 * orchestrator topic says they are now (zones.ts): the records this agent may send for the change,
 * or a one-line error saying why it may not (a zone that exists or does not, `public`, an agent
 * that is not the zone's owner). Readers hold the records to the same rules, so a change refused
 * here would be ignored by every member anyway.
 *
 * @module
 */
import { isAgentId, isId } from "../protocol/mod.ts";
import type { OutboundRecord } from "../transport/mod.ts";
import { zoneEventRecord, type ZoneInfo, zoneRecord } from "./zone_records.ts";
import { PUBLIC_ZONE, type ZoneDirectory } from "./zones.ts";

/** A change of the group's zones, as a command asks for it. */
export type ZoneChange =
  | {
    readonly kind: "create";
    readonly zoneId: string;
    readonly name?: string | undefined;
    readonly visibility?: "shared" | "private" | undefined;
    readonly parentZone?: string | undefined;
  }
  | { readonly kind: "delete"; readonly zoneId: string }
  | { readonly kind: "join"; readonly zoneId: string }
  | { readonly kind: "approve" | "deny"; readonly zoneId: string; readonly agentId: string };

/** Who changes the zones, in which group, and when. */
export interface ZoneActor {
  readonly group: string;
  readonly agentId: string;
  readonly now?: Date;
}

/** A change that may not be made; its message is one line. */
export class ZoneChangeError extends Error {
  override name = "ZoneChangeError";
}

const quote = (value: string): string => JSON.stringify(value);

/**
 * The records of `change` by `actor`, given the zones now; throws {@link ZoneChangeError} when
 * the actor may not make it. The zone's record goes with an approval or a denial, listing the
 * members after it.
 */
export function zoneChangeRecords(
  zones: ZoneDirectory,
  actor: ZoneActor,
  change: ZoneChange,
): OutboundRecord[] {
  const { group, agentId } = actor;
  const now = actor.now ?? new Date();
  const id = change.zoneId;
  const refuse = (why: string): never => {
    throw new ZoneChangeError(`Cannot ${change.kind} zone ${quote(id)}: ${why}`);
  };
  if (!isId(id)) refuse("not an id (a-z, 0-9, _ and -, starting with a letter or digit)");
  if (id === PUBLIC_ZONE) refuse("public always exists, and everyone is in it");
  const zone = zones.get(id);
  if (change.kind === "create") {
    if (zone !== undefined) refuse(`it exists, owned by ${quote(zone.owner_id)}`);
    const parent = change.parentZone ?? "";
    if (parent !== "" && zones.get(parent) === undefined) {
      refuse(`its parent zone ${quote(parent)} does not exist`);
    }
    const made: ZoneInfo = {
      zone_id: id,
      name: change.name ?? id,
      visibility: change.visibility ?? "private",
      owner_id: agentId,
      parent_zone: parent,
      members: [agentId],
      created_at: now.toISOString(),
    };
    return [zoneRecord(group, agentId, made, now)];
  }
  if (zone === undefined) return refuse("there is no such zone");
  if (change.kind === "join") {
    if (zone.members.includes(agentId)) refuse(`${quote(agentId)} is a member already`);
    const event = { action: "zone_join_request", zoneId: id, agentId } as const;
    return [zoneEventRecord(group, agentId, event, now)];
  }
  if (zone.owner_id !== agentId) {
    refuse(`it is owned by ${quote(zone.owner_id)}, not ${quote(agentId)}`);
  }
  if (change.kind === "delete") {
    return [zoneRecord(group, agentId, { ...zone, deleted: true }, now)];
  }
  const member = change.agentId;
  if (!isAgentId(member)) refuse(`${quote(member)} is not an agent id`);
  if (member === zone.owner_id) refuse(`${quote(member)} owns it`);
  const members = change.kind === "approve"
    ? [...zone.members, member]
    : zone.members.filter((m) => m !== member);
  const action = change.kind === "approve" ? "zone_join_approve" : "zone_join_deny";
  return [
    zoneEventRecord(group, agentId, { action, zoneId: id, agentId: member }, now),
    zoneRecord(group, agentId, { ...zone, members }, now),
  ];
}

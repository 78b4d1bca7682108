/** Records of the group tests: what a handler receives for a record an agent sent. */
import type { ZoneInfo } from "../../../../core/group/mod.ts";
import type { InboundRecord, OutboundRecord } from "../../../../core/transport/mod.ts";

/** `record` as a consumer receives it (partition 0, offset 0, unsigned), appended at `timestamp`. */
export function inboundOf(record: OutboundRecord, timestamp = Date.now()): InboundRecord {
  return {
    topic: record.topic,
    key: record.key ?? null,
    value: new TextEncoder().encode(String(record.value)),
    headers: {},
    partition: 0,
    offset: "0",
    timestamp,
  };
}

/** The zone of the zone tests: `lab`, private, owned by ann, with no other member. */
export const LAB_ZONE = {
  zone_id: "lab",
  name: "Lab",
  visibility: "private",
  owner_id: "ann",
  parent_zone: "",
  members: [],
  created_at: "2026-12-05T04:00:00.000Z",
} as const satisfies ZoneInfo;

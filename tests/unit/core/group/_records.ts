/** Records of the group tests: what a handler receives for a record an agent sent. */
import type { ZoneInfo } from "../../../../core/group/mod.ts";
import { signRecord } from "../../../../core/protocol/mod.ts";
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

/**
 * `record` signed by `keyId` with `privateKey` (the key may be one its certificate does not hold:
 * a forgery), as a consumer receives it at `offset` of partition 0.
 */
export async function signedInboundOf(
  record: OutboundRecord,
  signer: { readonly keyId: string; readonly privateKey: CryptoKey },
  offset = "0",
): Promise<InboundRecord> {
  const headers = await signRecord({ ...record, key: record.key ?? "" }, signer);
  const encoder = new TextEncoder();
  return {
    ...inboundOf(record),
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, encoder.encode(v)])),
    offset,
  };
}

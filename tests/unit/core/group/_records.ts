/** Records of the group tests: what a handler receives for a record an agent sent. */
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

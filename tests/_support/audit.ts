/** The group's audit topic as the integration tests read it: every audit record, from the start. */
import { parseRecord, topicsFor } from "../../core/protocol/mod.ts";
import type { Transport } from "../../core/transport/mod.ts";
import { followTopic } from "./topic_records.ts";

/** An audit record's payload with its sender. */
export type Audited = Record<string, unknown> & { readonly sender: string };

/**
 * Follows `group`'s audit topic from its beginning through `transport`: `seen` grows with each
 * audit record as it comes. Close it when done (the transport stays open).
 */
export async function followAudit(transport: Transport, group: string) {
  const seen: Audited[] = [];
  const reader = await followTopic(transport, topicsFor(group).audit, (record) => {
    const parsed = parseRecord(record);
    if (parsed.ok && parsed.envelope.type === "audit") {
      const payload: Record<string, unknown> = parsed.envelope.payload;
      seen.push({ ...payload, sender: parsed.envelope.sender_id });
    }
  }, "audit-reader");
  return { seen, close: () => reader.close() };
}

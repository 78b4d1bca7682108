/**
 * The group's audit as the tests read it: every audit record of its topic, from the start; what a
 * member's timeline kept of the records it dropped.
 */
import { parseRecord, topicsFor } from "../../core/protocol/mod.ts";
import type { Timeline } from "../../core/timeline/mod.ts";
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

/**
 * What a member's timeline kept of the records it dropped (the membership's audit of forged,
 * replayed, revoked and uncertified records), oldest first, as `<event_type>/<code>/<sender>`.
 */
export function droppedIn(timeline: Timeline): string[] {
  return timeline.events.list({ kind: "GROUP" }).items
    .map((e) => `${e.metadata.event_type}/${e.metadata.code}/${e.sender}`).reverse();
}

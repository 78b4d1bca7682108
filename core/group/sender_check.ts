/**
 * The sender check of a stream that reads other agents' word on tasks: statuses, responses and
 * spans, on the group's topics and a zone's. A task intake checks every request and grant itself
 * (task_intake.ts); the requester's side and the spans read what they are given. So in a signed
 * group every record of such a stream is verified before its handler sees it (core/group
 * `Trust`: a signature over its exact bytes by a certified, unrevoked member, in the time window,
 * not a replay), and one that fails is poison, which the trust has already audited: a forged
 * `response` never becomes a task's answer, a forged `claimed` or `declined` never moves a task.
 *
 * A record that does not parse is left to the handler (which ignores or refuses it, as before).
 * The handler's `prepare` (a batch's signatures checked together) is kept.
 *
 * @module
 */
import { parseRecord } from "../protocol/mod.ts";
import { around, type RecordHandler } from "../transport/mod.ts";
import type { Trust } from "./task_admission.ts";

/** `handler`, behind the check of each record's sender by `trust`. */
export function senderChecked(trust: Trust, handler: RecordHandler): RecordHandler {
  return around(handler, async (record) => {
    const parsed = parseRecord(record);
    if (parsed.ok) {
      const verdict = await trust(record, parsed.envelope);
      if (!verdict.ok) return { poison: verdict.reason };
    }
    return await handler(record);
  });
}

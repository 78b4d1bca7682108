/**
 * Handlers whose records wait for something to be done first, while their subscription is
 * already made: a member subscribes to all its state topics and its heartbeats at once (each
 * consumer group's join is most of a read's time), and lets the records of the announce, skills
 * and orchestrator topics through only once the roster topic is read (its certificates and
 * revocations are what they are verified by), and the heartbeats once all the state is
 * (membership.ts).
 *
 * @module
 */
import type { HandlerResult, InboundRecord, RecordHandler } from "../transport/mod.ts";

/** A gate: `opened` resolves with whether what it waited for went well, once `open` is called. */
export interface Gate {
  readonly opened: Promise<boolean>;
  open(ok: boolean): void;
}

/** A gate not opened yet. */
export function gate(): Gate {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  return { opened: promise, open: resolve };
}

/**
 * `handler`, with its records and batches held until `opened` resolves; when it resolves false
 * (what they waited for failed, and the start with it), they are passed over, never handled.
 */
export function afterGate(opened: Promise<boolean>, handler: RecordHandler): RecordHandler {
  const held = async (record: InboundRecord) => (await opened) ? handler(record) : undefined;
  const prepare = async (records: readonly InboundRecord[]): Promise<void> => {
    if (await opened) await handler.prepare?.(records);
  };
  return Object.assign(held, { prepare });
}

/**
 * `handler`, with its records and batches held until `started` settles: handled once it
 * resolves; when it rejects (the start failed), each record's work ends `again`, so the record is
 * not committed and comes again (to this agent's next run, or to another member). Once started,
 * records go straight to `handler`.
 */
export function untilStarted(started: Promise<unknown>, handler: RecordHandler): RecordHandler {
  let open = false;
  const settled = started.then(() => (open = true), () => false);
  const again: HandlerResult = { work: () => Promise.resolve({ again: "the start failed" }) };
  const held = (record: InboundRecord) =>
    open ? handler(record) : settled.then((ok) => ok ? handler(record) : again);
  const prepare = async (records: readonly InboundRecord[]): Promise<void> => {
    if (open || await settled) await handler.prepare?.(records);
  };
  return Object.assign(held, { prepare });
}

/**
 * Handlers built from handlers, keeping the handler's `prepare` (types.ts): the Kafka transport
 * hands each fetched batch of a partition to it before the first of its records, and a signed
 * group's handlers start the batch's signature checks there, together (core/group trust.ts). A
 * wrapper that lost it would leave its records to be checked one at a time, slower and silently.
 * So every handler that wraps another ({@link around}) or routes by topic ({@link byTopic}) is
 * made here.
 *
 * @module
 */
import type { HandlerResult, InboundRecord, RecordHandler } from "./types.ts";

/** A record handler without `prepare`. */
export type HandleOne = (record: InboundRecord) => HandlerResult | Promise<HandlerResult>;

/** `outer`, a handler that hands (some of) its records to `inner`, with `inner`'s `prepare`. */
export function around(inner: RecordHandler, outer: HandleOne): RecordHandler {
  return inner.prepare === undefined ? outer : Object.assign(outer, { prepare: inner.prepare });
}

/**
 * One handler for several topics: each record goes to the handler of its topic (a topic without
 * one is ignored), and each batch's records to the `prepare` of their topic's handler.
 */
export function byTopic(handlers: ReadonlyMap<string, RecordHandler>): RecordHandler {
  const route: HandleOne = (record) => handlers.get(record.topic)?.(record);
  const prepare = async (records: readonly InboundRecord[]): Promise<void> => {
    const batches = Map.groupBy(records, (record) => record.topic);
    await Promise.all([...batches].map(([topic, batch]) => handlers.get(topic)?.prepare?.(batch)));
  };
  return Object.assign(route, { prepare });
}

/**
 * What the transport skips, told to the audit (audit.ts) without changing what the transport does
 * with it:
 *
 * - {@link watchPoison}: a record a subscription's handler calls poison, or throws on (the
 *   transport takes a throw for poison: it dead-letters the record from a work topic and logs it
 *   from the others), on any topic but the shared memory ones, which audit their own refusals.
 * - a batch the consumer could not decode, which never reaches a handler: the subscription's
 *   `onUndecodable` tells of it (Kafka only).
 *
 * @module
 */
import {
  around,
  type HandlerResult,
  type InboundRecord,
  type RecordHandler,
  type SkippedBatch,
  type Transport,
} from "../transport/mod.ts";

/** Topics whose handlers audit their own poison (shared memory, which says whose item it was). */
const SELF_AUDITED = /\.memory(\.shared|\.context)?$/;

/** Told of each poison record: where, why, and `handler_failed` when the handler threw. */
export type PoisonWatch = (record: InboundRecord, reason: string, code?: string) => void;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `transport`, but every record that a subscription's handler calls poison (on any topic but
 * the shared memory ones) or throws on (on any topic) is also told to `poison` before the
 * transport dead-letters or counts it as before; a throw is thrown on to the transport. Each
 * batch a subscription could not decode is told to `undecodable`, when given. A handler's
 * `prepare` (a batch's signatures checked together) is kept.
 */
export function watchPoison(
  transport: Transport,
  poison: PoisonWatch,
  undecodable?: (batch: SkippedBatch) => void,
): Transport {
  const watched = (handler: RecordHandler): RecordHandler =>
    around(handler, async (record) => {
      let result: HandlerResult;
      try {
        result = await handler(record);
      } catch (error) {
        poison(record, `handler failed: ${errorText(error)}`, "handler_failed");
        throw error;
      }
      if (result && "poison" in result && !SELF_AUDITED.test(record.topic)) {
        poison(record, result.poison);
      }
      return result;
    });
  const skipped = (told?: (batch: SkippedBatch) => void) => (batch: SkippedBatch) => {
    undecodable?.(batch);
    told?.(batch);
  };
  return {
    produce: (records) => transport.produce(records),
    ...(transport.connectProducer === undefined
      ? {}
      : { connectProducer: () => transport.connectProducer!() }),
    subscribe: (options) =>
      transport.subscribe({
        ...options,
        handler: watched(options.handler),
        onUndecodable: skipped(options.onUndecodable),
      }),
    readWhole: (options) =>
      transport.readWhole({
        ...options,
        handler: watched(options.handler),
        onUndecodable: skipped(options.onUndecodable),
      }),
    createTopics: (specs) => transport.createTopics(specs),
    verifyTopics: (specs) => transport.verifyTopics(specs),
    groupMembers: (groupId) => transport.groupMembers(groupId),
    reclaimGroup: (groupId) => transport.reclaimGroup(groupId),
    listGroups: (prefix) => transport.listGroups(prefix),
    deleteGroups: (groupIds) => transport.deleteGroups(groupIds),
    close: () => transport.close(),
  };
}

/**
 * What the transport skips, told to the audit (audit.ts) without changing what the transport does
 * with it:
 *
 * - {@link watchPoison}: a record a subscription's handler calls poison, or throws on (the
 *   transport takes a throw for poison: it dead-letters the record from a work topic and logs it
 *   from the others), on any topic but the shared memory ones, which audit their own refusals.
 * - {@link watchUndecodable}: a batch the consumer could not decode, which never reaches a
 *   handler. The transport tells of it only in its log, so the log line is read back here; a unit
 *   test holds the line to the transport's own wording.
 *
 * @module
 */
import type {
  HandlerResult,
  InboundRecord,
  LogFn,
  RecordHandler,
  Transport,
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
 * transport dead-letters or counts it as before; a throw is thrown on to the transport.
 */
export function watchPoison(transport: Transport, poison: PoisonWatch): Transport {
  const watched = (handler: RecordHandler): RecordHandler => async (record) => {
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
  };
  return {
    produce: (records) => transport.produce(records),
    subscribe: (options) => transport.subscribe({ ...options, handler: watched(options.handler) }),
    createTopics: (specs) => transport.createTopics(specs),
    verifyTopics: (specs) => transport.verifyTopics(specs),
    groupMembers: (groupId) => transport.groupMembers(groupId),
    listGroups: (prefix) => transport.listGroups(prefix),
    deleteGroups: (groupIds) => transport.deleteGroups(groupIds),
    close: () => transport.close(),
  };
}

/** A batch of records the consumer skipped because it could not decode it. */
export interface UndecodableBatch {
  readonly topic: string;
  readonly partition: number;
  /** The batch's first and last offsets, as decimal strings. */
  readonly firstOffset: string;
  readonly lastOffset: string;
  readonly reason: string;
}

/** The transport's line for a skipped batch: dead-lettered (work topics) or only skipped. */
const SKIPPED =
  /^(?:Skipped|Dead-lettered) ([^\s@]+)@(\d+):(\d+)-(\d+)(?: to \S+)?: batch could not be decoded: (.*)$/s;

/** The batch a transport's log line says was skipped as undecodable, if it says so. */
export function undecodableIn(message: string): UndecodableBatch | undefined {
  const match = SKIPPED.exec(message);
  if (match === null) return undefined;
  const [, topic, partition, firstOffset, lastOffset, reason] = match as unknown as string[];
  return {
    topic: topic!,
    partition: Number(partition),
    firstOffset: firstOffset!,
    lastOffset: lastOffset!,
    reason: reason!,
  };
}

/**
 * A transport log that tells `undecodable` of each batch the transport skipped, and passes every
 * line on to `log` (when given) as before.
 */
export function watchUndecodable(
  undecodable: (batch: UndecodableBatch) => void,
  log?: LogFn,
): LogFn {
  return (level, message) => {
    const batch = level === "warn" ? undecodableIn(message) : undefined;
    if (batch !== undefined) undecodable(batch);
    log?.(level, message);
  };
}

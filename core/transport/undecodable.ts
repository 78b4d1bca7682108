/**
 * Batches that cannot be decoded. kafkajs decodes a fetch response whole: one record batch that
 * fails (a codec that refuses it, a payload that does not decompress, records that do not parse)
 * fails the fetch, and the consumer fetches the same offset again, forever, so one bad batch stops
 * its partition. KafClaw teaches kafkajs's batch decoder (process-wide, once) to stand in a
 * marker record for such a batch instead: it sits at the batch's last offset and says which
 * offsets the batch held and why it failed, so the subscription can dead-letter the range and go
 * on with the next offset. A marker is recognised by identity (a WeakMap of the objects made
 * here), never by anything a producer could write.
 *
 * This reaches into kafkajs 2.2.4's internals (its record batch decoder and the fetch responses
 * that hold it); the Kafka transport tests on the real broker fail if an upgrade moves them.
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import kafkajs from "kafkajs";

/** What a marker record stands for: the offsets of a batch that did not decode, and why. */
export interface UndecodableBatch {
  /** The batch's first offset, as a decimal string. */
  readonly firstOffset: string;
  /** The batch's last offset (the marker's own), as a decimal string. */
  readonly lastOffset: string;
  readonly reason: string;
}

const markers = new WeakMap<object, UndecodableBatch>();

/** The batch a record received from kafkajs stands for, when it is a marker; else undefined. */
export function undecodableBatch(message: object): UndecodableBatch | undefined {
  return markers.get(message);
}

/** kafkajs's Decoder, as far as it is used here. */
interface FetchDecoder {
  readonly buffer: Buffer;
  offset: number;
}
type BatchDecoder = (decoder: FetchDecoder) => Promise<{ records: unknown[] }>;

/** Byte positions in a record batch (magic 2), from its start. */
const LENGTH_AT = 8;
const LAST_OFFSET_DELTA_AT = 23;
const FIRST_TIMESTAMP_AT = 27;
const HEADER_BYTES = 61;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The marker batch for one that failed to decode, read from its header (written by the broker,
 * which assigns offsets on append), or undefined when even the header is not there.
 */
function markerBatch(decoder: FetchDecoder, start: number, error: unknown) {
  const buf = decoder.buffer;
  if (start + HEADER_BYTES > buf.length) return undefined;
  const length = buf.readInt32BE(start + LENGTH_AT);
  if (length < HEADER_BYTES - 12) return undefined;
  // The original decoder moves past the batch before it decodes it; make sure of it.
  decoder.offset = Math.max(decoder.offset, Math.min(buf.length, start + 12 + length));
  const first = buf.readBigInt64BE(start);
  const delta = Math.max(0, buf.readInt32BE(start + LAST_OFFSET_DELTA_AT));
  const last = first + BigInt(delta);
  const timestamp = buf.readBigInt64BE(start + FIRST_TIMESTAMP_AT).toString();
  const batch: UndecodableBatch = {
    firstOffset: first.toString(),
    lastOffset: last.toString(),
    reason: errorText(error),
  };
  const context = {
    firstOffset: batch.firstOffset,
    firstTimestamp: timestamp,
    maxTimestamp: timestamp,
    lastOffsetDelta: delta,
    inTransaction: false,
    isControlBatch: false,
    producerId: "-1",
    producerEpoch: -1,
    firstSequence: -1,
    partitionLeaderEpoch: -1,
    timestampType: 0,
  };
  const marker = {
    magicByte: 2,
    attributes: 0,
    timestamp,
    offset: batch.lastOffset,
    key: null,
    value: null,
    headers: {},
    isControlRecord: false,
    batchContext: context,
  };
  markers.set(marker, batch);
  return { ...context, records: [marker] };
}

function tolerant(decode: BatchDecoder): BatchDecoder {
  return async (decoder) => {
    const start = decoder.offset;
    try {
      return await decode(decoder);
    } catch (error) {
      // A batch cut by the fetch's size limit is how kafkajs learns where a response ends.
      if ((error as Error)?.name === "KafkaJSPartialMessageError") throw error;
      const batch = markerBatch(decoder, start, error);
      if (!batch) throw error;
      return batch;
    }
  };
}

let installed: string | undefined;

/** Where kafkajs's fetch request module is, however the npm package is laid out on disk. */
const FETCH_INDEX = /kafkajs[^\n]*[\\/]src[\\/]protocol[\\/]requests[\\/]fetch[\\/]index\.js$/;

/**
 * Makes kafkajs stand a marker record in for a batch it cannot decode (process-wide, once).
 * Fetch response modules loaded before are dropped from the module cache, so the next fetch
 * loads them again with the tolerant decoder. Returns why it could not, if it could not (a
 * kafkajs whose modules are not where 2.2.4 has them): the transport then works as kafkajs does.
 */
export function installUndecodableMarkers(): string | undefined {
  if (installed !== undefined) return installed || undefined;
  try {
    void kafkajs; // kafkajs's own modules are loaded, so its files are in the module cache
    const require = createRequire(import.meta.url);
    const fetchIndex = Object.keys(require.cache).find((path) => FETCH_INDEX.test(path));
    if (!fetchIndex) throw new Error("kafkajs's fetch request is not among the loaded modules");
    const fetchRequire = createRequire(fetchIndex);
    const decoderPath = fetchRequire.resolve("../../recordBatch/v0/decoder");
    const original = fetchRequire(decoderPath) as BatchDecoder;
    if (typeof original !== "function") {
      throw new Error("kafkajs's batch decoder is not a function");
    }
    require.cache[decoderPath]!.exports = tolerant(original);
    const fetchDir = fetchIndex.slice(0, -"index.js".length);
    for (const path of Object.keys(require.cache)) {
      if (path.startsWith(fetchDir) && !path.endsWith("index.js")) delete require.cache[path];
    }
    installed = "";
  } catch (error) {
    installed = `Cannot skip batches that do not decode: ${errorText(error)}`;
  }
  return installed || undefined;
}

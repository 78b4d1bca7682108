/**
 * The compression codecs kafkajs lacks: snappy, lz4 and zstd. kafkajs reads only uncompressed and
 * gzip batches, and a batch in any other codec stops the consumer at that offset ("not
 * implemented"), so one record from a client that compresses by default (franz-go: snappy;
 * librdkafka's and Java's users often choose lz4 or zstd) would stall a whole partition.
 * KafClaw produces uncompressed records; these codecs are there to read what others produce.
 *
 * Snappy comes in two shapes on Kafka: a raw block (most clients) and the xerial framing of the
 * Java client's snappy-java (a magic header, then length-prefixed blocks). lz4 is the standard
 * frame format; zstd a standard frame. zstd is read only: nothing here writes it.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";
import { decompress as zstdDecompress } from "fzstd";
import * as lz4 from "lz4js";
import snappy from "snappyjs";
import { joinChunks } from "../bytes/mod.ts";

/** What one batch may grow to when it is decompressed; more is refused, not allocated. */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** snappy-java's stream header: 0x82 "SNAPPY" 0x00, then two 4-byte versions. */
const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_BYTES = 16;

/** Whether a snappy payload is in snappy-java's framing. */
function isXerial(bytes: Uint8Array): boolean {
  return bytes.length >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.every((b, i) => bytes[i] === b);
}

function tooLarge(codec: string): Error {
  return new Error(
    `Cannot decompress a ${codec} batch: it grows past ${MAX_DECOMPRESSED_BYTES} bytes`,
  );
}

/** Decompresses a snappy payload, raw or in snappy-java's framing. */
export function snappyDecompress(bytes: Uint8Array): Uint8Array {
  if (!isXerial(bytes)) return snappy.uncompress(bytes, MAX_DECOMPRESSED_BYTES);
  const parts: Uint8Array[] = [];
  let total = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = XERIAL_HEADER_BYTES; at < bytes.length;) {
    if (at + 4 > bytes.length) throw new Error("Cannot decompress a snappy batch: a cut block");
    const size = view.getUint32(at);
    at += 4;
    if (at + size > bytes.length) throw new Error("Cannot decompress a snappy batch: a cut block");
    const part = snappy.uncompress(
      bytes.subarray(at, at + size),
      MAX_DECOMPRESSED_BYTES - total,
    );
    total += part.length;
    parts.push(part);
    at += size;
  }
  return joinChunks(parts);
}

/** Decompresses an lz4 frame. */
export function lz4Decompress(bytes: Uint8Array): Uint8Array {
  const bound = lz4.decompressBound(bytes);
  if (bound > MAX_DECOMPRESSED_BYTES) throw tooLarge("lz4");
  return lz4.decompress(bytes, bound);
}

/**
 * What the first zstd frame of `bytes` says it needs before any of it is decoded: its content size
 * when declared, and the window a decoder allocates for it (bytes), or undefined when `bytes` is
 * not a zstd frame (the decoder then says why).
 */
export function zstdDeclaredBytes(bytes: Uint8Array): number | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 6 || view.getUint32(0, true) !== 0xfd2fb528) return undefined;
  const descriptor = bytes[4]!;
  const singleSegment = (descriptor & 0x20) !== 0;
  const sizeFlag = descriptor >> 6;
  let at = 5;
  let window = 0;
  if (!singleSegment) {
    const exponent = bytes[at]! >> 3;
    const base = 2 ** (10 + exponent);
    window = base + (base / 8) * (bytes[at]! & 7);
    at++;
  }
  at += [0, 1, 2, 4][descriptor & 3]!;
  const fieldBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag]!;
  if (at + fieldBytes > bytes.length) return window;
  let content = 0;
  for (let i = fieldBytes - 1; i >= 0; i--) content = content * 256 + bytes[at + i]!;
  if (fieldBytes === 2) content += 256;
  return Math.max(window, content);
}

/** Decompresses a zstd frame. */
export function zstdDecompressBounded(bytes: Uint8Array): Uint8Array {
  if ((zstdDeclaredBytes(bytes) ?? 0) > MAX_DECOMPRESSED_BYTES) throw tooLarge("zstd");
  const out = zstdDecompress(bytes);
  if (out.length > MAX_DECOMPRESSED_BYTES) throw tooLarge("zstd");
  return out;
}

/** The shape kafkajs asks of a codec. */
interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

function codec(
  decompress: (bytes: Uint8Array) => Uint8Array,
  compress: (bytes: Uint8Array) => Uint8Array,
): () => Codec {
  return () => ({
    compress: (encoder) => Promise.resolve(Buffer.from(compress(encoder.buffer))),
    decompress: (buffer) => Promise.resolve(Buffer.from(decompress(buffer))),
  });
}

let registered = false;

/** Teaches kafkajs (process-wide) to read snappy, lz4 and zstd batches; idempotent. */
export function registerCodecs(): void {
  if (registered) return;
  registered = true;
  const { CompressionCodecs, CompressionTypes } = kafkajs;
  CompressionCodecs[CompressionTypes.Snappy] = codec(snappyDecompress, snappy.compress);
  CompressionCodecs[CompressionTypes.LZ4] = codec(lz4Decompress, lz4.compress);
  CompressionCodecs[CompressionTypes.ZSTD] = codec(zstdDecompressBounded, () => {
    throw new Error("Cannot compress with zstd: KafClaw only reads it");
  });
}

/**
 * The codecs that let the Kafka transport read batches other clients compressed. The lz4 and zstd
 * inputs were made by the reference command-line tools (lz4 1.9, zstd 1.5), not by the libraries
 * under test; the snappy-java framing is built here byte by byte from its documented layout.
 */
import assert from "node:assert/strict";
import snappy from "snappyjs";
import {
  lz4Decompress,
  MAX_DECOMPRESSED_BYTES,
  snappyDecompress,
  zstdDeclaredBytes,
  zstdDecompressBounded,
} from "../../../../core/transport/codecs.ts";

const TEXT = "kafclaw reads what others compress. ".repeat(20);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const fromBase64 = (b64: string) => Uint8Array.fromBase64(b64);

/** `lz4 -c` and `zstd -c` of TEXT. */
const LZ4_FRAME =
  "BCJNGGRApzEAAAD/FWthZmNsYXcgcmVhZHMgd2hhdCBvdGhlcnMgY29tcHJlc3MuICQA//+WUGVzcy4gAAAAADKoC8Q=";
const ZSTD_FRAME =
  "KLUv/WTQAW0BAEQCa2FmY2xhdyByZWFkcyB3aGF0IG90aGVycyBjb21wcmVzcy4gAQBMdSr1BEKJ7e0=";

Deno.test("a raw snappy block is read back whole", () => {
  const block = snappy.compress(new TextEncoder().encode(TEXT));
  assert.equal(text(snappyDecompress(block)), TEXT);
});

/** snappy-java's stream: magic, two versions, then blocks each after its big-endian length. */
function xerial(parts: string[]): Uint8Array {
  const header = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1];
  const chunks: number[] = [...header];
  for (const part of parts) {
    const block = snappy.compress(new TextEncoder().encode(part));
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, block.length);
    chunks.push(...length, ...block);
  }
  return Uint8Array.from(chunks);
}

Deno.test("snappy in the Java client's framing is read block by block", () => {
  assert.equal(
    text(snappyDecompress(xerial(["first half, ", "second half"]))),
    "first half, second half",
  );
  assert.equal(text(snappyDecompress(xerial([]))), "");
});

Deno.test("a cut snappy-java block is an error that says so", () => {
  const whole = xerial(["some text that will be cut"]);
  assert.throws(() => snappyDecompress(whole.subarray(0, whole.length - 3)), /a cut block/);
  assert.throws(() => snappyDecompress(whole.subarray(0, 18)), /a cut block/);
});

Deno.test("a snappy block that claims more than the limit is refused before it is read", () => {
  // The block's first bytes are its length as a varint: here 100 MiB, with nothing after it.
  const claim = [0x80, 0x80, 0x80, 0x32];
  assert.throws(() => snappyDecompress(Uint8Array.from(claim)), /too big, expect at most 67108864/);
});

Deno.test("an lz4 frame from the lz4 tool is read back whole", () => {
  assert.equal(text(lz4Decompress(fromBase64(LZ4_FRAME))), TEXT);
});

Deno.test("a zstd frame from the zstd tool is read back whole", () => {
  const frame = fromBase64(ZSTD_FRAME);
  assert.equal(zstdDeclaredBytes(frame), TEXT.length);
  assert.equal(text(zstdDecompressBounded(frame)), TEXT);
});

Deno.test("a zstd frame that declares more than the limit is refused before it is decoded", () => {
  // Magic, single segment with an 8-byte content size of 8 GiB, and no blocks at all.
  const content = [0x28, 0xb5, 0x2f, 0xfd, 0xe0, 0, 0, 0, 0, 2, 0, 0, 0];
  assert.equal(zstdDeclaredBytes(Uint8Array.from(content)), 2 ** 33);
  assert.throws(() => zstdDecompressBounded(Uint8Array.from(content)), /grows past/);
  // Not single segment: a window of 2^41 bytes, which a decoder would allocate.
  const window = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 31 << 3];
  assert.ok(zstdDeclaredBytes(Uint8Array.from(window))! > MAX_DECOMPRESSED_BYTES);
  assert.throws(() => zstdDecompressBounded(Uint8Array.from(window)), /grows past/);
});

Deno.test("bytes that are not zstd are left to the decoder, which refuses them", () => {
  assert.equal(zstdDeclaredBytes(new TextEncoder().encode("plain text")), undefined);
  assert.throws(() => zstdDecompressBounded(new TextEncoder().encode("plain text")));
});

/**
 * A record batch that the transport cannot decode, on the real broker: a zstd batch whose frame
 * asks for a 72 MiB window (zstd allows 128 MiB), which the broker accepts as it is and the
 * transport refuses to allocate (more than 64 MiB).
 */
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";

const { CompressionCodecs, CompressionTypes, Kafka } = kafkajs;

/** A valid zstd frame holding `bytes` as one raw block, declaring a 72 MiB window. */
function zstdWithHugeWindow(bytes: Uint8Array): Buffer {
  const block = (bytes.length << 3) | 1; // raw block, the last one
  return Buffer.concat([
    Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, (16 << 3) | 1]),
    Buffer.from([block & 0xff, (block >> 8) & 0xff, (block >> 16) & 0xff]),
    Buffer.from(bytes),
  ]);
}

/**
 * Produces one such batch of `keys` (values `bad <key>`) to `partition` of `topic`, with a raw
 * kafkajs client whose zstd compression is swapped for the call only.
 */
export async function produceUndecodable(
  brokers: string[],
  topic: string,
  keys: string[],
  partition = 0,
): Promise<void> {
  const zstd = CompressionCodecs[CompressionTypes.ZSTD];
  // Consumers in this process (a gateway under test) go on decoding with the codec they had.
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: (encoder: { buffer: Buffer }) => Promise.resolve(zstdWithHugeWindow(encoder.buffer)),
    decompress: (buffer: Buffer) => zstd().decompress(buffer),
  });
  const producer = new Kafka({ brokers, clientId: "undecodable", logLevel: 0 }).producer();
  try {
    await producer.connect();
    await producer.send({
      topic,
      compression: CompressionTypes.ZSTD,
      messages: keys.map((key) => ({ key, value: `bad ${key}`, partition })),
    });
  } finally {
    CompressionCodecs[CompressionTypes.ZSTD] = zstd;
    await producer.disconnect();
  }
}

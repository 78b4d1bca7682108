/**
 * Reads a response body, decoded (gzip, deflate, br), up to a byte limit. node:zlib and
 * node:stream load with the first compressed body.
 */
import type { IncomingMessage } from "node:http";
import type { Readable } from "node:stream";
import { readAtMost } from "../../bytes/mod.ts";

async function decoderFor(encoding: string): Promise<Readable & NodeJS.WritableStream | undefined> {
  const zlib = (await import("node:zlib")).default;
  switch (encoding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip();
    case "deflate":
      return zlib.createInflate();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}

/** The body of `response`, decoded, cut at `maxBytes`; the response is closed afterwards. */
export async function readCapped(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: Uint8Array; truncated: boolean }> {
  const encoding = String(response.headers["content-encoding"] ?? "").trim().toLowerCase();
  let stream: Readable = response;
  if (encoding !== "" && encoding !== "identity") {
    const decoder = await decoderFor(encoding);
    if (decoder === undefined) {
      response.destroy();
      throw new Error(
        `Cannot decode the response: content-encoding "${encoding}" is not supported`,
      );
    }
    const { pipeline } = await import("node:stream");
    stream = pipeline(response, decoder, () => {});
  }
  const onAbort = () => stream.destroy(new Error("aborted"));
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const { bytes, overflowed } = await readAtMost(stream, maxBytes);
    return { body: bytes, truncated: overflowed };
  } catch (error) {
    throw new Error(`Cannot read the response: ${error instanceof Error ? error.message : error}`);
  } finally {
    signal.removeEventListener("abort", onAbort);
    stream.destroy();
    response.destroy();
  }
}

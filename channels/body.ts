/**
 * Bodies a channel reads from the network, each up to a bound as it streams in, whatever
 * Content-Length says or leaves out (a chunked body has none): a webhook's request (Telegram's,
 * WhatsApp's listeners face the network, behind a TLS proxy or on 0.0.0.0, and a body read whole
 * before it is judged would let anyone fill the gateway's memory) and a downloaded file (a
 * Telegram file, a WhatsApp medium, a Discord attachment: refused at the limit, not after it),
 * both read by core/bytes. And the webhooks' secrets, compared in a time that does not depend on
 * where they differ.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readAtMost } from "../core/bytes/mod.ts";

/** The largest webhook body read (the platforms' notifications are a few KB). */
export const MAX_WEBHOOK_BODY = 1024 * 1024;

/**
 * The bytes of `stream`, or undefined as soon as they are over `maxBytes` (the rest is not read:
 * the stream is cancelled).
 */
export async function readUpTo(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const { bytes, overflowed } = await readAtMost(stream, maxBytes);
  return overflowed ? undefined : bytes;
}

/**
 * The body of a webhook's `request`, or undefined when it is over `maxBytes` (see
 * {@link readUpTo}).
 */
export async function readWebhookBody(
  request: Request,
  maxBytes = MAX_WEBHOOK_BODY,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > maxBytes) return undefined;
  return request.body === null ? new Uint8Array() : await readUpTo(request.body, maxBytes);
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Whether `given` is `expected`, compared in constant time (over digests of equal length). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

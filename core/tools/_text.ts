/** Text helpers shared by the tools: byte-exact caps that never split a character. */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 size of a text. */
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Cuts a text to at most `maxBytes` of UTF-8, on a character boundary, and appends
 * `[truncated N bytes]` (N: the bytes left out) when it had to cut.
 */
export function capText(text: string, maxBytes: number): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) so the cut falls between characters.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${decoder.decode(bytes.subarray(0, end))}\n[truncated ${bytes.length - end} bytes]`;
}

/** A short quoted preview of a value for error messages. */
export function preview(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

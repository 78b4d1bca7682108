/**
 * What a fetched page says, as text: HTML reduced to readable text, JSON, XML and plain text as
 * they are, binary content refused.
 *
 * @module
 */
import type { FetchedPage } from "./fetch.ts";
import { htmlToText } from "./html_text.ts";

/** A page as the model reads it, or why it cannot. */
export type PageText =
  | { readonly kind: "text"; readonly title?: string; readonly text: string }
  | { readonly kind: "binary"; readonly mediaType: string };

const TEXTUAL = [
  /^text\//,
  /^application\/(json|ld\+json|xml|javascript|ecmascript|x-ndjson|ndjson|yaml|x-yaml|toml|rss\+xml|atom\+xml|x-www-form-urlencoded|graphql|csv)$/,
  /\+(json|xml)$/,
];

function charsetOf(contentType: string): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1] ?? "utf-8";
}

function decode(body: Uint8Array, charset: string, fatal = false): string {
  try {
    return new TextDecoder(charset, { fatal }).decode(body);
  } catch (error) {
    if (fatal) throw error;
    return new TextDecoder("utf-8").decode(body);
  }
}

/** Text without a media type: valid UTF-8 with no NUL bytes. */
function looksLikeText(body: Uint8Array): string | undefined {
  if (body.subarray(0, 4096).includes(0)) return undefined;
  try {
    return decode(body, "utf-8", true);
  } catch {
    return undefined;
  }
}

/** Turns a fetched page into text; `mediaType` is what the server said, lower-cased. */
export function pageText(page: FetchedPage): PageText {
  const mediaType = (page.contentType.split(";")[0] ?? "").trim().toLowerCase();
  const isHtml = mediaType === "text/html" || mediaType === "application/xhtml+xml";
  if (isHtml) {
    const { title, text } = htmlToText(decode(page.body, charsetOf(page.contentType)), page.url);
    return title === "" ? { kind: "text", text } : { kind: "text", title, text };
  }
  if (TEXTUAL.some((pattern) => pattern.test(mediaType))) {
    return { kind: "text", text: decode(page.body, charsetOf(page.contentType)) };
  }
  if (mediaType === "" || mediaType === "application/octet-stream") {
    const text = looksLikeText(page.body);
    if (text !== undefined) return { kind: "text", text };
  }
  return { kind: "binary", mediaType: mediaType || "unknown" };
}

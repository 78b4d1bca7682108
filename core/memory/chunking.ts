/**
 * Turning text into memory chunks: ids derived from content (so storing the same thing twice
 * changes nothing), long text split at paragraph, line, sentence and word boundaries, soul files
 * split into their `## ` sections, tags made safe to store.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The longest chunk, in characters, unless a caller says otherwise (about 300 tokens). */
export const DEFAULT_CHUNK_CHARS = 1200;

/** Where text may be split, coarsest first, and how the pieces are joined again. */
const BOUNDARIES: readonly { readonly split: RegExp; readonly join: string }[] = [
  { split: /\n{2,}/, join: "\n\n" },
  { split: /\n/, join: "\n" },
  { split: /(?<=[.!?;:])\s+/, join: " " },
  { split: /\s+/, join: " " },
];

/**
 * A chunk's id: the first 16 bytes of SHA-256 over its source, its content and (when it has one)
 * its zone, as 32 hex digits. The same content from the same source is one chunk; in two zones it
 * is two, so that neither zone's copy outlives the other.
 *
 * @example
 * ```ts
 * import { chunkId } from "./chunking.ts";
 * console.assert(chunkId("user", "tea, no sugar") === chunkId("user", "tea, no sugar"));
 * console.assert(chunkId("user", "tea, no sugar") !== chunkId("user", "tea, no sugar", "ops"));
 * ```
 */
export function chunkId(source: string, content: string, zone?: string): string {
  const hash = createHash("sha256").update(`${source}:${content}`);
  if (zone !== undefined) hash.update(`\u0000zone:${zone}`);
  return hash.digest("hex").slice(0, 32);
}

/** Text with `\r\n` as `\n`, no trailing spaces on lines, at most one blank line in a row. */
export function normalizeText(text: string): string {
  return text.replace(/\r\n?/g, "\n").replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
}

/**
 * Splits text into chunks of at most `maxChars`, at the coarsest boundary that fits: paragraphs,
 * then lines, sentences, words; a word longer than a chunk is cut. Short text is one chunk; empty
 * text none.
 *
 * @example
 * ```ts
 * import { chunkText } from "./chunking.ts";
 * const chunks = chunkText("First paragraph.\n\nSecond one, a bit longer.", { maxChars: 30 });
 * console.assert(chunks.length === 2 && chunks[1] === "Second one, a bit longer.");
 * ```
 */
export function chunkText(text: string, options: { readonly maxChars?: number } = {}): string[] {
  const max = options.maxChars ?? DEFAULT_CHUNK_CHARS;
  if (!Number.isInteger(max) || max < 16) {
    throw new RangeError(`A chunk size must be an integer of at least 16, got ${max}`);
  }
  const clean = normalizeText(text);
  return clean === "" ? [] : split(clean, max, 0);
}

function split(text: string, max: number, level: number): string[] {
  if (text.length <= max) return [text];
  const boundary = BOUNDARIES[level];
  if (boundary === undefined) {
    const cuts: string[] = [];
    for (let at = 0; at < text.length; at += max) cuts.push(text.slice(at, at + max));
    return cuts;
  }
  const chunks: string[] = [];
  let current = "";
  for (const part of text.split(boundary.split)) {
    const joined = current === "" ? part : current + boundary.join + part;
    if (joined.length <= max) {
      current = joined;
      continue;
    }
    if (current !== "") chunks.push(current);
    current = "";
    if (part.length <= max) current = part;
    else chunks.push(...split(part, max, level + 1));
  }
  if (current !== "") chunks.push(current);
  return chunks.map((c) => c.trim()).filter((c) => c !== "");
}

/** One `## ` section of a soul file. */
export interface SoulSection {
  /** The heading without `## `; for text before the first heading, the file's `# ` title or "". */
  readonly heading: string;
  /** The section's text, its heading line included. */
  readonly text: string;
}

/**
 * Splits a Markdown soul file on its `## ` headings (not inside code fences). Sections with
 * nothing under the heading are left out.
 *
 * @example
 * ```ts
 * import { soulSections } from "./chunking.ts";
 * const [one, two] = soulSections("# Soul\nHello.\n## Tone\nWarm and brief.\n## Empty\n");
 * console.assert(one?.heading === "Soul" && two?.heading === "Tone");
 * console.assert(two?.text === "## Tone\nWarm and brief.");
 * ```
 */
export function soulSections(markdown: string): SoulSection[] {
  const sections: { heading: string; lines: string[]; body: boolean }[] = [];
  let current = { heading: "", lines: [] as string[], body: false };
  let fenced = false;
  for (const line of normalizeText(markdown).split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (!fenced && line.startsWith("## ")) {
      sections.push(current);
      current = { heading: line.slice(3).trim(), lines: [line], body: false };
      continue;
    }
    const title = /^# (.+)$/.exec(line);
    if (title && sections.length === 0 && current.heading === "") {
      current.heading = title[1]!.trim();
    } else if (line.trim() !== "") current.body = true;
    current.lines.push(line);
  }
  sections.push(current);
  return sections.filter((s) => s.body).map((s) => ({
    heading: s.heading,
    text: s.lines.join("\n").trim(),
  }));
}

/** Tags as stored: trimmed, commas and line breaks made spaces, empty ones and repeats dropped. */
export function normalizeTags(tags: readonly string[]): string[] {
  const clean = tags.map((t) => t.replace(/[,\s]+/g, " ").trim()).filter((t) => t !== "");
  return [...new Set(clean)];
}

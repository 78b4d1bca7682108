/**
 * The poison rules that come before any schema: size, UTF-8, JSON syntax, duplicate keys and
 * nesting depth (PROTOCOL.md, Records). `JSON.parse` silently keeps the last of two equal keys, and
 * another language may keep the first, so two readers could see two different records: a value with
 * a duplicate key, at any depth, is refused instead.
 *
 * @module
 */

import { type ParseErrorCode, type PathSegment, subject } from "./errors.ts";

/** The default limit of a record value, in bytes (below the topics' `max.message.bytes`). */
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/** The deepest nesting of objects and arrays a value may have; the envelope itself is level 1. */
export const MAX_DEPTH = 32;

/** Why the guard refused a value, and where. */
export interface GuardFailure {
  readonly code: ParseErrorCode;
  readonly detail: string;
  readonly path: readonly PathSegment[];
}

/** A parsed JSON value, or why it was refused. */
export type GuardResult =
  | { readonly ok: true; readonly value: unknown; readonly protoKey?: true }
  | { readonly ok: false; readonly failure: GuardFailure };

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();

/**
 * Decodes and parses one JSON value under the poison rules, in this order: size, UTF-8, depth,
 * JSON syntax, duplicate keys. Depth comes before the parse, from a scan that needs no valid JSON,
 * so a megabyte of `[[[…` costs one pass and no parse. A byte order mark is not JSON and is
 * refused like any other stray character. `protoKey` says whether an object has a `__proto__`
 * key, which the parse keeps as an own field but a copy by assignment would not. Never throws.
 */
export function guardJson(input: Uint8Array | string, maxBytes: number): GuardResult {
  const size = typeof input === "string" ? ENCODER.encode(input).length : input.length;
  if (size > maxBytes) {
    return fail("too_large", `the value has ${size} bytes, more than the limit of ${maxBytes}`);
  }
  let text: string;
  if (typeof input === "string") {
    if (!input.isWellFormed()) return fail("invalid_utf8", "the value has a lone surrogate");
    text = input;
  } else {
    try {
      text = DECODER.decode(input);
    } catch {
      return fail("invalid_utf8", "the value is not valid UTF-8");
    }
  }
  const scan = scanStructure(text);
  if (scan.failure?.code === "too_deep") return { ok: false, failure: scan.failure };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail("invalid_json", "the value is not valid JSON");
  }
  if (scan.failure !== undefined) return { ok: false, failure: scan.failure };
  return scan.protoKey ? { ok: true, value, protoKey: true } : { ok: true, value };
}

function fail(code: ParseErrorCode, detail: string): GuardResult {
  return { ok: false, failure: { code, detail, path: [] } };
}

interface Frame {
  /** The keys seen so far in an object; undefined in an array. */
  readonly keys: Set<string> | undefined;
  /** The current key (object) or index (array), for paths in messages. */
  step: PathSegment;
  /** In an object: the next string is a key. */
  expectKey: boolean;
}

/** What {@link scanStructure} finds. */
interface Scan {
  /** Nesting too deep (which ends the scan), or else the first duplicate key. */
  readonly failure?: GuardFailure;
  readonly protoKey: boolean;
}

/**
 * Finds the first duplicate key or nesting deeper than {@link MAX_DEPTH}, in document order. Keys
 * are compared after unescaping (`"a"` and `"\u0061"` are the same key). Text that `JSON.parse`
 * refuses may give any answer, but the scan always ends.
 */
export function checkStructure(text: string): GuardFailure | undefined {
  return scanStructure(text).failure;
}

function scanStructure(text: string): Scan {
  const stack: Frame[] = [];
  const path = () => stack.map((frame) => frame.step);
  let duplicate: GuardFailure | undefined;
  let protoKey = false;
  // After a duplicate, or a key whose escapes do not read, only the depth is still looked for.
  let keys = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack.at(-1);
      if (top?.keys !== undefined && top.expectKey) {
        top.expectKey = false;
        const key = keys ? readKey(text.slice(i, end + 1)) : undefined;
        if (key === undefined) keys = false;
        else {
          top.step = key;
          if (key === "__proto__") protoKey = true;
          if (top.keys.has(key)) {
            duplicate ??= {
              code: "duplicate_key",
              detail: `${subject(path())} appears twice`,
              path: path(),
            };
            keys = false;
          }
          top.keys.add(key);
        }
      }
      i = end;
    } else if (c === "{" || c === "[") {
      if (stack.length === MAX_DEPTH) {
        const failure: GuardFailure = {
          code: "too_deep",
          detail: `${subject(path())} is nested deeper than ${MAX_DEPTH} levels`,
          path: path(),
        };
        return { failure, protoKey };
      }
      const isObject = c === "{";
      stack.push({
        keys: isObject ? new Set() : undefined,
        step: isObject ? "" : 0,
        expectKey: isObject,
      });
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack.at(-1);
      if (top?.keys === undefined) {
        if (top !== undefined) top.step = (top.step as number) + 1;
      } else top.expectKey = true;
    }
  }
  return duplicate === undefined ? { protoKey } : { failure: duplicate, protoKey };
}

/** A key as JSON spells it, quotes included, unescaped; undefined when its escapes do not read. */
function readKey(raw: string): string | undefined {
  if (!raw.includes("\\")) return raw.slice(1, -1);
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** The index of the quote that closes the string opening at `start`, or the end of the text. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return Math.min(i, text.length);
}

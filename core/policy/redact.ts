/**
 * Secret redaction for everything that leaves the agent (provider requests, tool output shown to
 * the model, logs): secrets of known shapes (API keys and tokens of OpenAI, Anthropic, GitHub,
 * GitLab, Slack, AWS, Google, Stripe, Telegram bots; JWTs; `Bearer` and `Basic` credentials; PEM
 * private keys; passwords in `password=`, `"password": "…"` and URLs; random values after
 * `api_key=`, `token:`, `secret=`) and the configured secrets themselves, by value: exact, URL-
 * encoded, JSON-escaped, and in base64 (standard and URL-safe, at any alignment inside a longer
 * base64 text), and any piece of one that a command could have made of it: 8 characters of it in
 * a row, reversed, in hex or base64, or spaced out (_fragments.ts). Each becomes
 * `[REDACTED:<kind>]`.
 *
 * Ordinary text stays: words, UUIDs, hashes (a 40-character hex is a git SHA, not a secret),
 * timestamps, code like `token = getToken()`. Configured values shorter than
 * {@link MIN_KNOWN_LENGTH} characters are not searched for: they would garble ordinary text.
 *
 * @module
 */
import { fragmentIndex, fragmentSpans, type Pieces } from "./_fragments.ts";
import { SECRET_SHAPES } from "./_secret_shapes.ts";

/** Configured secrets shorter than this are ignored. */
export const MIN_KNOWN_LENGTH = 6;

/** The marker of configured secrets found by value. */
export const KNOWN_KIND = "configured_secret";

/** Options of {@link SecretRedactor}. */
export interface RedactOptions {
  /** Secret values to find wherever they appear (API keys, tokens from config). */
  readonly known?: readonly string[];
}

/** What a redaction found. */
export interface Redaction {
  readonly text: string;
  /** The kinds found, each once, in the order found. */
  readonly kinds: readonly string[];
}

function marker(kind: string): string {
  return `[REDACTED:${kind}]`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
}

/**
 * The base64 text of `value` at each of the three alignments it can have inside a longer base64
 * text, without the edge characters that depend on the neighbouring bytes.
 */
function base64Forms(value: string): string[] {
  const bytes = new TextEncoder().encode(value);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = base64(padded);
    const head = [0, 2, 3][offset]!;
    const tail = padded.length % 3 === 0 ? 0 : 1;
    const core = encoded.slice(head, encoded.length - tail);
    forms.push(core, core.replaceAll("+", "-").replaceAll("/", "_"));
  }
  return forms;
}

/** Every form in which a configured value may appear. */
function knownForms(value: string): string[] {
  const forms = [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)];
  forms.push(...base64Forms(value).filter((form) => form.length >= 8));
  return forms;
}

/** Finds and replaces secrets; build it once per set of configured secrets. */
export class SecretRedactor {
  readonly #known: RegExp | undefined;
  readonly #pieces: Map<number, Pieces>;

  constructor(options: RedactOptions = {}) {
    const forms = new Set<string>();
    const values: string[] = [];
    for (const value of options.known ?? []) {
      if (typeof value === "string" && value.length >= MIN_KNOWN_LENGTH) {
        values.push(value);
        for (const form of knownForms(value)) forms.add(form);
      }
    }
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.#known = sorted.length ? new RegExp(sorted.map(escapeRegExp).join("|"), "g") : undefined;
    this.#pieces = fragmentIndex(values, base64Forms);
  }

  /** `text` with every piece of a configured secret masked (see _fragments.ts). */
  #maskPieces(text: string, found: (kind: string) => string): string {
    const spans = fragmentSpans(text, this.#pieces);
    if (spans.length === 0) return text;
    let out = "";
    let from = 0;
    for (const [start, end] of spans) {
      out += text.slice(from, start) + found(KNOWN_KIND);
      from = end;
    }
    return out + text.slice(from);
  }

  /** Redacts `text` and says what it found. */
  redact(text: string): Redaction {
    const kinds: string[] = [];
    const found = (kind: string) => {
      if (!kinds.includes(kind)) kinds.push(kind);
      return marker(kind);
    };
    let out = this.#known ? text.replace(this.#known, () => found(KNOWN_KIND)) : text;
    out = this.#maskPieces(out, found);
    for (const shape of SECRET_SHAPES) {
      out = out.replace(shape.regex, (match, ...rest) => {
        const groups = rest.at(-1) as Record<string, string | undefined> | undefined;
        const secret = groups?.secret ?? match;
        if (shape.check && !shape.check(secret)) return match;
        const quote = /^["']/.test(secret) ? secret[0] : "";
        return `${groups?.keep ?? ""}${quote}${found(shape.kind)}${quote}${groups?.tail ?? ""}`;
      });
    }
    return { text: out, kinds };
  }
}

/**
 * `text` with its secrets replaced by `[REDACTED:<kind>]`.
 *
 * @example
 * ```ts
 * import { redactSecrets } from "./redact.ts";
 * redactSecrets("key sk-proj-4f9Q2kLmN8pR7sT1vW3xY5zA", {}); // "key [REDACTED:openai_key]"
 * redactSecrets("the key is hunter22!", { known: ["hunter22!"] }); // "the key is [REDACTED:configured_secret]"
 * ```
 */
export function redactSecrets(text: string, options: RedactOptions | SecretRedactor = {}): string {
  const redactor = options instanceof SecretRedactor ? options : new SecretRedactor(options);
  return redactor.redact(text).text;
}

/**
 * Fuzzing of the policy's pure logic:
 * - random text with planted secrets (every known shape, and configured values raw, URL-encoded,
 *   JSON-escaped and inside longer base64) goes through redaction: no planted secret survives, and
 *   redacting the output again changes nothing;
 * - `decide` gets random, often ill-typed input: it never throws, always answers a known action and
 *   code, and never allows a tier 1-2 call for a tainted turn or a sender it was not told is allowed.
 *
 *   import { fuzzPolicy } from "./tests/fuzz/policy_fuzz.ts";
 *   fuzzPolicy(Math.random, 10_000);
 */
import { decide, DECISION_CODES, SecretRedactor } from "../../core/policy/mod.ts";

type Rng = () => number;

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const ALNUM = LOWER + UPPER + DIGITS;
const B64URL = ALNUM + "-_";
const NOISE = ALNUM + "      \n\t.,;:!?()[]{}<>\"'=/+-_@#$%&*é😀ß";
/** What may stand right before and after a planted secret: never part of a token. */
const DELIMITERS = [" ", "\n", "\t", "(", ")", "<", ">", ",", ";", '"'];

function int(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[int(rng, items.length)]!;
}

function chars(rng: Rng, alphabet: string, n: number): string {
  const list = Array.from(alphabet);
  let out = "";
  for (let i = 0; i < n; i++) out += pick(rng, list);
  return out;
}

function b64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

/** A planted secret: the text to plant, and the part of it that must not survive. */
interface Plant {
  readonly kind: string;
  readonly text: string;
  readonly secret: string;
}

const SHAPES: Record<string, (rng: Rng) => Plant> = {
  openai: (r) => bare("openai", `sk-proj-${chars(r, ALNUM, 20)}7${chars(r, B64URL, 20)}`),
  openai_legacy: (r) => bare("openai_legacy", `sk-${chars(r, ALNUM, 24)}4${chars(r, ALNUM, 23)}`),
  anthropic: (r) => bare("anthropic", `sk-ant-api03-${chars(r, B64URL, 80)}`),
  github: (r) => bare("github", `${pick(r, ["ghp", "gho", "ghs"])}_${chars(r, ALNUM, 36)}`),
  github_pat: (r) => bare("github_pat", `github_pat_${chars(r, ALNUM + "_", 82)}`),
  gitlab: (r) => bare("gitlab", `glpat-${chars(r, B64URL, 20)}`),
  slack: (r) =>
    bare(
      "slack",
      `xox${pick(r, Array.from("baprs"))}-${chars(r, DIGITS, 12)}-${chars(r, ALNUM, 24)}`,
    ),
  aws_access: (r) => bare("aws_access", `AKIA${chars(r, UPPER + DIGITS, 16)}`),
  aws_secret: (r) => context("aws_secret", "aws_secret_access_key = ", chars(r, ALNUM + "/+", 40)),
  google: (r) => bare("google", `AIza${chars(r, B64URL, 35)}`),
  telegram: (r) => bare("telegram", `${chars(r, "123456789", 9)}:AAHx${chars(r, B64URL, 31)}`),
  jwt: (r) =>
    bare(
      "jwt",
      `eyJ${chars(r, B64URL, 20)}.eyJ${chars(r, B64URL, 40)}.${chars(r, B64URL, 43)}`,
    ),
  bearer: (r) => context("bearer", "Authorization: Bearer ", `${chars(r, ALNUM, 30)}9a`),
  pem: (r) => {
    const body = chars(r, ALNUM + "+/", 64) + "\n" + chars(r, ALNUM + "+/", 64);
    const text = `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`;
    return { kind: "pem", text, secret: body };
  },
  password: (r) => context("password", "password=", chars(r, ALNUM + "!@#$%^*", 8 + int(r, 8))),
  password_json: (r) => {
    const value = chars(r, ALNUM + "!#$%^* ", 10);
    return { kind: "password_json", text: `"password": "${value}"`, secret: value };
  },
  api_key: (r) => context("api_key", "api_key=", `${chars(r, ALNUM, 24)}5b`),
  url_password: (r) => {
    const value = chars(r, ALNUM + "!$%*", 12);
    return { kind: "url_password", text: `https://bob:${value}@db.example.com/x`, secret: value };
  },
  stripe: (r) => bare("stripe", `sk_live_${chars(r, ALNUM, 24)}`),
  slack_webhook: (r) =>
    bare(
      "slack_webhook",
      `https://hooks.slack.com/services/T${chars(r, UPPER, 8)}/B${chars(r, UPPER, 8)}/${
        chars(r, ALNUM, 24)
      }`,
    ),
  basic: (r) => {
    const value = b64(new TextEncoder().encode(`bob:${chars(r, ALNUM, 12)}`));
    return context("basic", "Authorization: Basic ", value);
  },
};

function bare(kind: string, secret: string): Plant {
  return { kind, text: secret, secret };
}

function context(kind: string, prefix: string, secret: string): Plant {
  return { kind, text: prefix + secret, secret };
}

/** A configured secret, planted in one of the forms it may travel in. */
function plantKnown(rng: Rng, value: string): Plant {
  const bytes = new TextEncoder().encode(value);
  switch (int(rng, 4)) {
    case 0:
      return { kind: "known", text: value, secret: value };
    case 1:
      return {
        kind: "known_url",
        text: encodeURIComponent(value),
        secret: encodeURIComponent(value),
      };
    case 2: {
      const escaped = JSON.stringify(value);
      return { kind: "known_json", text: escaped, secret: escaped.slice(1, -1) };
    }
    default: {
      // Inside a longer base64 text: only the characters that encode the value's bytes alone.
      const before = new TextEncoder().encode(chars(rng, ALNUM, int(rng, 7)));
      const after = new TextEncoder().encode(chars(rng, ALNUM, int(rng, 7)));
      const encoded = b64(new Uint8Array([...before, ...bytes, ...after]));
      const first = Math.ceil((8 * before.length) / 6);
      const last = Math.floor((8 * (before.length + bytes.length) - 6) / 6);
      return { kind: "known_base64", text: encoded, secret: encoded.slice(first, last + 1) };
    }
  }
}

const TIERS: unknown[] = [0, 1, 2, 3, -1, 1.5, NaN, "2", "0", null, undefined];
const TYPES: unknown[] = ["internal", "external", "", "INTERNAL", undefined, 42];
const TAINTS: unknown[] = ["trusted", "untrusted", "TRUSTED", "", undefined, true];
const BOOLISH: unknown[] = [true, false, "true", 1, undefined, null];

/** Summary of a fuzzing run. */
export interface PolicyFuzzSummary {
  readonly iterations: number;
  readonly planted: Readonly<Record<string, number>>;
  readonly actions: Readonly<Record<string, number>>;
}

function fuzzRedaction(rng: Rng, planted: Record<string, number>): void {
  const known = [chars(rng, NOISE, 8 + int(rng, 24))];
  const plants: Plant[] = [];
  for (let n = 1 + int(rng, 3); n > 0; n--) {
    plants.push(rng() < 0.25 ? plantKnown(rng, known[0]!) : pick(rng, Object.values(SHAPES))(rng));
  }
  let text = chars(rng, NOISE, int(rng, 40));
  for (const plant of plants) {
    text += pick(rng, DELIMITERS) + plant.text + pick(rng, DELIMITERS) +
      chars(rng, NOISE, int(rng, 40));
    planted[plant.kind] = (planted[plant.kind] ?? 0) + 1;
  }
  const redactor = new SecretRedactor({ known });
  const out = redactor.redact(text).text;
  for (const plant of plants) {
    if (out.includes(plant.secret)) {
      throw new Error(`A ${plant.kind} secret survived redaction: ${JSON.stringify(text)}`);
    }
  }
  if (redactor.redact(out).text !== out) {
    throw new Error(`Redaction is not idempotent on ${JSON.stringify(text)}`);
  }
}

function fuzzDecide(rng: Rng, actions: Record<string, number>): void {
  const input: Record<string, unknown> = {
    tool: pick(rng, ["exec", "", chars(rng, NOISE, 80), undefined, 7]),
    tier: pick(rng, TIERS),
    messageType: pick(rng, TYPES),
    channel: pick(rng, ["cli", "telegram", "group", chars(rng, NOISE, 5), undefined]),
    sender: pick(rng, ["me", chars(rng, NOISE, 10), undefined, Symbol("s")]),
    taint: rng() < 0.3 ? "trusted" : pick(rng, TAINTS),
    senderAllowed: rng() < 0.5 ? true : pick(rng, BOOLISH),
    ownerReachable: pick(rng, BOOLISH),
  };
  const arg = rng() < 0.05 ? pick(rng, [null, undefined, 3, "exec", []]) : input;
  const settings = {
    maxAutoTier: pick(rng, [0, 1, 2, NaN]),
    externalMaxTier: pick(rng, [0, 1, 2, -1]),
    owners: rng() < 0.5 ? [] : ["telegram:1"],
  };
  // deno-lint-ignore no-explicit-any
  const decision = decide(arg as any, settings);
  actions[decision.action] = (actions[decision.action] ?? 0) + 1;
  if (!["allow", "deny", "ask"].includes(decision.action)) throw new Error("Unknown action");
  if (!DECISION_CODES.includes(decision.code)) throw new Error(`Unknown code ${decision.code}`);
  if (!decision.reason.startsWith("Policy: ")) throw new Error(`Odd reason ${decision.reason}`);
  if (decision.action === "allow") {
    if (arg !== input || input.senderAllowed !== true) throw new Error("Allowed a stranger");
    if (input.tier !== 0 && input.taint !== "trusted") throw new Error("Allowed a tainted turn");
  }
}

/** Runs `iterations` rounds of both targets; throws on the first broken property. */
export function fuzzPolicy(rng: Rng, iterations: number): PolicyFuzzSummary {
  const planted: Record<string, number> = {};
  const actions: Record<string, number> = {};
  for (let i = 0; i < iterations; i++) {
    fuzzRedaction(rng, planted);
    fuzzDecide(rng, actions);
  }
  return { iterations, planted, actions };
}

/**
 * Fuzzing of the protocol's parsers: golden records, mutated, and random bytes go through
 * `parseEnvelope` and `parseRecord`, which must never throw and must always answer with a value or
 * an error that has a known code and a message.
 *
 *   import { fuzzProtocol } from "./tests/fuzz/protocol_fuzz.ts";
 *   fuzzProtocol(Math.random, 10_000);
 */
import {
  encodeBase64Url,
  ENVELOPE_TYPES,
  PARSE_ERROR_CODES,
  parseEnvelope,
  parseRecord,
  type ProtocolError,
} from "../../core/protocol/mod.ts";

const GOLDEN = new URL("../golden/protocol/", import.meta.url);

let golden: Uint8Array[] | undefined;

/** The value files of the golden set and the signed vectors, read once. */
function goldenValues(): Uint8Array[] {
  golden ??= readGoldenValues();
  return golden;
}

function readGoldenValues(): Uint8Array[] {
  const index = JSON.parse(Deno.readTextFileSync(new URL("index.json", GOLDEN)));
  const values: Uint8Array[] = index.cases.map((c: { file: string }) =>
    Deno.readFileSync(new URL(c.file, GOLDEN))
  );
  const vectors = JSON.parse(Deno.readTextFileSync(new URL("signed/vectors.json", GOLDEN)));
  for (const vector of vectors.vectors) values.push(new TextEncoder().encode(vector.value));
  return values;
}

const TOPICS = [
  "group.g1.requests",
  "group.g1.announce",
  "group.g1.observe.audit",
  "group.g1.requests\n",
  "",
  "..",
];
const KEYS: Array<string | Uint8Array | null> = [
  null,
  "t-1",
  "agent:alice",
  "agent:bob",
  "a\nb",
  new Uint8Array([0xff]),
];
const PROTO_KEY = ['"__proto__":{"a":1},', '"__proto__":null,', '"__proto__":[],'].map((text) =>
  new TextEncoder().encode(text)
);
const SPECIAL = Array.from('{}[]",:\\0123456789-.eE tfn\u00fc', (c) => c.charCodeAt(0));

/** Summary of a fuzzing run. */
export interface FuzzSummary {
  readonly iterations: number;
  readonly accepted: number;
  readonly refused: Readonly<Record<string, number>>;
}

/**
 * Feeds `iterations` mutated golden records and random byte strings to the parsers. Throws an
 * Error naming the input when a parser throws or answers with something malformed.
 */
export function fuzzProtocol(rng: () => number, iterations: number): FuzzSummary {
  const values = goldenValues();
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  const int = (below: number) => Math.floor(rng() * below);
  let accepted = 0;
  const refused: Record<string, number> = {};
  for (let i = 0; i < iterations; i++) {
    const input = mutate(pick(values), { rng, pick, int, values });
    const maxBytes = rng() < 0.1 ? int(400) : undefined;
    const options = maxBytes === undefined ? {} : { maxBytes };
    const results = [
      call(() => parseEnvelope(input, { ...options, source: "fuzz@0:0" }), input),
      call(
        () =>
          parseRecord({
            topic: pick(TOPICS),
            key: pick(KEYS),
            value: input,
            partition: 0,
            offset: i,
          }, options),
        input,
      ),
    ];
    for (const result of results) {
      if (result.ok) {
        if (!(ENVELOPE_TYPES as readonly string[]).includes(result.envelope.type)) {
          fail("an unknown type was accepted", input);
        }
        if (!plain(result.envelope)) fail("a parsed object has a foreign prototype", input);
        accepted++;
      } else {
        check(result.error, input);
        refused[result.error.code] = (refused[result.error.code] ?? 0) + 1;
      }
    }
  }
  return { iterations, accepted, refused };
}

interface Tools {
  rng: () => number;
  pick: <T>(items: readonly T[]) => T;
  int: (below: number) => number;
  values: Uint8Array[];
}

function mutate(seed: Uint8Array, { rng, pick, int, values }: Tools): Uint8Array {
  const bytes = [...seed];
  const rounds = 1 + int(4);
  for (let round = 0; round < rounds; round++) {
    const at = int(bytes.length + 1);
    switch (int(11)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[at % bytes.length]! ^= 1 << int(8);
        break;
      case 1: // insert a random byte
        bytes.splice(at, 0, int(256));
        break;
      case 2: // insert a JSON-ish character
        bytes.splice(at, 0, pick(SPECIAL));
        break;
      case 3: // delete a range
        bytes.splice(at, int(16));
        break;
      case 4: { // duplicate a range, which often duplicates a key
        const length = int(40);
        bytes.splice(at, 0, ...bytes.slice(at, at + length));
        break;
      }
      case 5: { // splice in part of another record
        const other = pick(values);
        const from = int(other.length);
        bytes.splice(at, int(20), ...other.slice(from, from + int(60)));
        break;
      }
      case 6: { // nest the whole value deeper
        const depth = int(40);
        bytes.unshift(...new Array(depth).fill(0x5b));
        bytes.push(...new Array(depth).fill(0x5d));
        break;
      }
      case 7: // truncate
        bytes.length = at;
        break;
      case 8: { // a __proto__ key after an opening brace
        const brace = bytes.indexOf(0x7b, at);
        if (brace >= 0) bytes.splice(brace + 1, 0, ...PROTO_KEY[int(PROTO_KEY.length)]!);
        break;
      }
      case 9: // a flood of open brackets that never closes, perhaps inside a string
        bytes.splice(
          at,
          0,
          ...new Array(33 + int(2000)).fill(0x5b),
          ...(rng() < 0.5 ? [0x22] : []),
        );
        break;
      default: // random bytes instead
        return Uint8Array.from({ length: int(200) }, () => Math.floor(rng() * 256));
    }
  }
  return Uint8Array.from(bytes);
}

/** Whether every object in a parsed value has the plain prototype of its kind. */
function plain(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return true;
  const expected = Array.isArray(value) ? Array.prototype : Object.prototype;
  return Object.getPrototypeOf(value) === expected && Object.values(value).every(plain);
}

function call<T>(parse: () => T, input: Uint8Array): T {
  try {
    return parse();
  } catch (error) {
    return fail(`the parser threw ${error}`, input);
  }
}

function check(error: ProtocolError, input: Uint8Array): void {
  if (!(PARSE_ERROR_CODES as readonly string[]).includes(error.code)) {
    fail(`unknown code ${error.code}`, input);
  }
  if (typeof error.message !== "string" || !error.message.startsWith("Cannot ")) {
    fail("a malformed message", input);
  }
  if (!Array.isArray(error.path)) fail("a path that is not an array", input);
}

function fail(what: string, input: Uint8Array): never {
  throw new Error(`Protocol fuzzing: ${what}; input (base64url): ${encodeBase64Url(input)}`);
}

/**
 * Builders for the leaves of the config schema. Each returns a key ({@link ConfigLeaf}): what the
 * key is for (its type, default, whether it is secret and what it allows, in words for error
 * messages and `kafclaw config env`), and how a value given for it is checked: as the file gives
 * it or as a string from the environment (coercing "18790", "yes", "a,b"). The simple keys are
 * checked here, by hand; a structured key by its zod schema (`_structured.ts`), which is loaded
 * only when one is set. The sections of the schema are plain objects of keys and sections.
 *
 * @module
 */
import type { z } from "zod";
import { toBoolean, toInteger, toJson, toList, toNumber, trim } from "./_coerce.ts";
import { type StructuredSchemas, structuredSchemas } from "./_structured_load.ts";

export { toBoolean, toInteger, toJson, toList, toNumber };

/** The kinds of value a key holds. */
export type LeafType =
  | "string"
  | "integer"
  | "number"
  | "boolean"
  | "enum"
  | "list"
  | "structured";

/** What the schema knows about one key beyond how it is checked. */
export interface LeafMeta {
  readonly type: LeafType;
  /** The value when nothing sets it; `undefined` when the key is simply unset by default. */
  readonly default: unknown;
  /** How documentation shows a default computed at load time (e.g. `$KAFCLAW_HOME/workspace`). */
  readonly defaultText?: string;
  /** A filesystem path: a relative value is taken relative to KAFCLAW_HOME, `~/` to HOME. */
  readonly path: boolean;
  /** Never shown in errors, logs or `config show` without `--reveal`. */
  readonly secret: boolean;
  /** What the key allows, completing "expected …". */
  readonly expected: string;
  /** What one item of a list allows. */
  readonly itemExpected?: string;
  /** A short type for tables: `integer 1..65535`, `signed|open`, `list`. */
  readonly typeText: string;
  readonly description: string;
}

/**
 * One problem with a value: where in it (empty for the value itself, `[2]` for a list's third
 * item). A structured key's problems are zod's issues, which say more.
 */
export interface LeafIssue {
  readonly path: readonly PropertyKey[];
}

/** A value checked: what the key holds, or what is wrong with it. */
export type LeafResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly issues: readonly LeafIssue[] };

/**
 * One key of the schema: what it is for ({@link LeafMeta}) and how a value given for it is
 * checked. The type parameter is the value it holds.
 */
export class ConfigLeaf<T = unknown> {
  readonly meta: LeafMeta;
  readonly #parse: (value: unknown) => LeafResult<T>;

  constructor(parse: (value: unknown) => LeafResult<T>, meta: LeafMeta) {
    this.#parse = parse;
    this.meta = meta;
  }

  /** Checks a value given for this key, coercing a string from the environment. */
  parse(value: unknown): LeafResult<T> {
    return this.#parse(value);
  }
}

/** What a section of the schema holds: keys and sections, by camelCase name. */
export interface ConfigSection {
  readonly [name: string]: ConfigLeaf | ConfigSection;
}

/** The value a key produces. */
type LeafOutput<L> = L extends ConfigLeaf<infer T> ? T : never;

/** The names of a section's keys whose value may be unset. */
type OptionalNames<S> = {
  [K in keyof S]: S[K] extends ConfigLeaf ? undefined extends LeafOutput<S[K]> ? K : never
    : never;
}[keyof S];

/** The values a section produces: every key filled in (or left out when it is unset). */
export type SectionOutput<S> =
  & {
    -readonly [K in Exclude<keyof S, OptionalNames<S>>]: S[K] extends ConfigLeaf ? LeafOutput<S[K]>
      : SectionOutput<S[K]>;
  }
  & { -readonly [K in OptionalNames<S>]?: LeafOutput<S[K]> };

const WHOLE: readonly LeafIssue[] = [{ path: [] }];

function ok<T>(data: T): LeafResult<T> {
  return { success: true, data };
}

function wrong<T>(issues: readonly LeafIssue[] = WHOLE): LeafResult<T> {
  return { success: false, issues };
}

/** Lets `undefined` through: a key that is unset unless configured. */
function optional<T>(parse: (value: unknown) => LeafResult<T>) {
  return (value: unknown): LeafResult<T | undefined> =>
    value === undefined ? ok(undefined) : parse(value);
}

/** A rule on a string beyond being non-empty. */
export interface TextRule {
  /** What the string allows, in words ("a host name or IP address"). */
  readonly expected?: string;
  /** Accepts the (trimmed) string. */
  readonly check?: (value: string) => boolean;
  /** A filesystem path (see {@link LeafMeta.path}). */
  readonly path?: boolean;
  /** How documentation shows a default computed at load time. */
  readonly defaultText?: string;
}

/** A non-empty string once trimmed, that `check` accepts. */
function textParser(check: ((value: string) => boolean) | undefined) {
  return (value: unknown): LeafResult<string> => {
    const text = trim(value);
    if (typeof text !== "string" || text === "" || (check && !check(text))) return wrong();
    return ok(text);
  };
}

function textMeta(rule: TextRule, description: string, secret: boolean, def: unknown): LeafMeta {
  return {
    type: "string",
    default: def,
    ...(rule.defaultText === undefined ? {} : { defaultText: rule.defaultText }),
    path: rule.path ?? false,
    secret,
    expected: rule.expected ?? "a non-empty string",
    typeText: rule.path ? "path" : "string",
    description,
  };
}

/** A string with a default. */
export function text(
  options: TextRule & { readonly default: string; readonly description: string },
): ConfigLeaf<string> {
  return new ConfigLeaf(
    textParser(options.check),
    textMeta(options, options.description, false, options.default),
  );
}

/** A string that is unset unless configured. */
export function optionalText(
  options: TextRule & { readonly description: string },
): ConfigLeaf<string | undefined> {
  return new ConfigLeaf(
    optional(textParser(options.check)),
    textMeta(options, options.description, false, undefined),
  );
}

/** A secret string (a token, key or password), unset unless configured. */
export function secret(options: { readonly description: string }): ConfigLeaf<string | undefined> {
  return new ConfigLeaf(
    optional(textParser(undefined)),
    textMeta({}, options.description, true, undefined),
  );
}

/** Bounds and description of a numeric key. */
export interface NumberOptions {
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

/** A finite number in [min, max] (an integer if `integer`), after `coerce`. */
function numberParser(o: NumberOptions, coerce: (v: unknown) => unknown, integer: boolean) {
  return (value: unknown): LeafResult<number> => {
    const n = coerce(value);
    if (typeof n !== "number" || !Number.isFinite(n) || n < o.min || n > o.max) return wrong();
    return integer && !Number.isSafeInteger(n) ? wrong() : ok(n);
  };
}

/** An integer in [min, max] with a default. */
export function integer(
  options: NumberOptions & { readonly default: number },
): ConfigLeaf<number> {
  return new ConfigLeaf(
    numberParser(options, toInteger, true),
    integerMeta(options, options.default),
  );
}

/** An integer in [min, max], unset unless configured. */
export function optionalInteger(options: NumberOptions): ConfigLeaf<number | undefined> {
  return new ConfigLeaf(
    optional(numberParser(options, toInteger, true)),
    integerMeta(options, undefined),
  );
}

function integerMeta(o: NumberOptions, def: number | undefined): LeafMeta {
  return {
    type: "integer",
    default: def,
    path: false,
    secret: false,
    expected: `an integer from ${o.min} to ${o.max}`,
    typeText: `integer ${o.min}..${o.max}`,
    description: o.description,
  };
}

/** A number in [min, max] with a default. */
export function number(options: NumberOptions & { readonly default: number }): ConfigLeaf<number> {
  return new ConfigLeaf(numberParser(options, toNumber, false), {
    type: "number",
    default: options.default,
    path: false,
    secret: false,
    expected: `a number from ${options.min} to ${options.max}`,
    typeText: `number ${options.min}..${options.max}`,
    description: options.description,
  });
}

/** A boolean with a default. */
export function flag(
  options: { readonly default: boolean; readonly description: string },
): ConfigLeaf<boolean> {
  const parse = (value: unknown): LeafResult<boolean> => {
    const b = toBoolean(value);
    return typeof b === "boolean" ? ok(b) : wrong();
  };
  return new ConfigLeaf(parse, {
    type: "boolean",
    default: options.default,
    path: false,
    secret: false,
    expected: "true or false (or 1/0, yes/no)",
    typeText: "boolean",
    description: options.description,
  });
}

/** One of a fixed set of strings (matched ignoring case), with a default. */
export function oneOf<const V extends readonly [string, ...string[]]>(options: {
  readonly values: V;
  readonly default: V[number];
  readonly description: string;
}): ConfigLeaf<V[number]> {
  const values = options.values;
  const parse = (value: unknown): LeafResult<V[number]> => {
    if (typeof value !== "string") return wrong();
    const wanted = value.trim().toLowerCase();
    const found = values.find((allowed) => allowed.toLowerCase() === wanted);
    return found === undefined ? wrong() : ok(found);
  };
  return new ConfigLeaf(parse, {
    type: "enum",
    default: options.default,
    path: false,
    secret: false,
    expected: `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`,
    typeText: values.join("|"),
    description: options.description,
  });
}

/** A list of strings: a JSON array in the file; a JSON array or comma-separated in the environment. */
export function list(options: {
  readonly default: readonly string[];
  readonly description: string;
  /** What one item allows, in words; default "a non-empty string". */
  readonly item?: string;
  /** The same, for many items; default "non-empty strings". */
  readonly items?: string;
  readonly check?: (value: string) => boolean;
}): ConfigLeaf<string[]> {
  const check = options.check;
  const parse = (value: unknown): LeafResult<string[]> => {
    const items = toList(value);
    if (!Array.isArray(items)) return wrong();
    // Each item as it is (toList trimmed those it could): a string that is not empty.
    const bad = items.flatMap((item, i) =>
      typeof item === "string" && item !== "" && (!check || check(item)) ? [] : [{ path: [i] }]
    );
    return bad.length === 0 ? ok(items as string[]) : wrong(bad);
  };
  return new ConfigLeaf(parse, {
    type: "list",
    default: options.default,
    path: false,
    secret: false,
    expected: `a list of ${
      options.items ?? "non-empty strings"
    } (a JSON array, or comma-separated)`,
    itemExpected: options.item ?? "a non-empty string",
    typeText: "list",
    description: options.description,
  });
}

/**
 * A structured value (a list of objects, a map): JSON in the file, a JSON text in the environment.
 * The inner schema checks every field; an invalid field is reported by its own path
 * (`agents.list[1].model.primary`), with the line of the file it is on. Inner schemas give their
 * rules as error messages in words ("a provider/model name"), which complete "expected …". The
 * schemas must be loaded before such a value is checked (`loadStructuredSchemas`).
 */
export function structured<T extends z.ZodType>(options: {
  /** Picks the inner schema from the loaded structured schemas. */
  readonly schema: (schemas: StructuredSchemas) => T;
  readonly default: z.output<T>;
  readonly description: string;
  /** What the whole value allows, completing "expected …". */
  readonly expected: string;
  /** A short type for tables, e.g. `JSON list`. */
  readonly typeText: string;
}): ConfigLeaf<z.output<T>> {
  let schema: z.ZodType | undefined;
  const parse = (value: unknown): LeafResult<z.output<T>> => {
    const schemas = structuredSchemas();
    if (schemas === undefined) throw new Error("The structured keys' schemas are not loaded");
    schema ??= schemas.fromJson(options.schema(schemas));
    // Parsed once per process: zod's compiled fast path would cost more to build than it saves.
    const result = schema.safeParse(value, { jitless: true });
    return result.success ? ok(result.data as z.output<T>) : wrong(result.error.issues);
  };
  return new ConfigLeaf(parse, {
    type: "structured",
    default: options.default,
    path: false,
    secret: false,
    expected: options.expected,
    typeText: options.typeText,
    description: options.description,
  });
}

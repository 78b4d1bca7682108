/**
 * Builders for the leaves of the config schema. Each returns a key ({@link ConfigLeaf}): what the
 * key is for (its type, default, whether it is secret and what it allows, in words for error
 * messages and `kafclaw config env`), and the zod schema that accepts the value as the file gives
 * it or as a string from the environment (coercing "18790", "yes", "a,b"), built when first
 * needed. The sections of the schema are plain objects of keys and sections.
 *
 * @module
 */
import { z } from "zod";
import { toBoolean, toInteger, toJson, toList, toNumber, trim } from "./_coerce.ts";

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

/** What the schema knows about one key beyond its zod type. */
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
 * One key of the schema: what it is for ({@link LeafMeta}) and the zod schema that validates a
 * value given for it. The zod schema is built the first time it is asked for: a process checks
 * only the keys that the environment or the file sets (most keep their defaults), and building
 * all of them would cost more than everything else a short command does.
 */
export class ConfigLeaf<T extends z.ZodType = z.ZodType> {
  readonly meta: LeafMeta;
  readonly #build: () => T;
  #schema: T | undefined;

  constructor(build: () => T, meta: LeafMeta) {
    this.#build = build;
    this.meta = meta;
  }

  /** The zod schema of a value given for this key (built once). */
  schema(): T {
    return this.#schema ??= this.#build();
  }
}

/** What a section of the schema holds: keys and sections, by camelCase name. */
export interface ConfigSection {
  readonly [name: string]: ConfigLeaf | ConfigSection;
}

/** The value a key produces. */
type LeafOutput<L> = L extends ConfigLeaf<infer T> ? z.output<T> : never;

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

function leaf<T extends z.ZodType>(build: () => T, meta: LeafMeta): ConfigLeaf<T> {
  return new ConfigLeaf(build, meta);
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

function stringSchema(rule: TextRule) {
  const check = rule.check;
  const base = z.string().min(1);
  return z.preprocess(trim, check ? base.refine(check) : base);
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
) {
  return leaf(
    () => stringSchema(options),
    textMeta(options, options.description, false, options.default),
  );
}

/** A string that is unset unless configured. */
export function optionalText(options: TextRule & { readonly description: string }) {
  return leaf(
    () => stringSchema(options).optional(),
    textMeta(options, options.description, false, undefined),
  );
}

/** A secret string (a token, key or password), unset unless configured. */
export function secret(options: { readonly description: string }) {
  return leaf(
    () => stringSchema({}).optional(),
    textMeta({}, options.description, true, undefined),
  );
}

/** Bounds and description of a numeric key. */
export interface NumberOptions {
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

/** An integer in [min, max] with a default. */
export function integer(options: NumberOptions & { readonly default: number }) {
  return leaf(() => integerSchema(options), integerMeta(options, options.default));
}

/** An integer in [min, max], unset unless configured. */
export function optionalInteger(options: NumberOptions) {
  return leaf(() => integerSchema(options).optional(), integerMeta(options, undefined));
}

function integerSchema(o: NumberOptions) {
  return z.preprocess(toInteger, z.number().int().min(o.min).max(o.max));
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
export function number(options: NumberOptions & { readonly default: number }) {
  return leaf(() => z.preprocess(toNumber, z.number().min(options.min).max(options.max)), {
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
export function flag(options: { readonly default: boolean; readonly description: string }) {
  return leaf(() => z.preprocess(toBoolean, z.boolean()), {
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
}) {
  const values = options.values;
  const canonical = (v: unknown): unknown => {
    if (typeof v !== "string") return v;
    const wanted = v.trim().toLowerCase();
    return values.find((allowed) => allowed.toLowerCase() === wanted) ?? v;
  };
  return leaf(() => z.preprocess(canonical, z.enum(values)), {
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
}) {
  const check = options.check;
  const itemExpected = options.item ?? "a non-empty string";
  return leaf(() => {
    const item = z.string().min(1);
    return z.preprocess(toList, z.array(check ? item.refine(check) : item));
  }, {
    type: "list",
    default: options.default,
    path: false,
    secret: false,
    expected: `a list of ${
      options.items ?? "non-empty strings"
    } (a JSON array, or comma-separated)`,
    itemExpected,
    typeText: "list",
    description: options.description,
  });
}

/**
 * A structured value (a list of objects, a map): JSON in the file, a JSON text in the environment.
 * The inner schema checks every field; an invalid field is reported by its own path
 * (`agents.list[1].model.primary`), with the line of the file it is on. Inner schemas give their
 * rules as error messages in words ("a provider/model name"), which complete "expected …".
 */
export function structured<T extends z.ZodType>(options: {
  /** Builds the inner schema (when a value is given for the key). */
  readonly schema: () => T;
  readonly default: z.output<T>;
  readonly description: string;
  /** What the whole value allows, completing "expected …". */
  readonly expected: string;
  /** A short type for tables, e.g. `JSON list`. */
  readonly typeText: string;
}) {
  return leaf(() => z.preprocess(toJson, options.schema()), {
    type: "structured",
    default: options.default,
    path: false,
    secret: false,
    expected: options.expected,
    typeText: options.typeText,
    description: options.description,
  });
}

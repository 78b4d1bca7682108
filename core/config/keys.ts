/**
 * The key table: every leaf of the schema with its dotted key and the environment variable names
 * generated for it. Names are `KAFCLAW_` plus the key path in upper snake case
 * (`group.kafkaBrokers` → `KAFCLAW_GROUP_KAFKA_BROKERS`); each also has a deprecated `MIKROBOT_`
 * twin, and a few keys have aliases. No two keys share a name: building the table throws if they
 * would.
 *
 * @module
 */
import { ConfigLeaf, type ConfigSection, type LeafMeta, type LeafResult } from "./_leaf.ts";
import {
  ENV_ALIASES,
  type EnvAliasSpec,
  type EnvName,
  type EnvNameKind,
  envNamesOf,
  upperSnake,
} from "./_env_names.ts";
import { CONFIG_SCHEMA } from "./schema.ts";

export { ENV_ALIASES, type EnvAliasSpec, type EnvName, type EnvNameKind, upperSnake };

/** One leaf of the configuration. */
export interface ConfigKey extends LeafMeta {
  /** Dotted path, e.g. `group.kafkaBrokers`. */
  readonly key: string;
  readonly segments: readonly string[];
  /** The generated name, e.g. `KAFCLAW_GROUP_KAFKA_BROKERS`. */
  readonly env: string;
  /** Every name that sets this key, highest precedence first (the generated one first). */
  readonly envNames: readonly EnvName[];
  /** Checks a value given for the key (see {@link ConfigLeaf.parse}). */
  readonly parse: (value: unknown) => LeafResult<unknown>;
}

/** A node of the key tree: a section of keys or one key. */
export type KeyNode =
  | {
    readonly kind: "section";
    readonly key: string;
    readonly children: ReadonlyMap<string, KeyNode>;
  }
  | { readonly kind: "leaf"; readonly key: string; readonly spec: ConfigKey };

/** The whole table: keys in schema order, lookups, the tree and every environment name. */
export interface KeyTable {
  readonly keys: readonly ConfigKey[];
  readonly byKey: ReadonlyMap<string, ConfigKey>;
  readonly byEnv: ReadonlyMap<string, ConfigKey>;
  readonly tree: KeyNode & { readonly kind: "section" };
}

/** Environment names that are not keys but are still reserved (no key may generate them). */
export const RESERVED_ENV = ["KAFCLAW_HOME", "KAFCLAW_COMMAND"] as const;

/** Top-level names that ResolvedConfig uses for itself, so no section may take them. */
export const RESERVED_SECTIONS = [
  "home",
  "file",
  "command",
  "sources",
  "warnings",
  "unknownKeys",
] as const;

const SEGMENT = /^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)*$/;
/**
 * Builds the key table of a schema. Throws TypeError when the schema has something that is
 * neither a leaf nor a section, a key that is not plain camelCase, or two keys that would share an
 * environment variable name.
 */
export function describeKeys(
  schema: ConfigSection,
  aliases: readonly EnvAliasSpec[] = [],
): KeyTable {
  const keys: ConfigKey[] = [];
  const tree = walk(schema, [], { keys, aliases });
  for (const name of tree.children.keys()) {
    if ((RESERVED_SECTIONS as readonly string[]).includes(name)) {
      throw new TypeError(`Config schema: "${name}" is reserved and cannot be a section`);
    }
  }
  const byKey = new Map(keys.map((k) => [k.key, k]));
  for (const alias of aliases) {
    if (!byKey.has(alias.key)) {
      throw new TypeError(`Config schema: alias ${alias.name} names no key`);
    }
  }
  const byEnv = new Map<string, ConfigKey>();
  for (const spec of keys) {
    for (const { name } of spec.envNames) {
      if ((RESERVED_ENV as readonly string[]).includes(name)) {
        throw new TypeError(`Config schema: ${spec.key} cannot use the reserved name ${name}`);
      }
      const other = byEnv.get(name);
      if (other) {
        throw new TypeError(
          `Config schema: ${other.key} and ${spec.key} both use the environment variable ${name}`,
        );
      }
      byEnv.set(name, spec);
    }
  }
  return { keys, byKey, byEnv, tree };
}

type Section = KeyNode & { kind: "section" };

interface WalkState {
  readonly keys: ConfigKey[];
  readonly aliases: readonly EnvAliasSpec[];
}

function walk(schema: ConfigSection, path: readonly string[], state: WalkState): Section {
  const children = new Map<string, KeyNode>();
  for (const [name, child] of Object.entries(schema)) {
    const segments = [...path, name];
    const key = segments.join(".");
    if (!SEGMENT.test(name)) throw new TypeError(`Config schema: "${key}" is not a camelCase name`);
    if (child instanceof ConfigLeaf) {
      const envNames = envNamesOf(segments, state.aliases);
      const env = envNames[0]!.name;
      const spec: ConfigKey = {
        ...child.meta,
        key,
        segments,
        env,
        envNames,
        parse: (value) => child.parse(value),
      };
      state.keys.push(spec);
      children.set(name, { kind: "leaf", key, spec });
    } else if (isSection(child)) {
      children.set(name, walk(child, segments, state));
    } else {
      throw new TypeError(`Config schema: "${key}" is neither a key nor a section`);
    }
  }
  return { kind: "section", key: path.join("."), children };
}

/** A plain object of keys and sections (not a zod schema, a list or anything else). */
function isSection(value: unknown): value is ConfigSection {
  return typeof value === "object" && value !== null &&
    Object.getPrototypeOf(value) === Object.prototype;
}

/** The key table of KafClaw's configuration. */
export const KEYS: KeyTable = describeKeys(CONFIG_SCHEMA, ENV_ALIASES);

/**
 * What a dotted path names: a key, an item of a list key, a part of a structured key
 * (`agents.list.0.model`), a section, or nothing known.
 */
export type PathTarget =
  | { readonly kind: "leaf"; readonly spec: ConfigKey }
  | { readonly kind: "item"; readonly spec: ConfigKey; readonly index: number }
  | { readonly kind: "within"; readonly spec: ConfigKey }
  | { readonly kind: "section"; readonly node: KeyNode & { readonly kind: "section" } }
  | { readonly kind: "unknown" };

/** Classifies a dotted path (`channels.telegram.allowFrom.0`) against a key table. */
export function classifyPath(path: string, table: KeyTable = KEYS): PathTarget {
  const segments = path === "" ? [] : path.split(".");
  let node: KeyNode = table.tree;
  for (const [i, segment] of segments.entries()) {
    if (node.kind === "leaf") {
      const rest = segments.length - i;
      if (node.spec.type === "list" && rest === 1 && /^\d+$/.test(segment)) {
        return { kind: "item", spec: node.spec, index: Number(segment) };
      }
      return node.spec.type === "structured" ? { kind: "within", spec: node.spec } : {
        kind: "unknown",
      };
    }
    const child: KeyNode | undefined = node.children.get(segment);
    if (!child) return { kind: "unknown" };
    node = child;
  }
  return node.kind === "leaf" ? { kind: "leaf", spec: node.spec } : { kind: "section", node };
}

/** Every key under a section (or the key itself), in schema order. */
export function keysUnder(node: KeyNode): ConfigKey[] {
  if (node.kind === "leaf") return [node.spec];
  return [...node.children.values()].flatMap(keysUnder);
}

/** One row of `kafclaw config env`. */
export interface EnvVariable {
  readonly name: string;
  /** The key it sets; undefined for KAFCLAW_HOME. */
  readonly key: string | undefined;
  readonly kind: EnvNameKind;
  /** The generated name this one stands in for, when it is an alias. */
  readonly aliasOf?: string;
  readonly type: string;
  /** The default as text: `-` when unset by default. */
  readonly default: string;
  readonly secret: boolean;
  readonly description: string;
}

/** The default of a key as documentation shows it. */
export function defaultText(spec: ConfigKey): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.type === "structured") {
    const empty = Object.keys(spec.default as object).length === 0;
    return empty ? "-" : JSON.stringify(spec.default);
  }
  if (Array.isArray(spec.default)) return spec.default.length === 0 ? "-" : spec.default.join(",");
  return spec.default === undefined ? "-" : String(spec.default);
}

/**
 * Every environment variable configuration reads: KAFCLAW_HOME, the generated name of each key in
 * schema order, then the aliases (short, standard and legacy names), without the `MIKROBOT_` twin
 * that every generated name has unless `twins` is set.
 */
export function envVariables(
  table: KeyTable = KEYS,
  options: { readonly twins?: boolean } = {},
): EnvVariable[] {
  const home: EnvVariable = {
    name: "KAFCLAW_HOME",
    key: undefined,
    kind: "canonical",
    type: "path",
    default: "~/.kafclaw",
    secret: false,
    description: "Where config, timeline.db, sessions/, identity/ and workspace/ live",
  };
  const row = (spec: ConfigKey, name: EnvName): EnvVariable => ({
    name: name.name,
    key: spec.key,
    kind: name.kind,
    ...(name.kind === "canonical" ? {} : { aliasOf: spec.env }),
    type: spec.typeText,
    default: defaultText(spec),
    secret: spec.secret,
    description: spec.description,
  });
  const canonical = table.keys.map((spec) => row(spec, spec.envNames[0]!));
  const aliases = table.keys.flatMap((spec) =>
    spec.envNames
      .filter((n) =>
        n.kind !== "canonical" &&
        (options.twins || n.name !== spec.env.replace(/^KAFCLAW_/, "MIKROBOT_"))
      )
      .map((n) => row(spec, n))
  );
  return [home, ...canonical, ...aliases];
}

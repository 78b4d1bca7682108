/**
 * `config set` and `config unset`: edit config.json in place, keeping every other key (unknown
 * ones included), validate the result (defaults + file; the environment is not part of the file)
 * and write it atomically.
 *
 * @module
 */
import { toList } from "./_leaf.ts";
import { DEFAULT_COMMAND } from "./command.ts";
import { ConfigKeyError } from "./errors.ts";
import { type ConfigFs, readConfigFile, writeConfigFile } from "./file.ts";
import { classifyPath, type ConfigKey } from "./keys.ts";
import { configFile } from "./paths.ts";
import {
  type ConfigFileLayer,
  getAt,
  isPlainObject,
  isUnset,
  type ResolvedConfig,
  resolvePrepared,
} from "./resolve.ts";

/** Options of {@link setConfigValue} and {@link unsetConfigValue}. */
export interface EditOptions {
  readonly fs?: ConfigFs;
  /** The name the errors' suggested commands start with (commandName); `kafclaw` by default. */
  readonly command?: string;
}

/** What `config set` wrote. */
export interface SetResult {
  readonly file: string;
  /** The value now in the file at that path (numbers, booleans and lists as such). */
  readonly value: unknown;
  /** The key set, or the list key of an item; undefined for a section. */
  readonly spec: ConfigKey | undefined;
}

/**
 * Sets a dotted path in `$home/config.json`: a key (`gateway.port`, the value converted as from
 * the environment: "18800" → 18800, "a,b" → a list), an item of a list key
 * (`channels.telegram.allowFrom.0`), or a whole section (the value parsed as JSON). Throws
 * ConfigKeyError for a path that is not a key, ConfigError (its issues' source "assigned") when
 * the value is invalid; the file is then left untouched.
 */
export async function setConfigValue(
  home: string,
  change: { readonly path: string; readonly value: string },
  options: EditOptions = {},
): Promise<SetResult> {
  const { path, value } = change;
  const target = classifyPath(path);
  const command = options.command ?? DEFAULT_COMMAND;
  if (target.kind === "unknown") throw unknownKey(path, command);
  if (target.kind === "within") {
    throw new ConfigKeyError(
      `Cannot set ${path}: ${target.spec.key} is one JSON value; set it whole, e.g. ` +
        `${command} config set ${target.spec.key} '${
          target.spec.typeText === "JSON object" ? "{…}" : "[…]"
        }'`,
    );
  }
  const file = configFile(home);
  const layer = await readConfigFile(file, options);
  const root = structuredClone(layer?.value ?? {}) as Record<string, unknown>;
  const segments = path.split(".");
  if (target.kind === "item") {
    const listPath = target.spec.segments;
    const current = getAt(root, listPath);
    const items = isUnset(current) ? [] : toList(current);
    if (!Array.isArray(items)) {
      throw new ConfigKeyError(`Cannot set ${path}: ${target.spec.key} is not a list in ${file}`);
    }
    if (target.index > items.length) {
      throw new ConfigKeyError(
        `Cannot set ${path}: ${target.spec.key} has ${items.length} items (use index ${items.length} to append)`,
      );
    }
    items[target.index] = value;
    place(root, listPath, items, file);
  } else {
    place(root, segments, target.kind === "leaf" ? value : jsonOrString(value), file);
  }
  const resolved = await validate(home, root, layer, path);
  if (target.kind === "leaf" && !target.spec.path) {
    // Store what the value means: 18800 rather than "18800", true rather than "yes".
    place(root, segments, structuredClone(getAt(resolved, segments)), file);
  }
  await writeConfigFile(file, root, options);
  return {
    file,
    value: getAt(root, segments),
    spec: target.kind === "section" ? undefined : target.spec,
  };
}

/** What `config unset` did. */
export interface UnsetResult {
  readonly file: string;
  /** False when the path was not in the file (nothing was written). */
  readonly removed: boolean;
}

/**
 * Removes a dotted path from `$home/config.json`: a key, a section, a list item, or a key the
 * schema does not know. Empty sections left behind are removed too. Throws ConfigError when the
 * file without it would be invalid.
 */
export async function unsetConfigValue(
  home: string,
  path: string,
  options: EditOptions = {},
): Promise<UnsetResult> {
  const file = configFile(home);
  const layer = await readConfigFile(file, options);
  const root = structuredClone(layer?.value ?? {}) as Record<string, unknown>;
  const segments = path.split(".");
  const parents = segments.slice(0, -1);
  const last = segments[segments.length - 1]!;
  const parent = getAt(root, parents);
  if (getAt(root, segments) === undefined) return { file, removed: false };
  if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete (parent as Record<string, unknown>)[last];
  for (let depth = parents.length; depth > 0; depth--) {
    const section = getAt(root, parents.slice(0, depth));
    if (!isPlainObject(section) || Object.keys(section).length > 0) break;
    delete (getAt(root, parents.slice(0, depth - 1)) as Record<string, unknown>)[
      parents[depth - 1]!
    ];
  }
  await validate(home, root, layer, undefined);
  await writeConfigFile(file, root, options);
  return { file, removed: true };
}

async function validate(
  home: string,
  root: Record<string, unknown>,
  layer: ConfigFileLayer | undefined,
  assigned: string | undefined,
): Promise<ResolvedConfig> {
  const file: ConfigFileLayer = {
    path: configFile(home),
    value: root,
    lines: layer?.lines ?? new Map(),
  };
  return await resolvePrepared({ home, env: {}, file, assigned });
}

function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Puts a value at a path, creating sections; refuses to replace a non-object on the way. */
function place(
  root: Record<string, unknown>,
  segments: readonly string[],
  value: unknown,
  file: string,
): void {
  let node = root;
  for (const [i, segment] of segments.slice(0, -1).entries()) {
    const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (isUnset(next)) node[segment] = {};
    else if (!isPlainObject(next)) {
      const where = segments.slice(0, i + 1).join(".");
      throw new ConfigKeyError(
        `Cannot set ${segments.join(".")}: ${where} is not an object in ${file}`,
      );
    }
    node = node[segment] as Record<string, unknown>;
  }
  node[segments[segments.length - 1]!] = value;
}

/**
 * The message for a dotted path that is not a key, with the command that lists the keys (its name
 * from commandName).
 */
export function unknownKeyMessage(path: string, command: string = DEFAULT_COMMAND): string {
  return `Unknown config key ${JSON.stringify(path)} (run ${command} config env to list the keys)`;
}

function unknownKey(path: string, command: string): ConfigKeyError {
  return new ConfigKeyError(unknownKeyMessage(path, command));
}

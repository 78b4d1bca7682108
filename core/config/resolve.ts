/**
 * Resolution, without I/O: environment > file > defaults, validated by the schema, into one fully
 * filled {@link ResolvedConfig} that records where each value came from.
 *
 * @module
 */
import type { z } from "zod";
import { type JsonSyntaxError, parseJson, pathKey, type PositionedJson } from "./_json.ts";
import { type LeafIssue, toJson } from "./_leaf.ts";
import { loadStructuredSchemas, structuredSchemas } from "./_structured_load.ts";
import { ConfigError, type ConfigIssue, showValue, type ValueSource } from "./errors.ts";
import { commandName } from "./command.ts";
import { type ConfigKey, type KeyNode, KEYS, keysUnder } from "./keys.ts";
import { configFile, type Env, resolvePath, workspaceProblem } from "./paths.ts";
import type { Config } from "./schema.ts";

/** T, read-only all the way down. */
export type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/** What the rest of KafClaw trusts: every key filled in, frozen, with where each value came from. */
export type ResolvedConfig = DeepReadonly<Config> & {
  /** KAFCLAW_HOME, absolute. */
  readonly home: string;
  /** The configuration file (it may not exist). */
  readonly file: string;
  /** The name suggested commands start with (`kafclaw`, or the launcher's path): see command.ts. */
  readonly command: string;
  /** Where each key's value came from, by dotted key. */
  readonly sources: ReadonlyMap<string, ValueSource>;
  /** Keys in the file that the schema does not know; kept in the file, not used. */
  readonly unknownKeys: readonly string[];
  /** Things worth telling the user: unknown keys, deprecated names, a file others can read. */
  readonly warnings: readonly string[];
};

/** A parsed configuration file and the line of each key in it. */
export interface ConfigFileLayer {
  readonly path: string;
  readonly value: Readonly<Record<string, unknown>>;
  /** Line of each value, keyed by the JSON of its path (see parseConfigFile). */
  readonly lines: ReadonlyMap<string, number>;
  /** The file's permission bits, when known. */
  readonly mode?: number | null;
}

/**
 * Parses the text of a configuration file. An empty file is an empty object. Throws ConfigError
 * with the file, line and column when it is not JSON, or not a JSON object.
 */
export function parseConfigFile(
  path: string,
  text: string,
  mode?: number | null,
): ConfigFileLayer {
  const extra = mode === undefined ? {} : { mode };
  if (text.trim() === "") return { path, value: {}, lines: new Map(), ...extra };
  const parsed = parseJsonFile(path, text, "Invalid config: ");
  if (!isPlainObject(parsed.value)) {
    throw new ConfigError(`Invalid config: ${path}: expected a JSON object at the top level`);
  }
  return { path, value: parsed.value, lines: parsed.lines, ...extra };
}

/**
 * The JSON of a file the owner writes, with the line of each value. Throws ConfigError when it is
 * not JSON: `prefix`, then the file, line and column, and why.
 */
export function parseJsonFile(path: string, text: string, prefix: string): PositionedJson {
  try {
    return parseJson(text);
  } catch (error) {
    const e = error as JsonSyntaxError;
    throw new ConfigError(
      `${prefix}${path}:${e.line}:${e.column}: ${e.reason} (the file is not valid JSON)`,
    );
  }
}

/** What {@link resolveConfig} resolves from. */
export interface ResolveOptions {
  /** KAFCLAW_HOME, absolute. */
  readonly home: string;
  /** The environment (never read from the process here). */
  readonly env: Env;
  /** The configuration file, if there is one. */
  readonly file?: ConfigFileLayer | undefined;
  /** A dotted path being assigned by `config set`: its values are reported as "the new value". */
  readonly assigned?: string | undefined;
}

type SectionNode = KeyNode & { readonly kind: "section" };

interface Context {
  readonly options: ResolveOptions;
  readonly sources: Map<string, ValueSource>;
  readonly warnings: string[];
}

/**
 * Resolves the configuration: for each key the first non-empty environment variable of its
 * names, else the file's value (null and "" count as unset), else the default. Throws ConfigError
 * listing every invalid value with its key, masked value, source and what is allowed. A structured
 * key that is set needs its schema loaded first ({@link prepareStructured}; loadConfig does it).
 */
export function resolveConfig(options: ResolveOptions): ResolvedConfig {
  const ctx: Context = { options, sources: new Map(), warnings: [] };
  const input = build(KEYS.tree, options.file?.value, ctx);
  const found: ConfigIssue[] = [];
  const config = check(KEYS.tree, input, input, ctx, found);
  if (found.length > 0) {
    const seen = new Set<string>();
    const issues: ConfigIssue[] = [];
    for (const issue of found) {
      if (!seen.has(issue.key)) issues.push(issue);
      seen.add(issue.key);
    }
    throw ConfigError.of(issues);
  }
  for (const spec of KEYS.keys) {
    const value = getAt(config, spec.segments);
    if (spec.path && typeof value === "string") {
      setAt(config, spec.segments, resolvePath(value, options.home, options.env));
    }
  }
  // An agent's workspace in agents.list is a path like paths.workspace: made absolute here.
  for (const agent of (config.agents as { list: { workspace?: string }[] }).list) {
    if (agent.workspace !== undefined) {
      agent.workspace = resolvePath(agent.workspace, options.home, options.env);
    }
  }
  const misplaced = workspaceIssues(config as unknown as Config, ctx);
  if (misplaced.length > 0) throw ConfigError.of(misplaced);
  const unknownKeys = options.file ? findUnknown(KEYS.tree, options.file.value, []) : [];
  const warnings = [...unknownKeys.map((key) => unknownWarning(key, ctx)), ...ctx.warnings];
  const mode = options.file?.mode;
  if (options.file && typeof mode === "number" && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, "0");
    warnings.push(
      `${options.file.path} can be read by other users (mode ${octal}): run chmod 600 ${options.file.path}`,
    );
  }
  return deepFreeze({
    ...config,
    home: options.home,
    file: configFile(options.home),
    command: commandName(options.env),
    sources: ctx.sources,
    unknownKeys,
    warnings,
  }) as unknown as ResolvedConfig;
}

/**
 * Loads the schemas of the structured keys (`agents.list`, `scheduler.jobs`, …) if the
 * environment or the file sets one, which {@link resolveConfig} then needs; most processes set
 * none, and skip loading zod.
 */
export async function prepareStructured(options: ResolveOptions): Promise<void> {
  if (setsStructured(options)) await loadStructuredSchemas();
}

/** {@link resolveConfig}, after {@link prepareStructured}: whatever keys are set. */
export async function resolvePrepared(options: ResolveOptions): Promise<ResolvedConfig> {
  await prepareStructured(options);
  return resolveConfig(options);
}

/** True when the environment or the file sets a structured key (as {@link pick} takes values). */
export function setsStructured(options: ResolveOptions): boolean {
  const sets = (spec: ConfigKey) =>
    spec.envNames.some(({ name }) => (options.env[name]?.trim() ?? "") !== "") ||
    !isUnset(getAt(options.file?.value, spec.segments));
  return KEYS.keys.some((spec) => spec.type === "structured" && sets(spec));
}

/** The workspaces ({@link workspaceProblem}) that tools could not be let write in. */
function workspaceIssues(config: Config, ctx: Context): ConfigIssue[] {
  const { home } = ctx.options;
  const issues: ConfigIssue[] = [];
  const check = (key: string, workspace: string, source: ValueSource) => {
    const expected = workspaceProblem(workspace, home);
    if (expected !== undefined) {
      issues.push({ key, value: JSON.stringify(workspace), source, expected });
    }
  };
  check("paths.workspace", config.paths.workspace, ctx.sources.get("paths.workspace")!);
  const list = ctx.sources.get("agents.list")!;
  for (const [i, agent] of config.agents.list.entries()) {
    if (agent.workspace === undefined) continue;
    const source = list.kind === "file"
      ? fileSource(["agents", "list", String(i), "workspace"], ctx)
      : list;
    check(`agents.list[${i}].workspace`, agent.workspace, source);
  }
  return issues;
}

function build(section: SectionNode, given: unknown, ctx: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of section.children) {
    const value = isPlainObject(given) && Object.hasOwn(given, name) ? given[name] : undefined;
    if (node.kind === "section") {
      out[name] = isUnset(value) || isPlainObject(value) ? build(node, value, ctx) : value;
    } else {
      const picked = pick(node.spec, value, ctx);
      if (picked !== undefined) out[name] = picked;
    }
  }
  return out;
}

/**
 * The values of a section, each key's checked: a default is taken as it is (every default is
 * valid: a unit test checks each), a value from the environment or the file goes through its
 * key's check, which coerces it ("18790" to 18790). Every problem goes to `issues`, in the
 * schema's order.
 */
function check(
  section: SectionNode,
  given: Record<string, unknown>,
  input: unknown,
  ctx: Context,
  issues: ConfigIssue[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, node] of section.children) {
    if (!Object.hasOwn(given, name)) continue;
    const value = given[name];
    if (node.kind === "section") {
      if (isPlainObject(value)) out[name] = check(node, value, input, ctx, issues);
      else issues.push(sectionIssue(node, input, ctx));
      continue;
    }
    const spec = node.spec;
    if (ctx.sources.get(spec.key)?.kind === "default") {
      out[name] = typeof value === "object" && value !== null ? structuredClone(value) : value;
      continue;
    }
    if (spec.type === "structured" && structuredSchemas() === undefined) {
      throw new Error(
        `Config: ${spec.key} is set, but its schema is not loaded: call prepareStructured first`,
      );
    }
    const result = spec.parse(value);
    if (result.success) {
      out[name] = result.data;
      continue;
    }
    for (const issue of result.issues) issues.push(toIssue(spec, issue, input, ctx));
  }
  return out;
}

function pick(spec: ConfigKey, given: unknown, ctx: Context): unknown {
  for (const { name, kind } of spec.envNames) {
    const raw = ctx.options.env[name];
    if (raw === undefined || raw.trim() === "") continue;
    ctx.sources.set(spec.key, { kind: "env", name });
    if (kind === "legacy") ctx.warnings.push(`${name} is deprecated: use ${spec.env}`);
    return raw;
  }
  if (!isUnset(given)) {
    ctx.sources.set(spec.key, fileSource(spec.segments, ctx));
    return given;
  }
  ctx.sources.set(spec.key, { kind: "default" });
  return spec.default;
}

function fileSource(segments: readonly string[], ctx: Context): ValueSource {
  const { file, assigned } = ctx.options;
  const key = segments.join(".");
  if (assigned !== undefined && (key === assigned || key.startsWith(assigned + "."))) {
    return { kind: "assigned" };
  }
  // Only values read from a file get here, so there is one.
  const path = file!.path;
  const line = file!.lines.get(pathKey(segments));
  return line === undefined ? { kind: "file", path } : { kind: "file", path, line };
}

/** The problem a key's check found in its value (the issue's path is within the value). */
function toIssue(
  spec: ConfigKey,
  issue: LeafIssue,
  input: unknown,
  ctx: Context,
): ConfigIssue {
  const raw = getAt(input, spec.segments);
  const source = ctx.sources.get(spec.key)!;
  // A structured key's issues are zod's.
  if (spec.type === "structured") return structuredIssue(spec, issue as z.core.$ZodIssue, raw, ctx);
  if (issue.path.length > 0 && Array.isArray(raw)) {
    // One item of a list given as a JSON array.
    const segments = [...spec.segments, ...issue.path.map(String)];
    return {
      key: segments.join("."),
      value: showValue(getAt(input, segments), spec.secret),
      source: source.kind === "file" ? fileSource(segments, ctx) : source,
      expected: spec.itemExpected!,
    };
  }
  return { key: spec.key, value: showValue(raw, spec.secret), source, expected: spec.expected };
}

/** A section that is not an object in the file. */
function sectionIssue(section: SectionNode, input: unknown, ctx: Context): ConfigIssue {
  const segments = section.key.split(".");
  return {
    key: section.key,
    value: showValue(getAt(input, segments), keysUnder(section).some((k) => k.secret)),
    source: fileSource(segments, ctx),
    expected: "an object",
  };
}

/** An issue inside a structured value, named by its own path and described by its own rule. */
function structuredIssue(
  spec: ConfigKey,
  zodIssue: z.core.$ZodIssue,
  raw: unknown,
  ctx: Context,
): ConfigIssue {
  const source = ctx.sources.get(spec.key)!;
  let inner = zodIssue.path.map(String);
  let expected = describeZodIssue(zodIssue);
  if (zodIssue.code === "unrecognized_keys") {
    inner = [...inner, zodIssue.keys[0]!];
    expected = "a known field (check its spelling)";
  }
  const whole = inner.length === 0 && (zodIssue.code === "invalid_type" && typeof raw === "string");
  const value = typeof raw === "string" ? toJson(raw) : raw;
  // A field of a shorthand (`"model": "gpt4"` for `{"primary": "gpt4"}`) is named by what was
  // written: the shorthand, its value and its line.
  const parent = getAt(value, inner.slice(0, -1));
  if (inner.length > 0 && getAt(value, inner) === undefined && isWritten(parent)) {
    inner = inner.slice(0, -1);
  }
  return {
    key: spec.key + inner.map(pathPart).join(""),
    value: showValue(getAt(value, inner), false),
    source: source.kind === "file" ? fileSource([...spec.segments, ...inner], ctx) : source,
    expected: whole ? spec.expected : expected,
  };
}

/** A value written as a scalar, where a shorthand stands for an object. */
function isWritten(value: unknown): boolean {
  return value !== undefined && value !== null && typeof value !== "object";
}

/** `[1]` for a list index, `.model` for a name, `["openai/gpt-4o"]` for any other map key. */
function pathPart(segment: string): string {
  if (/^\d+$/.test(segment)) return `[${segment}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  record: "an object",
};

/** What a zod issue inside a structured value allows, completing "expected …". */
export function describeZodIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
    return TYPE_WORDS[issue.expected] ?? issue.expected;
  }
  // A map key that breaks its rule: the key's own rule says what is allowed.
  if (issue.code === "invalid_key") return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

function findUnknown(section: SectionNode, given: unknown, path: readonly string[]): string[] {
  if (!isPlainObject(given)) return [];
  return Object.keys(given).flatMap((name) => {
    const child = section.children.get(name);
    if (!child) return [[...path, name].join(".")];
    return child.kind === "section" ? findUnknown(child, given[name], [...path, name]) : [];
  });
}

function unknownWarning(key: string, ctx: Context): string {
  const source = fileSource(key.split("."), ctx);
  const where = source.kind === "file" && source.line !== undefined
    ? `${source.path}:${source.line}`
    : ctx.options.file!.path;
  return `Unknown config key ${key} (${where}) is kept but not used`;
}

/** null, undefined and "" mean "not set". */
export function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

/** A JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a path of property names and array indices, or undefined. */
export function getAt(root: unknown, segments: readonly string[]): unknown {
  let node = root;
  for (const segment of segments) {
    const found = Array.isArray(node)
      ? /^\d+$/.test(segment) && Number(segment) < node.length
      : isPlainObject(node) && Object.hasOwn(node, segment);
    if (!found) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function setAt(root: Record<string, unknown>, segments: readonly string[], value: unknown): void {
  let node = root;
  for (const segment of segments.slice(0, -1)) node = node[segment] as Record<string, unknown>;
  node[segments[segments.length - 1]!] = value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !(value instanceof Map)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

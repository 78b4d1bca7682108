/**
 * Where a value came from, how values are shown (secrets masked), and the error a caller gets
 * when the configuration cannot be used.
 *
 * @module
 */

/** Where a key's value came from. */
export type ValueSource =
  | { readonly kind: "default" }
  | { readonly kind: "env"; readonly name: string }
  | { readonly kind: "file"; readonly path: string; readonly line?: number }
  | { readonly kind: "assigned" };

/** `KAFCLAW_GATEWAY_PORT`, `/home/a/.kafclaw/config.json:3`, `default`, `the new value`. */
export function describeSource(source: ValueSource): string {
  switch (source.kind) {
    case "default":
      return "default";
    case "env":
      return source.name;
    case "file":
      return source.line === undefined ? source.path : `${source.path}:${source.line}`;
    case "assigned":
      return "the new value";
  }
}

/** What a secret looks like wherever it is shown. */
export const MASK = "****";

/**
 * Masks a secret for display: `****`, or `****` and the last four characters of a long one (20
 * characters or more), enough to tell two tokens apart and too little to use one.
 */
export function maskSecret(value: string): string {
  return value.length >= 20 ? MASK + value.slice(-4) : MASK;
}

const MAX_SHOWN = 80;

/** A value as error messages show it: JSON, cut short, or `****` when secret. */
export function showValue(value: unknown, secret: boolean): string {
  if (value === undefined) return "(unset)";
  if (secret) return MASK;
  const json = JSON.stringify(value);
  return json.length > MAX_SHOWN ? json.slice(0, MAX_SHOWN - 1) + "…" : json;
}

/** One invalid value: which key, the value as shown, where it came from and what is allowed. */
export interface ConfigIssue {
  /** Dotted path of the value (`gateway.port`, `channels.telegram.allowFrom.2`). */
  readonly key: string;
  /** The value as shown in messages: JSON, or `****` for a secret. */
  readonly value: string;
  readonly source: ValueSource;
  /** Completes "expected …": `an integer from 1 to 65535`. */
  readonly expected: string;
}

/** `Invalid config: gateway.port = "abc" (from KAFCLAW_GATEWAY_PORT): expected an integer from 1 to 65535` */
export function formatIssue(issue: ConfigIssue): string {
  return `Invalid config: ${issue.key} = ${issue.value} (from ${describeSource(issue.source)}): ` +
    `expected ${issue.expected}`;
}

/**
 * The configuration cannot be used: a value is invalid, the file is not JSON, or it cannot be
 * read. The message names the key, the masked value, its source and what is allowed, on one
 * line (problems separated by `; `); `issues` has the same facts for programs.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly issues: readonly ConfigIssue[];

  constructor(message: string, issues: readonly ConfigIssue[] = []) {
    super(message);
    this.issues = issues;
  }

  /** One error, on one line, for a list of invalid values. */
  static of(issues: readonly ConfigIssue[]): ConfigError {
    if (issues.length === 1) return new ConfigError(formatIssue(issues[0]!), issues);
    const each = issues.map((issue) => formatIssue(issue).replace(/^Invalid config: /, ""));
    return new ConfigError(`Invalid config (${issues.length} values): ${each.join("; ")}`, issues);
  }
}

/** A path that `config set`/`config unset` cannot edit: no such key, or the file's shape is in the way. */
export class ConfigKeyError extends Error {
  override name = "ConfigKeyError";
}

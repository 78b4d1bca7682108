/**
 * The resolved configuration as people see it: plain values with secrets masked (unless asked to
 * reveal them), each with where it came from.
 *
 * @module
 */
import { describeSource, maskSecret, type ValueSource } from "./errors.ts";
import { type ConfigKey, KEYS } from "./keys.ts";
import { getAt, type ResolvedConfig } from "./resolve.ts";

/** Options of the views. */
export interface ViewOptions {
  /** Show secrets as they are. */
  readonly reveal?: boolean;
}

/** The effective values as a plain JSON object, secrets masked unless `reveal`. */
export function configValues(
  config: ResolvedConfig,
  options: ViewOptions = {},
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of KEYS.keys) {
    const value = shownValue(config, spec, options);
    if (value === undefined) continue;
    let node = out;
    for (const segment of spec.segments.slice(0, -1)) {
      node = (node[segment] ??= {}) as Record<string, unknown>;
    }
    node[spec.segments[spec.segments.length - 1]!] = value;
  }
  return out;
}

/** One key as `config show` lists it. */
export interface KeyView {
  readonly spec: ConfigKey;
  /** The value (masked if secret and not revealed); undefined when unset. */
  readonly value: unknown;
  readonly source: ValueSource;
}

/** Every key (or those under a dotted section path) with its shown value and source. */
export function keyViews(
  config: ResolvedConfig,
  options: ViewOptions & { readonly under?: string } = {},
): KeyView[] {
  const under = options.under;
  return KEYS.keys
    .filter((spec) => under === undefined || spec.key === under || spec.key.startsWith(under + "."))
    .map((spec) => ({
      spec,
      value: shownValue(config, spec, options),
      source: config.sources.get(spec.key)!,
    }));
}

/** `gateway.port = 18800  (from KAFCLAW_GATEWAY_PORT)`; `gateway.tlsCert (not set)`. */
export function formatKeyView(view: KeyView): string {
  if (view.value === undefined) return `${view.spec.key} (not set)`;
  const from = view.source.kind === "default" ? "default" : `from ${describeSource(view.source)}`;
  return `${view.spec.key} = ${JSON.stringify(view.value)}  (${from})`;
}

function shownValue(config: ResolvedConfig, spec: ConfigKey, options: ViewOptions): unknown {
  const value = getAt(config, spec.segments);
  if (spec.secret && !options.reveal && typeof value === "string") return maskSecret(value);
  return value;
}

const SECRET_NAME = /token|secret|password|passwd|apikey|api_key|credential|private/i;

/**
 * A value from the file under a key the schema does not know (kept from another version, say),
 * with strings masked wherever the key's name looks secret (`apiKey`, `token`, `password` …),
 * since nothing else says whether they are.
 */
export function maskUnknown(name: string, value: unknown, options: ViewOptions = {}): unknown {
  if (options.reveal) return value;
  if (typeof value === "string") return SECRET_NAME.test(name) ? maskSecret(value) : value;
  if (Array.isArray(value)) return value.map((item) => maskUnknown(name, item));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, maskUnknown(key, item)]),
    );
  }
  return value;
}

/**
 * The environment variables that set a configuration key, without the schema (no zod): the
 * generated name (`group.kafkaBrokers` → `KAFCLAW_GROUP_KAFKA_BROKERS`), its deprecated
 * `MIKROBOT_` twin and the aliases, in order of precedence. keys.ts builds the key table from it;
 * network.ts and paths.ts read the few keys the launcher narrows permissions by with it
 * ({@link rawSetting}).
 *
 * @module
 */

/** How an environment variable relates to its key, in order of precedence. */
export type EnvNameKind = "canonical" | "alias" | "legacy" | "standard";

/** One environment variable that sets a key. */
export interface EnvName {
  readonly name: string;
  readonly kind: EnvNameKind;
}

/** Extra names for keys, beyond the generated ones. */
export interface EnvAliasSpec {
  readonly key: string;
  readonly name: string;
  readonly kind: Exclude<EnvNameKind, "canonical">;
}

/** The aliases of the real schema: short, legacy and standard names. */
export const ENV_ALIASES: readonly EnvAliasSpec[] = [
  { key: "model.name", name: "KAFCLAW_MODEL", kind: "alias" },
  { key: "group.kafkaBrokers", name: "MIKROBOT_KAFKA_BROKERS", kind: "legacy" },
  { key: "providers.openai.apiKey", name: "OPENAI_API_KEY", kind: "standard" },
  { key: "providers.openai.apiBase", name: "OPENAI_BASE_URL", kind: "standard" },
  // The variables each provider's own tools read its key from.
  { key: "providers.anthropic.apiKey", name: "ANTHROPIC_API_KEY", kind: "standard" },
  { key: "providers.openrouter.apiKey", name: "OPENROUTER_API_KEY", kind: "standard" },
  { key: "providers.groq.apiKey", name: "GROQ_API_KEY", kind: "standard" },
  { key: "providers.deepseek.apiKey", name: "DEEPSEEK_API_KEY", kind: "standard" },
  { key: "providers.gemini.apiKey", name: "GEMINI_API_KEY", kind: "standard" },
  { key: "providers.xai.apiKey", name: "XAI_API_KEY", kind: "standard" },
];

const RANK: Readonly<Record<EnvNameKind, number>> = {
  canonical: 0,
  alias: 1,
  legacy: 2,
  standard: 3,
};

/** `kafkaBrokers` → `KAFKA_BROKERS`. */
export function upperSnake(segment: string): string {
  return segment.replace(/[A-Z]/g, (c) => "_" + c).toUpperCase();
}

/**
 * Every name that sets the key at `segments`, highest precedence first: the generated one, the
 * aliases of `aliases` for it, then its `MIKROBOT_` twin, then standard names.
 *
 * @example
 * ```ts
 * import { envNamesOf } from "./_env_names.ts";
 * const names = envNamesOf(["model", "name"]).map((n) => n.name);
 * console.assert(names.join() === "KAFCLAW_MODEL_NAME,KAFCLAW_MODEL,MIKROBOT_MODEL_NAME");
 * ```
 */
export function envNamesOf(
  segments: readonly string[],
  aliases: readonly EnvAliasSpec[] = ENV_ALIASES,
): EnvName[] {
  const key = segments.join(".");
  const env = "KAFCLAW_" + segments.map(upperSnake).join("_");
  return [
    { name: env, kind: "canonical" as const },
    { name: env.replace(/^KAFCLAW_/, "MIKROBOT_"), kind: "legacy" as const },
    ...aliases.filter((a) => a.key === key).map(({ name, kind }) => ({ name, kind })),
  ].sort((a, b) => RANK[a.kind] - RANK[b.kind]);
}

/**
 * A key's value read without the schema, as resolve.ts picks it: the first non-blank environment
 * variable of its names (trimmed), else config.json's value (`file`, parsed); undefined when
 * neither sets it (null and "" count as unset).
 */
export function rawSetting(
  segments: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  file: unknown,
): unknown {
  for (const { name } of envNamesOf(segments)) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== "") return raw.trim();
  }
  let value = file;
  for (const segment of segments) {
    const found = typeof value === "object" && value !== null && !Array.isArray(value) &&
      Object.hasOwn(value, segment);
    value = found ? (value as Record<string, unknown>)[segment] : undefined;
  }
  return value === null || value === "" ? undefined : value;
}

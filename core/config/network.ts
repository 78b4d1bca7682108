/**
 * Where a gateway listens and what it connects to, read from config.json and the environment
 * without the schema (no zod), so that the launcher can narrow a headless gateway's network to
 * exactly that before main.ts starts (scripts/launch_flags.ts): its two ports on `gateway.host`,
 * the brokers of `group.kafkaBrokers`, the base URL of every provider a configured model names
 * (`model.*`, `agents.list`, `policy.sensitivity`, the embedding model while embedding is on),
 * and the API of every enabled channel (with WhatsApp's media host, Discord's gateway and CDN).
 *
 * Each key is read as resolve.ts reads it: the first non-blank environment variable of its names
 * (_env_names.ts), coerced as its leaf coerces it (_coerce.ts), else the file's value, else the
 * default of {@link NETWORK_DEFAULTS} (a unit test keeps those equal to the schema's). A value the
 * schema would refuse grants nothing: the gateway then stops on it, saying what is wrong.
 *
 * @module
 */
import { toBoolean, toInteger, toJson, toList } from "./_coerce.ts";
import { rawSetting } from "./_env_names.ts";
import { isLoopback, modeHost } from "./mode.ts";
import type { Env } from "./paths.ts";

const providerBase = {
  "providers.openai.apiBase": "https://api.openai.com/v1",
  "providers.openrouter.apiBase": "https://openrouter.ai/api/v1",
  "providers.anthropic.apiBase": "https://api.anthropic.com/v1",
  "providers.ollama.apiBase": "http://127.0.0.1:11434/v1",
  "providers.vllm.apiBase": "http://127.0.0.1:8000/v1",
  "providers.lmstudio.apiBase": "http://127.0.0.1:1234/v1",
  "providers.groq.apiBase": "https://api.groq.com/openai/v1",
  "providers.deepseek.apiBase": "https://api.deepseek.com/v1",
  "providers.xai.apiBase": "https://api.x.ai/v1",
  "providers.gemini.apiBase": "https://generativelanguage.googleapis.com/v1beta/openai",
} as const;

const channels = {
  "channels.telegram.enabled": false,
  "channels.telegram.apiBase": "https://api.telegram.org",
  "channels.telegram.mode": "polling",
  "channels.telegram.webhookHost": "127.0.0.1",
  "channels.telegram.webhookPort": 8443,
  "channels.discord.enabled": false,
  "channels.discord.apiBase": "https://discord.com/api/v10",
  "channels.whatsapp.enabled": false,
  "channels.whatsapp.apiBase": "https://graph.facebook.com",
  "channels.whatsapp.webhookHost": "127.0.0.1",
  "channels.whatsapp.webhookPort": 8444,
} as const;

/** Every key read here, with the default the schema gives it. */
export const NETWORK_DEFAULTS = {
  "gateway.host": "127.0.0.1",
  "gateway.port": 18790,
  "gateway.dashboardPort": 18791,
  "group.kafkaBrokers": [],
  "model.name": "openai/gpt-4o-mini",
  "model.fallbacks": [],
  "agents.list": [],
  "policy.sensitivity": [],
  "memory.embedding.enabled": true,
  "memory.embedding.model": "openai/text-embedding-3-small",
  ...providerBase,
  ...channels,
} as const;

type Key = keyof typeof NETWORK_DEFAULTS;

/** What a gateway's network is narrowed to, as Deno's `--allow-net` takes it (`host:port`). */
export interface GatewayNetwork {
  /** Whether the gateway runs headless: `--mode headless`, or a non-loopback `gateway.host`. */
  readonly headless: boolean;
  /** The API's and the dashboard's address (port 0: any free port). */
  readonly listen: readonly string[];
  /** The brokers, the providers' and the channels' hosts, each once. */
  readonly connect: readonly string[];
}

/**
 * The network of a gateway started with `--mode` `mode` (undefined: decided from config) under
 * `env`, with config.json's parsed value `file`.
 *
 * @example
 * ```ts
 * import { gatewayNetwork } from "./network.ts";
 * const net = gatewayNetwork({
 *   mode: "headless",
 *   env: { KAFCLAW_GROUP_KAFKA_BROKERS: "k1:9092", OPENAI_BASE_URL: "http://10.0.0.5:8080/v1" },
 *   file: { gateway: { host: "0.0.0.0", port: 8000 } },
 * });
 * console.assert(net.headless);
 * console.assert(net.listen.join() === "0.0.0.0:8000,0.0.0.0:18791");
 * console.assert(net.connect.join() === "k1:9092,10.0.0.5:8080");
 * ```
 */
export function gatewayNetwork(
  options: { readonly mode?: string | undefined; readonly env: Env; readonly file: unknown },
): GatewayNetwork {
  const read = (key: Key) => setting(key, options.env, options.file);
  // `--mode headless` with no host set listens on every interface, as the gateway does (mode.ts).
  const set = rawSetting(["gateway", "host"], options.env, options.file) !== undefined;
  const host = modeHost(read("gateway.host"), set, options.mode);
  const text = typeof host === "string" && FLAG_VALUE.test(host) ? host : undefined;
  // A host the schema refuses stops the gateway; until then it counts as exposed (fail closed).
  const headless = options.mode === "headless" || text === undefined || !isLoopback(text);
  const listen = text === undefined
    ? []
    : (["gateway.port", "gateway.dashboardPort"] as const).map((key) => toInteger(read(key)))
      .filter((port): port is number => Number.isInteger(port))
      .map((port) => address(text, port));
  const brokers = listOf(read("group.kafkaBrokers")).filter((b) => BROKER.test(b));
  const hosts = [...providersOf(read), ...channelBases(read)].flatMap((url) => {
    const found = urlAddress(url);
    return found === undefined ? [] : [found];
  });
  if (enabled(read, "whatsapp")) hosts.push(WHATSAPP_MEDIA);
  if (enabled(read, "discord")) hosts.push(...DISCORD_HOSTS);
  return {
    headless,
    listen: [...listen, ...webhookListeners(read)],
    connect: [...new Set([...brokers, ...hosts])],
  };
}

/** Whether chat channel `name` is enabled. */
const enabled = (read: (key: Key) => unknown, name: string) =>
  toBoolean(read(`channels.${name}.enabled` as Key)) === true;

/** The webhook listeners of the enabled channels: WhatsApp's, and Telegram's in webhook mode. */
function webhookListeners(read: (key: Key) => unknown): string[] {
  const names = [
    ...(enabled(read, "telegram") && read("channels.telegram.mode") === "webhook"
      ? ["telegram"]
      : []),
    ...(enabled(read, "whatsapp") ? ["whatsapp"] : []),
  ];
  return names.flatMap((name) => {
    const host = read(`channels.${name}.webhookHost` as Key);
    const port = toInteger(read(`channels.${name}.webhookPort` as Key));
    return typeof host === "string" && FLAG_VALUE.test(host) && Number.isInteger(port)
      ? [address(host, port as number)]
      : [];
  });
}

/** No comma (Deno's flags separate values with it), no control character, no blank. */
const FLAG_VALUE = /^[^,\s\p{Cc}]+$/u;
const BROKER = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;
/** Where WhatsApp's media files are downloaded from (the Graph API names URLs there). */
const WHATSAPP_MEDIA = "lookaside.fbsbx.com:443";
/**
 * Discord's gateway websocket (the REST API's `GET /gateway/bot` names it) and the CDN that serves
 * attachments (channels/discord/attachments.ts).
 */
const DISCORD_HOSTS = ["gateway.discord.gg:443", "cdn.discordapp.com:443"];
const CHANNELS = Object.keys(channels).filter((k) => k.endsWith(".apiBase"))
  .map((k) => k.split(".")[1]!);
const PROVIDER_OF = new Map(
  Object.keys(providerBase).map((key) => [key.split(".")[1]!, key as Key]),
);

/** `host:port`, with an IPv6 host in brackets. */
function address(host: string, port: number): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The `host:port` of an http(s) URL (its scheme's port when it names none), else undefined. */
function urlAddress(value: unknown): string | undefined {
  if (typeof value !== "string" || !URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  const found = `${url.hostname}:${port}`;
  return FLAG_VALUE.test(found) ? found : undefined;
}

/** The base URLs of the providers that the configured models name. */
function providersOf(read: (key: Key) => unknown): unknown[] {
  const refs: unknown[] = [read("model.name"), ...listOf(read("model.fallbacks"))];
  for (const agent of arrayOf(toJson(read("agents.list")))) {
    const model = isObject(agent) ? agent.model : undefined;
    if (isObject(model)) refs.push(model.primary, ...arrayOf(model.fallbacks));
    else refs.push(model);
  }
  for (const rule of arrayOf(toJson(read("policy.sensitivity")))) {
    if (isObject(rule)) refs.push(rule.routeTo);
  }
  if (toBoolean(read("memory.embedding.enabled")) !== false) {
    refs.push(read("memory.embedding.model"));
  }
  const keys = new Set<Key>();
  for (const ref of refs) {
    const key = typeof ref === "string"
      ? PROVIDER_OF.get(ref.slice(0, ref.indexOf("/")))
      : undefined;
    if (key !== undefined) keys.add(key);
  }
  return [...keys].map(read);
}

/** The API base URLs of the enabled channels. */
function channelBases(read: (key: Key) => unknown): unknown[] {
  return CHANNELS.filter((name) => enabled(read, name))
    .map((name) => read(`channels.${name}.apiBase` as Key));
}

/** A key's value: its first non-blank environment variable, else the file's, else the default. */
function setting(key: Key, env: Env, file: unknown): unknown {
  return rawSetting(key.split("."), env, file) ?? NETWORK_DEFAULTS[key];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const arrayOf = (value: unknown): unknown[] => Array.isArray(value) ? value : [];
const listOf = (value: unknown): string[] =>
  arrayOf(toList(value)).filter((item): item is string => typeof item === "string");

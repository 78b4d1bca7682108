/**
 * What kshark connects with: a client.properties file (Java or librdkafka names), a preset, the
 * agent's own config (`--auto`), and `--broker`, resolved once into {@link KsharkSettings}.
 *
 * Later sources win: preset, then the properties file (or the config), then `--broker`.
 *
 * @module
 */
import { redactUrlPasswords } from "./report.ts";

/** A setting kshark cannot use as given; the message names the setting and where it came from. */
export class KsharkSettingsError extends Error {
  override name = "KsharkSettingsError";
}

/** The security protocols Kafka clients name. */
export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";

/** The SASL mechanisms kafkajs speaks. */
export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** Everything the checks need, resolved. */
export interface KsharkSettings {
  readonly brokers: readonly string[];
  readonly securityProtocol: SecurityProtocol;
  readonly sasl?: {
    readonly mechanism: SaslMechanism;
    readonly username: string;
    readonly password: string;
  };
  /** PEM texts read from the files the settings name. */
  readonly tls?: { readonly ca?: string; readonly cert?: string; readonly key?: string };
  readonly schemaRegistryUrl?: string;
  readonly restProxyUrl?: string;
  /** `user:password` for the HTTP services, when configured. */
  readonly httpAuth?: string;
  /** The settings as given, for the report's echo (redacted there). */
  readonly echo: Readonly<Record<string, string>>;
}

/** The presets of `--preset`: defaults that a properties file may override. */
export const PRESETS = {
  plaintext: { "security.protocol": "PLAINTEXT" },
  "self-scram": { "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512" },
  "cc-plain": { "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN" },
} as const satisfies Record<string, Record<string, string>>;

/** A preset's name. */
export type Preset = keyof typeof PRESETS;

/**
 * Parses a Java .properties text: `key=value`, `key: value` or `key value`, `#` and `!` comment
 * lines, a backslash at a line's end continuing it. `where` names the file in errors.
 */
export function parseProperties(text: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!.trimStart();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.trimStart();
    }
    const match = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (!match) {
      if (/^(?:\\.|[^=:\s\\])+$/.test(line)) {
        out[unescape(line)] = "";
        continue;
      }
      throw new KsharkSettingsError(`Cannot read ${where}:${lineNo}: expected key=value`);
    }
    out[unescape(match[1]!)] = unescape(match[2]!.trimEnd());
  }
  return out;
}

function unescape(text: string): string {
  return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return ({ t: "\t", n: "\n", r: "\r", f: "\f" } as Record<string, string>)[c] ?? c;
  });
}

/** Reads a file the settings name; injectable for tests. */
export type ReadText = (path: string) => Promise<string>;

const PROTOCOLS: readonly SecurityProtocol[] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
const MECHANISMS: readonly SaslMechanism[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/** `host:port` with a port 1-65535; an IPv6 host in brackets. */
export function isHostPort(text: string): boolean {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(text);
  return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** A broker list (`host:port[,…]`), checked; `where` names its source in errors. */
export function brokerList(text: string, where: string): string[] {
  const brokers = text.split(",").map((b) => b.trim()).filter((b) => b !== "");
  if (brokers.length === 0) {
    throw new KsharkSettingsError(`Cannot read ${where}: no broker given (host:port[,…])`);
  }
  const bad = brokers.find((b) => !isHostPort(b));
  if (bad !== undefined) {
    throw new KsharkSettingsError(`Cannot read ${where}: "${bad}" is not host:port`);
  }
  return brokers;
}

/** The username and password of a `sasl.jaas.config` line, when it names them. */
function jaasLogin(jaas: string): { username?: string; password?: string } {
  const field = (name: string) =>
    new RegExp(`\\b${name}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`).exec(jaas)?.[1]?.replace(
      /\\(.)/g,
      "$1",
    );
  const username = field("username");
  const password = field("password");
  return {
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
  };
}

/**
 * Resolves properties (preset defaults already merged in) into settings. `where` names the
 * source in errors; `broker` (from `--broker`) replaces `bootstrap.servers`.
 */
export async function resolveSettings(
  props: Readonly<Record<string, string>>,
  options: { where: string; broker?: string; readText?: ReadText },
): Promise<KsharkSettings> {
  const { where } = options;
  const readText = options.readText ?? ((p: string) => Deno.readTextFile(p));
  const echo: Record<string, string> = { ...props };
  if (options.broker !== undefined) echo["bootstrap.servers"] = options.broker;
  const servers = echo["bootstrap.servers"];
  if (servers === undefined) {
    throw new KsharkSettingsError(
      `No brokers to check: give --broker host:port, or bootstrap.servers in ${where}`,
    );
  }
  const brokers = brokerList(
    servers,
    options.broker !== undefined ? "--broker" : `${where} bootstrap.servers`,
  );
  const protocol = (props["security.protocol"] ?? "PLAINTEXT").toUpperCase() as SecurityProtocol;
  if (!PROTOCOLS.includes(protocol)) {
    throw new KsharkSettingsError(
      `Cannot use ${where} security.protocol "${props["security.protocol"]}": expected ` +
        PROTOCOLS.join(", "),
    );
  }
  let sasl: KsharkSettings["sasl"];
  if (protocol.startsWith("SASL_")) {
    const mechanism = (props["sasl.mechanism"] ?? props["sasl.mechanisms"] ?? "PLAIN")
      .toUpperCase() as SaslMechanism;
    if (!MECHANISMS.includes(mechanism)) {
      throw new KsharkSettingsError(
        `Cannot use ${where} sasl.mechanism "${mechanism}": kshark speaks ${MECHANISMS.join(", ")}`,
      );
    }
    const jaas = jaasLogin(props["sasl.jaas.config"] ?? "");
    const username = props["sasl.username"] ?? jaas.username;
    const password = props["sasl.password"] ?? jaas.password;
    if (username === undefined || password === undefined) {
      throw new KsharkSettingsError(
        `${where}: security.protocol ${protocol} needs a login: set sasl.username and ` +
          "sasl.password, or sasl.jaas.config with username and password",
      );
    }
    sasl = { mechanism, username, password };
  }
  let tls: KsharkSettings["tls"];
  if (protocol === "SSL" || protocol === "SASL_SSL") {
    const read = async (...keys: string[]) => {
      const key = keys.find((k) => props[k] !== undefined);
      if (key === undefined) return undefined;
      try {
        return await readText(props[key]!);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new KsharkSettingsError(`Cannot read ${where} ${key} "${props[key]}": ${reason}`);
      }
    };
    if (props["ssl.truststore.location"] !== undefined && props["ssl.ca.location"] === undefined) {
      throw new KsharkSettingsError(
        `${where}: ssl.truststore.location is a Java keystore; give the CA as PEM in ` +
          "ssl.ca.location instead",
      );
    }
    const ca = await read("ssl.ca.location");
    const cert = await read("ssl.certificate.location");
    const key = await read("ssl.key.location");
    if ((cert === undefined) !== (key === undefined)) {
      throw new KsharkSettingsError(
        `${where}: ssl.certificate.location and ssl.key.location go together: set both or neither`,
      );
    }
    tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
  }
  const url = (key: string) => {
    const value = props[key];
    if (value === undefined || value === "") return undefined;
    try {
      const parsed = new URL(value.split(",")[0]!.trim());
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error();
      return parsed.href;
    } catch {
      throw new KsharkSettingsError(
        `Cannot use ${where} ${key} "${redactUrlPasswords(value)}": expected an http(s) URL`,
      );
    }
  };
  const schemaRegistryUrl = url("schema.registry.url");
  const restProxyUrl = url("rest.proxy.url");
  const httpAuth = props["basic.auth.user.info"] ?? props["schema.registry.basic.auth.user.info"];
  return {
    brokers,
    securityProtocol: protocol,
    ...(sasl ? { sasl } : {}),
    ...(tls ? { tls } : {}),
    ...(schemaRegistryUrl ? { schemaRegistryUrl } : {}),
    ...(restProxyUrl ? { restProxyUrl } : {}),
    ...(httpAuth ? { httpAuth } : {}),
    echo,
  };
}

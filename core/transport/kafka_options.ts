/**
 * Turns the group's Kafka settings (core/config) into {@link KafkaTransportOptions}: brokers,
 * SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and TLS with optional CA, client certificate and key.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import type { KafkaTransportOptions } from "./kafka.ts";

/** Reads a PEM file; injectable so the mapping is tested without files. */
export type ReadText = (path: string) => Promise<string>;

/** A setting that cannot work as configured; the message names the key and what to do. */
export class KafkaSettingsError extends Error {
  override name = "KafkaSettingsError";
}

const MECHANISMS = {
  "PLAIN": "plain",
  "SCRAM-SHA-256": "scram-sha-256",
  "SCRAM-SHA-512": "scram-sha-512",
} as const;

/** The transport options for a resolved config. */
export async function kafkaOptionsFromConfig(
  config: ResolvedConfig,
  options: { clientId: string; readText?: ReadText },
): Promise<KafkaTransportOptions> {
  const g = config.group;
  if (g.kafkaBrokers.length === 0) {
    throw new KafkaSettingsError(
      "group.kafkaBrokers is empty: set KAFCLAW_GROUP_KAFKA_BROKERS (host:port, comma-separated)",
    );
  }
  const readText = options.readText ?? ((p: string) => Deno.readTextFile(p));
  const protocol = g.kafkaSecurityProtocol;
  const useTls = protocol === "SSL" || protocol === "SASL_SSL";
  const useSasl = protocol === "SASL_PLAINTEXT" || protocol === "SASL_SSL";
  let ssl: KafkaTransportOptions["ssl"];
  if (useTls) {
    const read = async (key: string, path: string | undefined) => {
      if (!path) return undefined;
      try {
        return await readText(path);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new KafkaSettingsError(`Cannot read ${key} "${path}": ${reason}`);
      }
    };
    const ca = await read("group.kafkaTlsCaFile", g.kafkaTlsCaFile);
    const cert = await read("group.kafkaTlsCertFile", g.kafkaTlsCertFile);
    const key = await read("group.kafkaTlsKeyFile", g.kafkaTlsKeyFile);
    if ((cert === undefined) !== (key === undefined)) {
      throw new KafkaSettingsError(
        "group.kafkaTlsCertFile and group.kafkaTlsKeyFile go together: set both or neither",
      );
    }
    ssl = ca || cert ? { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) } : true;
  }
  let sasl: KafkaTransportOptions["sasl"];
  if (useSasl) {
    if (!g.kafkaSaslUsername || !g.kafkaSaslPassword) {
      throw new KafkaSettingsError(
        `group.kafkaSecurityProtocol is ${protocol}: set group.kafkaSaslUsername and ` +
          "group.kafkaSaslPassword (KAFCLAW_GROUP_KAFKA_SASL_USERNAME, _PASSWORD)",
      );
    }
    sasl = {
      mechanism: MECHANISMS[g.kafkaSaslMechanism],
      username: g.kafkaSaslUsername,
      password: g.kafkaSaslPassword,
    };
  }
  return {
    brokers: [...g.kafkaBrokers],
    clientId: options.clientId,
    command: config.command,
    ...(ssl !== undefined ? { ssl } : {}),
    ...(sasl ? { sasl } : {}),
  };
}

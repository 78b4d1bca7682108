/**
 * `--auto`: the settings from the agent's own config (core/config), through the same mapping the
 * agent's Kafka transport uses (core/transport's kafkaOptionsFromConfig), so kshark checks exactly
 * what the agent would connect with. The only path of kshark that reads KAFCLAW_HOME.
 *
 * @module
 */
import { type Env, loadConfig } from "../core/config/mod.ts";
import { kafkaOptionsFromConfig } from "../core/transport/mod.ts";
import { brokerList, type KsharkSettings, type SaslMechanism } from "./settings.ts";

/** The settings of the config that `env` resolves (KAFCLAW_HOME, KAFCLAW_GROUP_KAFKA_*). */
export async function autoSettings(env: Env, broker?: string): Promise<KsharkSettings> {
  const config = await loadConfig({ env });
  const g = config.group;
  const options = await kafkaOptionsFromConfig(
    broker === undefined
      ? config
      : { ...config, group: { ...g, kafkaBrokers: brokerList(broker, "--broker") } },
    { clientId: "kshark" },
  );
  const echo: Record<string, string> = {
    "bootstrap.servers": options.brokers.join(","),
    "security.protocol": g.kafkaSecurityProtocol,
  };
  if (options.sasl) {
    echo["sasl.mechanism"] = g.kafkaSaslMechanism;
    echo["sasl.username"] = options.sasl.username;
    echo["sasl.password"] = options.sasl.password;
  }
  if (g.kafkaTlsCaFile) echo["ssl.ca.location"] = g.kafkaTlsCaFile;
  if (g.kafkaTlsCertFile) echo["ssl.certificate.location"] = g.kafkaTlsCertFile;
  if (g.kafkaTlsKeyFile) echo["ssl.key.location"] = g.kafkaTlsKeyFile;
  const ssl = options.ssl;
  const pem = typeof ssl === "object" ? ssl : {};
  const text = (v: unknown) => typeof v === "string" ? v : undefined;
  const [ca, cert, key] = [text(pem.ca), text(pem.cert), text(pem.key)];
  return {
    brokers: options.brokers,
    securityProtocol: g.kafkaSecurityProtocol,
    ...(options.sasl
      ? {
        sasl: {
          mechanism: g.kafkaSaslMechanism as SaslMechanism,
          username: options.sasl.username,
          password: options.sasl.password,
        },
      }
      : {}),
    ...(ssl !== undefined
      ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } }
      : {}),
    echo,
  };
}

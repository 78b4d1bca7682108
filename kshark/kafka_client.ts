/**
 * kafkajs's client for kshark: the settings' brokers, TLS and SASL, kshark's timeouts, at most
 * one retry (a diagnosis reports what is wrong; it does not wait it out), and no logging of its
 * own (what went wrong becomes a row).
 *
 * @module
 */
import kafkajs from "kafkajs";
import type { Kafka, SASLOptions } from "kafkajs";
import { dropTimeoutNegativeWarning, type KafkaTransportOptions } from "../core/transport/mod.ts";
import { errorChain } from "../core/errors/mod.ts";
import type { CheckContext } from "./check.ts";

const { Kafka: KafkaClient, logLevel } = kafkajs;

// kafkajs's request queue provokes a warning of Node's own on stderr, which a user must not see.
dropTimeoutNegativeWarning();

/** The settings as core's transport options: what the group checks hand to core. */
export function transportOptions(ctx: CheckContext): KafkaTransportOptions {
  const { settings, timeouts } = ctx;
  const useTls = settings.securityProtocol === "SSL" || settings.securityProtocol === "SASL_SSL";
  const pem = settings.tls ?? {};
  return {
    brokers: [...settings.brokers],
    clientId: "kshark",
    ...(useTls ? { ssl: Object.keys(pem).length > 0 ? { ...pem } : true } : {}),
    ...(settings.sasl
      ? {
        sasl: {
          mechanism: settings.sasl.mechanism.toLowerCase() as "plain",
          username: settings.sasl.username,
          password: settings.sasl.password,
        },
      }
      : {}),
    connectionTimeoutMs: timeouts.kafkaMs,
    requestTimeoutMs: timeouts.kafkaMs,
  };
}

/** A kafkajs client for one run's checks. */
export function ksharkClient(ctx: CheckContext): Kafka {
  const options = transportOptions(ctx);
  return new KafkaClient({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
    ...(options.sasl ? { sasl: options.sasl as SASLOptions } : {}),
    connectionTimeout: ctx.timeouts.kafkaMs,
    requestTimeout: ctx.timeouts.kafkaMs,
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
}

/** Whether kafkajs failed at the SASL login (a wrong password, an unknown user or mechanism). */
export function isSaslFailure(error: unknown): boolean {
  return errorChain(error).some((e) =>
    e.name === "KafkaJSSASLAuthenticationError" ||
    (typeof e.message === "string" && /SASL|authentication/i.test(e.message))
  );
}

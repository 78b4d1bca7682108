/**
 * The one line a user reads when Kafka cannot be reached, whichever command met it: the address,
 * the config key and environment variable it came from, what failed, what to check, and the
 * `kshark` command that checks the path layer by layer. Core's KafkaUnreachableError carries the
 * facts (core/transport unreachable.ts); this file alone words them, for every command, for the
 * gateway's start, and for a running gateway or member that loses Kafka and finds it again.
 *
 * @module
 */
import type {
  KafkaFailure,
  KafkaUnreachableError,
  ReachabilityChange,
} from "../core/transport/mod.ts";

/** Where the brokers are configured, as the CLI and the gateway name it. */
export const BROKERS_KEY = "group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS";

/** What to check for each class of failure. */
const ADVICE: Readonly<Record<KafkaFailure, string>> = {
  refused: "is a broker listening on that port?",
  unresolved: "check the host name",
  timeout: "a firewall, a wrong address or a broker that is down",
  closed: "not a Kafka listener, or one that expects TLS: see group.kafkaSecurityProtocol",
  tls: "check group.kafkaSecurityProtocol and group.kafkaTlsCaFile against the listener",
  sasl: "check group.kafkaSaslUsername, group.kafkaSaslPassword and group.kafkaSaslMechanism",
  other: "",
};

/** The facts of a Kafka failure the line needs (a KafkaUnreachableError has them). */
export type UnreachableFacts = Pick<
  KafkaUnreachableError,
  "brokers" | "address" | "failure" | "reason"
>;

/**
 * The line for `error`, its kshark hint starting with `command` (`kafclaw`, or the launcher's
 * path): `Cannot reach Kafka at 127.0.0.1:1 (group.kafkaBrokers, KAFCLAW_GROUP_KAFKA_BROKERS):
 * connection refused (is a broker listening on that port?); kafclaw kshark --broker 127.0.0.1:1
 * checks the path layer by layer`.
 */
export function unreachableLine(error: UnreachableFacts, command: string): string {
  const configured = error.brokers.join(",");
  const where = error.brokers.includes(error.address) || error.address === configured
    ? `${error.address} (${BROKERS_KEY})`
    : `${error.address}, which the brokers at ${configured} (${BROKERS_KEY}) advertise`;
  // TLS and SASL live in more settings than the address: kshark --auto reads them all.
  const kshark = error.failure === "tls" || error.failure === "sasl"
    ? `${command} kshark --auto`
    : `${command} kshark --broker ${error.address}`;
  const advice = ADVICE[error.failure];
  return `Cannot reach Kafka at ${where}: ${error.reason}` +
    `${advice === "" ? "" : ` (${advice})`}; ${kshark} checks the path layer by layer`;
}

/**
 * What a running gateway or member says when it loses Kafka (the line of {@link unreachableLine},
 * and that it keeps trying) and when Kafka answers again.
 */
export function kafkaNews(change: ReachabilityChange, command: string): string {
  if (change.reachable) return `Kafka at ${change.brokers.join(",")} answers again`;
  return `Lost Kafka, trying again: ${unreachableLine(change.error, command)}`;
}

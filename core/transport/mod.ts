/**
 * The transport layer: the {@link Transport} port and its two implementations, Kafka (kafkajs)
 * and in-process (with a fault mode).
 *
 * The Kafka client is loaded only where a Kafka transport or admin is made: its classes are
 * exported here as types, and {@link loadKafka} imports them (kafka_parts.ts), so everything
 * that enters this folder without talking to Kafka stays free of kafkajs:
 *
 * ```ts ignore
 * const { KafkaTransport } = await loadKafka();
 * const transport = new KafkaTransport({ brokers: ["127.0.0.1:9092"], clientId: "me" });
 * ```
 *
 * @module
 */
export * from "./types.ts";
export { BoundedExecutor } from "./executor.ts";
export { bounded } from "./bounded.ts";
export { type DeadLetter, deadLetterRecord } from "./dead_letter.ts";
export type { LogFn } from "./dispatch.ts";
export { around, byTopic, type HandleOne } from "./handlers.ts";
export { murmur2, partitionForKey } from "./murmur2.ts";
export { decodeRecordKey } from "./record_key.ts";
export {
  type FaultOptions,
  MemoryBroker,
  MemoryTransport,
  type MemoryTransportOptions,
  seededRandom,
} from "./in_process.ts";
export type { KafkaTransport, KafkaTransportOptions, Patience } from "./kafka.ts";
export type { Assignment } from "./assignor.ts";
export { kafkaOptionsFromConfig, KafkaSettingsError, type ReadText } from "./kafka_options.ts";
export type { GroupInfo, KafkaAcl, KafkaAdmin } from "./kafka_admin.ts";
export { topicOffsets, topicOffsetsSince, waitForLeaders } from "./leaders.ts";
export { whereHeld } from "./where_held.ts";
export { type KafkaFailure, KafkaUnreachableError, unreachable } from "./unreachable.ts";
export type { ReachabilityChange } from "./reachability.ts";
export type { RunFolder } from "./run_tag.ts";
export { dropTimeoutNegativeWarning } from "./quiet_warnings.ts";

/** What {@link loadKafka} gives: the Kafka transport, its admin and the round-robin assignor. */
export type KafkaParts = typeof import("./kafka_parts.ts");

/** Loads the parts that hold the Kafka client (kafkajs), once, when Kafka is first used. */
export function loadKafka(): Promise<KafkaParts> {
  return import("./kafka_parts.ts");
}

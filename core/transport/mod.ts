/**
 * The transport layer: the {@link Transport} port and its two implementations, Kafka (kafkajs)
 * and in-process (with a fault mode).
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
export { KafkaTransport, type KafkaTransportOptions } from "./kafka.ts";
export { type Assignment, assignRoundRobin, ROUND_ROBIN, roundRobinAssigner } from "./assignor.ts";
export { kafkaOptionsFromConfig, KafkaSettingsError, type ReadText } from "./kafka_options.ts";
export { type GroupInfo, type KafkaAcl, KafkaAdmin } from "./kafka_admin.ts";
export { topicOffsets, waitForLeaders } from "./leaders.ts";
export { whereHeld } from "./leftover_members.ts";
export type { RunFolder } from "./run_tag.ts";

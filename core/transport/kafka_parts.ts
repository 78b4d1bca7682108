/**
 * The parts of the transport that hold the Kafka client (kafkajs and its codecs): the Kafka
 * {@link KafkaTransport}, the {@link KafkaAdmin} and the round-robin assignor. Loaded on demand
 * through mod.ts's `loadKafka()`, so code that never talks to Kafka (a standalone gateway, the
 * in-process transport, commands that read the store) does not load the client.
 *
 * @module
 */
export { KafkaTransport } from "./kafka.ts";
export { assignRoundRobin, ROUND_ROBIN, roundRobinAssigner } from "./assignor.ts";
export { KafkaAdmin } from "./kafka_admin.ts";

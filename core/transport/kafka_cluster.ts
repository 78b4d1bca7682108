/**
 * A cluster connection of kafkajs's own, for the requests its consumer and admin do not offer: a
 * LeaveGroup naming another member (leftover_members.ts) and a fetch without a consumer group
 * (kafka_fetch.ts). kafkajs hands one to each consumer's partition assigners when the consumer is
 * made; the consumer made here only to receive it never connects.
 *
 * @module
 */
import type { Cluster, Kafka } from "kafkajs";
import { roundRobinAssigner } from "./assignor.ts";

/** A new cluster connection of `kafka`'s (not yet connected). */
function newCluster(kafka: Kafka): Cluster {
  let cluster: Cluster | undefined;
  kafka.consumer({
    groupId: "kafclaw.unused",
    partitionAssigners: [(config) => {
      cluster = config.cluster;
      return roundRobinAssigner(config);
    }],
  });
  if (cluster === undefined) throw new Error("kafkajs did not hand its cluster to the assigner");
  return cluster;
}

/**
 * One cluster connection made when first asked for and kept until {@link SharedCluster.close};
 * one that failed to connect is made again at the next ask.
 */
export class SharedCluster {
  readonly #kafka: Kafka;
  #cluster: Promise<Cluster> | undefined;

  constructor(kafka: Kafka) {
    this.#kafka = kafka;
  }

  /** The connected cluster. */
  get(): Promise<Cluster> {
    this.#cluster ??= (async () => {
      const cluster = newCluster(this.#kafka);
      await cluster.connect();
      return cluster;
    })();
    const pending = this.#cluster;
    pending.catch(() => {
      if (this.#cluster === pending) this.#cluster = undefined;
    });
    return pending;
  }

  async close(): Promise<void> {
    const cluster = this.#cluster;
    this.#cluster = undefined;
    await (await cluster?.catch(() => undefined))?.disconnect().catch(() => {});
  }
}

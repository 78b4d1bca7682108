/**
 * The Kafka protocol checks through kafkajs: the SASL login, the cluster's metadata (brokers,
 * controller, topics, partitions, leaders, under-replicated partitions) and the topics named
 * with `--topic`.
 *
 * @module
 */
import type { Admin, ITopicMetadata } from "kafkajs";
import { errorChain } from "../core/errors/mod.ts";
import { type CheckContext, reason, timed } from "./check.ts";
import { isSaslFailure } from "./kafka_client.ts";

const CONNECT_HINT = "check bootstrap.servers and security.protocol; a broker that answers " +
  "the first connection but not this one advertises an address this machine cannot reach " +
  "(advertised.listeners)";

/** Connects the admin client, which logs in when SASL is configured; true when it did. */
export async function checkLogin(ctx: CheckContext, admin: Admin): Promise<boolean> {
  const sasl = ctx.settings.sasl;
  const target = ctx.settings.brokers.join(",");
  const base = { component: "SASL", target, layer: "L7-Kafka" } as const;
  ctx.starting(sasl ? `SASL login as ${sasl.username}` : "Kafka connection");
  try {
    const { ms } = await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      "the Kafka connection",
      () => admin.connect(),
    );
    ctx.add(
      sasl
        ? {
          ...base,
          status: "OK",
          detail: `logged in as ${sasl.username} with ${sasl.mechanism}`,
          ms,
        }
        : {
          ...base,
          status: "SKIP",
          detail: `security.protocol ${ctx.settings.securityProtocol}: no login`,
        },
    );
    return true;
  } catch (error) {
    if (sasl && isSaslFailure(error)) {
      ctx.add({
        ...base,
        status: "FAIL",
        detail: `login as ${sasl.username} with ${sasl.mechanism} refused: ${reason(error)}`,
        hint: "check sasl.username and sasl.password (or sasl.jaas.config), and that the " +
          "broker enables this sasl.mechanism on this listener",
      });
    } else {
      ctx.add({
        ...base,
        component: sasl ? "SASL" : "Kafka connection",
        status: "FAIL",
        detail: `cannot connect: ${reason(error)}`,
        hint: CONNECT_HINT,
      });
    }
    return false;
  }
}

/** Whether kafkajs failed for a partition without a leader (its retries wrap the cause). */
function isLeaderError(error: unknown): boolean {
  return errorChain(error).some((e) => e.type === "LEADER_NOT_AVAILABLE");
}

/** What to try when the metadata cannot be read. */
function metadataHint(error: unknown, text: string): string {
  if (isLeaderError(error)) {
    return "bring back the brokers that hold the leaderless partitions' replicas " +
      "(kafka-topics.sh --describe --unavailable-partitions lists them)";
  }
  if (/connection|ECONN|ETIMEDOUT|EHOSTUNREACH/i.test(text)) {
    return "a broker the cluster lists does not answer: it is down (the cluster drops it once " +
      "its session expires) or it advertises an address this machine cannot reach " +
      "(advertised.listeners)";
  }
  return "check that the principal may DESCRIBE the cluster and its topics (ACLs)";
}

/** What the metadata check learnt, for the checks after it. */
export interface ClusterFacts {
  readonly brokers: number;
  /** The brokers' node ids, in order. */
  readonly brokerIds: readonly number[];
  readonly topics: ReadonlyMap<string, ITopicMetadata>;
}

/** The cluster's metadata; undefined when it could not be read. */
export async function checkMetadata(
  ctx: CheckContext,
  admin: Admin,
): Promise<ClusterFacts | undefined> {
  const base = {
    component: "Metadata",
    target: ctx.settings.brokers.join(","),
    layer: "L7-Kafka",
  } as const;
  ctx.starting("metadata");
  try {
    const { value, ms } = await timed(
      ctx,
      ctx.timeouts.kafkaMs,
      "the metadata request",
      async () => {
        const cluster = await admin.describeCluster();
        const names = await admin.listTopics();
        const meta = names.length === 0
          ? { topics: [] }
          : await admin.fetchTopicMetadata({ topics: names });
        return { cluster, topics: meta.topics };
      },
    );
    const partitions = value.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, ...p }))
    );
    const leaderless = partitions.filter((p) => p.leader < 0);
    const under = partitions.filter((p) => p.isr.length < p.replicas.length);
    const ids = value.cluster.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    const detail = `${ids.length} broker(s) (${ids.join(", ")}), controller ` +
      `${value.cluster.controller ?? "unknown"}, ${value.topics.length} topic(s), ` +
      `${partitions.length} partition(s), ${leaderless.length} without a leader, ` +
      `${under.length} under-replicated`;
    const list = (ps: typeof partitions) =>
      ps.slice(0, 5).map((p) => `${p.topic}-${p.partitionId}`).join(", ") +
      (ps.length > 5 ? ", …" : "");
    if (leaderless.length > 0) {
      ctx.add({
        ...base,
        status: "FAIL",
        detail: `${detail}: no leader for ${list(leaderless)}`,
        hint: "a partition without a leader takes no writes: bring back the brokers that hold " +
          "its replicas",
        ms,
      });
    } else if (under.length > 0) {
      ctx.add({
        ...base,
        status: "WARN",
        detail: `${detail}: ${list(under)}`,
        hint: "some replicas are behind or down: check the brokers' health and disks",
        ms,
      });
    } else {
      ctx.add({ ...base, status: "OK", detail, ms });
    }
    return {
      brokers: ids.length,
      brokerIds: ids,
      topics: new Map(value.topics.map((t) => [t.name, t])),
    };
  } catch (error) {
    const text = reason(error);
    ctx.add({
      ...base,
      status: "FAIL",
      detail: isLeaderError(error)
        ? `a partition has no leader, so kafkajs refuses the whole metadata: ${text}`
        : `cannot read the metadata: ${text}`,
      hint: metadataHint(error, text),
    });
    return undefined;
  }
}

/** Whether each `--topic` is visible and has a leader for every partition. */
export function checkTopics(
  ctx: CheckContext,
  facts: ClusterFacts,
  topics: readonly string[],
): string[] {
  const usable: string[] = [];
  for (const topic of topics) {
    const base = { component: "Topic", target: topic, layer: "L7-Kafka" } as const;
    const meta = facts.topics.get(topic);
    if (meta === undefined) {
      ctx.add({
        ...base,
        status: "FAIL",
        detail: `${topic} does not exist or is not visible to this principal`,
        hint: `create ${topic}, or grant the principal DESCRIBE on it`,
      });
      continue;
    }
    const leaderless = meta.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
    const rf = meta.partitions[0]?.replicas.length ?? 0;
    const leaders = [...new Set(meta.partitions.map((p) => p.leader))].sort((a, b) => a - b);
    const detail = `${meta.partitions.length} partition(s), replication ${rf}, leaders on ` +
      `broker(s) ${leaders.join(", ")}`;
    if (leaderless.length > 0) {
      ctx.add({
        ...base,
        status: "FAIL",
        detail: `${detail}; no leader for partition(s) ${leaderless.join(", ")}`,
        hint: "bring back the brokers that hold those partitions' replicas",
      });
      continue;
    }
    ctx.add({ ...base, status: "OK", detail });
    usable.push(topic);
  }
  return usable;
}

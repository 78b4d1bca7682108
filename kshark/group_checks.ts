/**
 * `--group <g>`: the KafClaw group's whole topic layout as PROTOCOL.md sets it (core/protocol's
 * specs, judged by core/transport's own start-up check, so kshark and an agent agree on what is
 * wrong), and the state and lag of each of the group's consumer groups (`kafclaw.<g>.*`).
 *
 * @module
 */
import kafkajs, { type Admin } from "kafkajs";
import { parseTopic, topicSpecs } from "../core/protocol/mod.ts";
import { loadKafka, type TopicProblem } from "../core/transport/mod.ts";
import { type CheckContext, reason, timed } from "./check.ts";
import type { ClusterFacts } from "./kafka_checks.ts";
import { transportOptions } from "./kafka_client.ts";

const { ConfigResourceTypes } = kafkajs;

/** The topics the group's layout has: the group-wide ones plus every skill, zone and inbox seen. */
export function groupLayout(group: string, existing: Iterable<string>) {
  const skills = new Set<string>();
  const zones = new Set<string>();
  const agents = new Set<string>();
  for (const name of existing) {
    const info = parseTopic(name);
    if (info?.group !== group) continue;
    if (info.role === "skillRequests") skills.add(info.skill);
    if (info.role === "zone") zones.add(info.zone);
    if (info.role === "inbox") agents.add(info.agent);
  }
  return topicSpecs(group, { skills: [...skills], zones: [...zones], agents: [...agents] });
}

/** One row per topic of the group's layout: OK, or FAIL naming what is missing or wrong. */
export async function checkGroupTopics(
  ctx: CheckContext,
  facts: ClusterFacts,
  group: string,
): Promise<void> {
  const specs = groupLayout(group, facts.topics.keys());
  ctx.starting(`the topics of group ${group}`);
  let problems: TopicProblem[];
  const { KafkaTransport } = await loadKafka();
  const transport = new KafkaTransport(transportOptions(ctx));
  try {
    ({ value: problems } = await timed(
      ctx,
      ctx.timeouts.kafkaMs * 2,
      "checking the group's topics",
      () => transport.verifyTopics(specs),
    ));
  } catch (error) {
    ctx.add({
      component: "Group topics",
      target: group,
      layer: "L7-Kafka",
      status: "FAIL",
      detail: `cannot check the topics of group ${group}: ${reason(error)}`,
      hint: "check that the principal may DESCRIBE the group's topics and their configs (ACLs)",
    });
    return;
  } finally {
    await transport.close().catch(() => {});
  }
  const missing = problems.filter((p) => p.setting === "existence").map((p) => p.topic);
  if (missing.length > 0) {
    ctx.add({
      component: "Group topics",
      target: group,
      layer: "L7-Kafka",
      status: "FAIL",
      detail: `${missing.length} of ${specs.length} topic(s) missing: ${missing.join(", ")}`,
      hint: `create them with kafclaw group init (automatic topic creation is off)`,
    });
  }
  for (const spec of specs) {
    if (missing.includes(spec.name)) continue;
    const mine = problems.filter((p) => p.topic === spec.name);
    const meta = facts.topics.get(spec.name);
    const rf = meta?.partitions[0]?.replicas.length ?? 0;
    const under = meta?.partitions.filter((p) => p.isr.length < p.replicas.length).length ?? 0;
    const shape = `${spec.kind} topic, ${meta?.partitions.length ?? "?"} partition(s) ` +
      `(wants ${spec.partitions}), replication ${rf}`;
    const base = { component: "Group topic", target: spec.name, layer: "L7-Kafka" } as const;
    if (mine.length > 0) {
      ctx.add({
        ...base,
        status: "FAIL",
        detail: `${shape}; ${
          mine.map((p) => `${p.setting} is ${p.actual}, expected ${p.expected}`).join("; ")
        }`,
        hint: mine.map((p) => p.fix).join("; "),
      });
    } else if (under > 0) {
      ctx.add({
        ...base,
        status: "WARN",
        detail: `${shape}; ${under} partition(s) under-replicated`,
        hint: "some replicas are behind or down: check the brokers' health",
      });
    } else {
      ctx.add({ ...base, status: "OK", detail: shape });
    }
  }
}

/** One row per consumer group of the KafClaw group: its state, members and lag. */
export async function checkConsumerGroups(
  ctx: CheckContext,
  admin: Admin,
  group: string,
): Promise<void> {
  const prefix = `kafclaw.${group}.`;
  ctx.starting(`the consumer groups ${prefix}*`);
  try {
    const { value: rows } = await timed(
      ctx,
      ctx.timeouts.kafkaMs * 2,
      "reading consumer groups",
      async () => {
        const ids = (await admin.listGroups()).groups.map((g) => g.groupId)
          .filter((id) => id.startsWith(prefix)).sort();
        if (ids.length === 0) return [];
        const described = (await admin.describeGroups(ids)).groups;
        const out = [];
        for (const g of described) {
          const offsets = await admin.fetchOffsets({ groupId: g.groupId });
          let lag = 0;
          for (const t of offsets) {
            const ends = await admin.fetchTopicOffsets(t.topic);
            for (const p of t.partitions) {
              if (Number(p.offset) < 0) continue;
              const end = ends.find((e) => e.partition === p.partition);
              lag += Math.max(0, Number(end?.high ?? 0) - Number(p.offset));
            }
          }
          out.push({
            id: g.groupId,
            state: g.state,
            members: g.members.length,
            topics: offsets.length,
            lag,
          });
        }
        return out;
      },
    );
    if (rows.length === 0) {
      ctx.add({
        component: "Consumer groups",
        target: `${prefix}*`,
        layer: "L7-Kafka",
        status: "WARN",
        detail: `no consumer group of group ${group}: no agent of it has consumed yet`,
        hint: `start an agent of group ${group} (kafclaw gateway) and run kshark again`,
      });
      return;
    }
    for (const r of rows) {
      const detail = `${r.state}, ${r.members} member(s), lag ${r.lag} over ${r.topics} topic(s)`;
      const idle = r.members === 0 && r.lag > 0;
      ctx.add({
        component: "Consumer group",
        target: r.id,
        layer: "L7-Kafka",
        status: idle ? "WARN" : "OK",
        detail: idle ? `${detail}: records wait and nobody reads them` : detail,
        ...(idle ? { hint: "start the agents that read with this group (kafclaw gateway)" } : {}),
      });
    }
  } catch (error) {
    ctx.add({
      component: "Consumer groups",
      target: `${prefix}*`,
      layer: "L7-Kafka",
      status: "FAIL",
      detail: `cannot read the consumer groups: ${reason(error)}`,
      hint: `check that the principal may DESCRIBE the groups ${prefix}* (ACLs)`,
    });
  }
}

/** The broker setting that holds each new consumer group's first assignment back. */
const JOIN_DELAY = "group.initial.rebalance.delay.ms";

/**
 * Each broker's `group.initial.rebalance.delay.ms`: a new consumer group waits that long before
 * its first assignment, and an agent joins many (a read of the group's topics without running in
 * it, a gateway's start), so anything above 0 is a WARN that says what it costs.
 */
export async function checkJoinDelay(
  ctx: CheckContext,
  facts: ClusterFacts,
  admin: Admin,
): Promise<void> {
  const base = { component: "Join delay", layer: "L7-Kafka" } as const;
  ctx.starting(JOIN_DELAY);
  let delays: { broker: string; ms: number | undefined }[];
  try {
    const { value } = await timed(
      ctx,
      ctx.timeouts.kafkaMs * 2,
      `reading ${JOIN_DELAY}`,
      async () => {
        const { resources } = await admin.describeConfigs({
          includeSynonyms: false,
          resources: facts.brokerIds.map((id) => ({
            type: ConfigResourceTypes.BROKER,
            name: String(id),
            configNames: [JOIN_DELAY],
          })),
        });
        return resources.map((r) => {
          const entry = r.configEntries.find((e) => e.configName === JOIN_DELAY);
          const ms = entry?.configValue == null ? undefined : Number(entry.configValue);
          return { broker: r.resourceName, ms: Number.isFinite(ms) ? ms : undefined };
        });
      },
    );
    delays = value;
  } catch (error) {
    ctx.add({
      ...base,
      target: ctx.settings.brokers.join(","),
      status: "SKIP",
      detail: `cannot read ${JOIN_DELAY}: ${reason(error)}`,
      hint: "the principal may need DESCRIBE_CONFIGS on the cluster (ACLs) for this check",
    });
    return;
  }
  for (const { broker, ms } of delays.sort((a, b) => a.broker.localeCompare(b.broker))) {
    const target = `broker ${broker}`;
    if (ms === undefined) {
      ctx.add({ ...base, target, status: "SKIP", detail: `${JOIN_DELAY} not reported` });
    } else if (ms === 0) {
      ctx.add({ ...base, target, status: "OK", detail: `${JOIN_DELAY}=0: groups start at once` });
    } else {
      ctx.add({
        ...base,
        target,
        status: "WARN",
        detail: `${JOIN_DELAY}=${ms}: each new consumer group waits ${ms} ms for its partitions`,
        hint: "KafClaw joins many groups: `group members`, `zone list`, `group join`, a " +
          "gateway's start and `task submit --wait` each wait this once (a zone's member " +
          "twice, the first time it reads the zone); set it to 0 on brokers that serve KafClaw",
      });
    }
  }
}

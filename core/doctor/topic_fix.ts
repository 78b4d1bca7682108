/**
 * `doctor --fix` for a group's topics: a config of a topic that differs from what the group needs
 * (`retention.ms`, `cleanup.policy`, the other configs of PROTOCOL.md's topic table) is set to it
 * through Kafka's admin API, keeping the topic's other settings, and said. A topic is never
 * created or deleted, and its partitions and replicas are left alone: the checks that follow name
 * those. Bounded in time like the group's check; loaded only when a group is enabled.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { loadKafka, type TopicProblem } from "../transport/mod.ts";
import type { FixResult } from "./fix.ts";
import {
  ALTERABLE,
  doctorKafka,
  doctorTopicSpecs,
  GROUP_TIMEOUT_MS,
  TimedOut,
  within,
} from "./group.ts";

/** The configs to set, by topic, from the problems the check found. */
function changesOf(problems: readonly TopicProblem[]): Map<string, Record<string, string>> {
  const changes = new Map<string, Record<string, string>>();
  for (const p of problems.filter((p) => ALTERABLE(p.setting))) {
    changes.set(p.topic, { ...changes.get(p.topic), [p.setting]: p.expected });
  }
  return changes;
}

/** Sets the group's topic configs that differ from the protocol's; a line for each topic. */
export async function fixGroupTopics(
  config: ResolvedConfig,
  timeoutMs = GROUP_TIMEOUT_MS,
): Promise<FixResult[]> {
  if (!config.group.enabled) return [];
  const brokers = config.group.kafkaBrokers.join(",");
  const kafka = await doctorKafka(config, timeoutMs);
  if ("check" in kafka) return [{ path: brokers, did: kafka.detail, ok: false }];
  const { KafkaAdmin, KafkaTransport } = await loadKafka();
  const transport = new KafkaTransport(kafka.options);
  const admin = new KafkaAdmin(kafka.options);
  const out: FixResult[] = [];
  try {
    const problems = await within(transport.verifyTopics(doctorTopicSpecs(config)), timeoutMs);
    for (const [topic, changes] of changesOf(problems)) {
      try {
        const before = await within(admin.alterTopicConfigs(topic, changes), timeoutMs);
        const did = Object.entries(changes).map(([k, v]) =>
          `${k}=${v} (was ${before[k] ?? "the broker's default"})`
        );
        out.push({ path: topic, did: `set ${did.join(", ")}`, ok: true });
      } catch (error) {
        out.push({ path: topic, did: `cannot set its configs: ${reasonOf(error)}`, ok: false });
      }
    }
  } catch (error) {
    const why = error instanceof TimedOut
      ? `no answer within ${timeoutMs / 1000} s${
        kafka.lastError() ? ` (${kafka.lastError()})` : ""
      }`
      : reasonOf(error);
    out.push({ path: brokers, did: `topics not checked: ${why}`, ok: false });
  } finally {
    await within(Promise.all([transport.close(), admin.close()]), 2000).catch(() => {});
  }
  return out;
}

function reasonOf(error: unknown): string {
  return error instanceof TimedOut ? "no answer in time" : (error as Error).message;
}

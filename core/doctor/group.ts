/**
 * `doctor`'s check of the group, when `group.enabled`: the brokers answer and every topic a
 * member uses is there as the protocol needs (the check an agent makes at start), within a bounded
 * wait, so an unreachable broker or a group never initialised is a failed check with its fix.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { GroupTopicsError, memberTopicOptions, memberTopicSpecs } from "../group/mod.ts";
import {
  kafkaOptionsFromConfig,
  KafkaSettingsError,
  type KafkaTransportOptions,
  KafkaUnreachableError,
  loadKafka,
  type TopicSpec,
} from "../transport/mod.ts";
import type { CheckResult } from "./mod.ts";

/** Whether doctor --fix may set a topic's `setting`: a config, not its existence or layout. */
export const ALTERABLE = (setting: string): boolean =>
  !["existence", "partitions", "replication factor"].includes(setting);

/** How long the brokers have to answer. */
export const GROUP_TIMEOUT_MS = 10_000;

/** The wait that {@link within} gave up. */
export class TimedOut extends Error {}

/** `work` unless it takes longer than `ms`. */
export function within<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimedOut()), ms);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

/** Kafka client options for the doctor's bounded calls, and the last connection error logged. */
export interface DoctorKafka {
  readonly options: KafkaTransportOptions;
  lastError(): string | undefined;
}

/** {@link DoctorKafka} from config; a failed check when its Kafka settings cannot be used. */
export async function doctorKafka(
  config: ResolvedConfig,
  timeoutMs: number,
): Promise<DoctorKafka | CheckResult> {
  let lastError: string | undefined;
  try {
    const options = await kafkaOptionsFromConfig(config, { clientId: "kafclaw-doctor" });
    return {
      options: {
        ...options,
        log: (level, message) => {
          if (level === "error") lastError = message.replace(/^kafkajs [^:]*: /, "");
        },
        connectionTimeoutMs: Math.min(timeoutMs, 5000),
        requestTimeoutMs: timeoutMs,
        // doctor is a command: Kafka out of reach is told in seconds, as the group commands do.
        patience: "command",
      },
      lastError: () => lastError,
    };
  } catch (error) {
    if (!(error instanceof KafkaSettingsError)) throw error;
    return { check: "group", status: "fail", detail: error.message };
  }
}

/** The topics a member of config's group uses, as the protocol makes them. */
export function doctorTopicSpecs(config: ResolvedConfig): TopicSpec[] {
  const g = config.group;
  return memberTopicSpecs(g.name, {
    ...memberTopicOptions(config),
    ...(g.agentId === undefined ? {} : { agentId: g.agentId }),
  });
}

/** The group's brokers and topics; none when the group is not enabled here. */
export async function groupChecks(
  config: ResolvedConfig,
  timeoutMs = GROUP_TIMEOUT_MS,
): Promise<CheckResult[]> {
  const g = config.group;
  if (!g.enabled) return [];
  const brokers = g.kafkaBrokers.join(",");
  const kafka = await doctorKafka(config, timeoutMs);
  if ("check" in kafka) return [kafka];
  const { KafkaTransport } = await loadKafka();
  const transport = new KafkaTransport(kafka.options);
  const specs = doctorTopicSpecs(config);
  const verifying = transport.verifyTopics(specs);
  try {
    const problems = await within(verifying, timeoutMs);
    if (problems.length === 0) {
      return [{
        check: "group",
        status: "ok",
        detail: `group "${g.name}" at ${brokers}: its ${specs.length} topics are there`,
      }];
    }
    return [{
      check: "group",
      status: "fail",
      detail: new GroupTopicsError(g.name, problems, config.command).message,
      hint: problems.some((p) => p.setting === "existence")
        ? `${config.command} group init`
        : problems.every((p) => ALTERABLE(p.setting))
        ? `${config.command} doctor --fix sets them`
        : "fix each topic as said, then run doctor again",
    }];
  } catch (error) {
    const why = error instanceof TimedOut
      ? `no answer within ${timeoutMs / 1000} s${
        kafka.lastError() ? ` (${kafka.lastError()})` : ""
      }`
      : error instanceof KafkaUnreachableError
      ? (error.brokers.includes(error.address) ? "" : `${error.address}: `) + error.reason
      : (error as Error).message;
    return [{
      check: "group",
      status: "fail",
      detail: `the brokers ${brokers} cannot be reached: ${why}`,
      hint: "check group.kafkaBrokers (KAFCLAW_GROUP_KAFKA_BROKERS) and that the brokers run",
    }];
  } finally {
    verifying.catch(() => {}); // A late failure after the time limit is already reported.
    await within(transport.close(), 2000).catch(() => {});
  }
}

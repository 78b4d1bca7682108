/**
 * kafkajs's client as the transport and the admin use it, made in this one place: the
 * connection's patience (a command's few attempts or a service's half minute), kafkajs's logs
 * routed into ours, and its admin, producers and consumers failing with a KafkaUnreachableError
 * when a connection fails (unreachable.ts), whatever call met it, with reachability told to a
 * long-lived client (reachability.ts).
 *
 * @module
 */
import kafkajs from "kafkajs";
import type { Kafka, SASLOptions } from "kafkajs";
import type { KafkaTransportOptions } from "./kafka.ts";
import { Reachability } from "./reachability.ts";
import { unreachable } from "./unreachable.ts";
import { dropTimeoutNegativeWarning } from "./quiet_warnings.ts";

const { Kafka: KafkaClient, logLevel } = kafkajs;

dropTimeoutNegativeWarning();

/**
 * kafkajs's connection timeout and retries for each patience. A command's retries wait some
 * 0.3 + 0.6 + 1.2 + 2 s between 5 attempts, so a refused, unresolved or closed connection is told
 * within about 5 s; a service's wait some 30 s over 9 attempts.
 */
const PATIENCE = {
  command: {
    connectionTimeout: 3000,
    retry: { retries: 4, initialRetryTime: 300, maxRetryTime: 2000 },
  },
  service: {
    connectionTimeout: 5000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 10000 },
  },
} as const;

/**
 * The calls whose answer shows that Kafka is reachable: each asks a broker (a fetch or a commit
 * with nothing to do may answer without one).
 */
const ANSWERED = new Set([
  "connect",
  "send",
  "sendBatch",
  "listTopics",
  "fetchTopicMetadata",
  "describeGroups",
  "fetchOffsets",
]);

/**
 * Builds kafkajs's client from our options. Its admin, producers and consumers fail with a
 * KafkaUnreachableError when a connection fails, and tell `options.onReachability` when Kafka is
 * lost and when it is back.
 */
export function kafkaClient(options: KafkaTransportOptions): Kafka {
  const kafka = kafkajsClient(options);
  const brokers = [...options.brokers];
  const reach = options.onReachability && new Reachability(brokers, options.onReachability);
  const admin = kafka.admin.bind(kafka);
  const producer = kafka.producer.bind(kafka);
  const consumer = kafka.consumer.bind(kafka);
  return Object.assign(kafka, {
    admin: (...args: Parameters<Kafka["admin"]>) =>
      failingClearly(oneAtATime(admin(...args), TOPIC_METADATA), brokers, reach),
    producer: (...args: Parameters<Kafka["producer"]>) =>
      failingClearly(producer(...args), brokers, reach),
    consumer: (...args: Parameters<Kafka["consumer"]>) => {
      const made = consumer(...args);
      if (reach) {
        // A consumer fails in the background: it crashes when its retries run out (and kafkajs
        // restarts it), its failure begun after its last answered fetch or heartbeat.
        let fine = performance.now();
        const answered = () => void (fine = performance.now());
        made.on(made.events.FETCH, answered);
        made.on(made.events.HEARTBEAT, answered);
        made.on(made.events.CRASH, ({ payload }) => {
          const error = unreachable(payload.error, brokers);
          if (error) reach.lost(error, fine);
        });
      }
      return failingClearly(made, brokers, reach);
    },
  });
}

/**
 * The admin's calls that add their topics to the metadata of its cluster, which all its calls
 * share: two at once can each refresh it for a set of topics without the other's, and kafkajs then
 * finds no partitions for a topic it was asked about (a TypeError, "Cannot destructure property
 * 'partitions' of 'low.pop(...)'", seen when two reads of a group's topics began together).
 */
const TOPIC_METADATA = new Set([
  "fetchTopicMetadata",
  "fetchTopicOffsets",
  "fetchTopicOffsetsByTimestamp",
]);

/** `client`, whose `methods` run one at a time, each after the one called before it has ended. */
function oneAtATime<T extends object>(client: T, methods: ReadonlySet<string>): T {
  let last: Promise<unknown> = Promise.resolve();
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || !methods.has(property as string)) return value;
      return (...args: unknown[]) => {
        const turn = last.then(() => value.apply(target, args));
        last = turn.catch(() => {});
        return turn;
      };
    },
  });
}

/**
 * `client`, whose calls that return a promise reject with a KafkaUnreachableError for a failed
 * connection; `reach` hears of those and of answered calls.
 */
function failingClearly<T extends object>(
  client: T,
  brokers: readonly string[],
  reach: Reachability | undefined,
): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const answers = reach !== undefined && ANSWERED.has(property as string);
      return (...args: unknown[]) => {
        const started = performance.now();
        const out = value.apply(target, args);
        if (!(out instanceof Promise)) return out;
        return out.then((result) => {
          if (answers) reach.reached();
          return result;
        }, (error: unknown) => {
          const clear = unreachable(error, brokers);
          if (clear) reach?.lost(clear, started);
          throw clear ?? error;
        });
      };
    },
  });
}

function kafkajsClient(options: KafkaTransportOptions): Kafka {
  const log = options.log ?? (() => {});
  const patience = PATIENCE[options.patience ?? "service"];
  const sasl = options.sasl
    ? {
      mechanism: options.sasl.mechanism,
      username: options.sasl.username,
      password: options.sasl.password,
    } as SASLOptions
    : undefined;
  return new KafkaClient({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(options.ssl !== undefined ? { ssl: options.ssl } : {}),
    ...(sasl ? { sasl } : {}),
    connectionTimeout: options.connectionTimeoutMs ?? patience.connectionTimeout,
    requestTimeout: options.requestTimeoutMs ?? 30000,
    retry: { ...patience.retry },
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }) => {
      const lvl = level <= logLevel.ERROR ? "error" : level === logLevel.WARN ? "warn" : "debug";
      log(lvl, `kafkajs ${entry.logger ?? ""}: ${entry.message}`);
    },
  });
}

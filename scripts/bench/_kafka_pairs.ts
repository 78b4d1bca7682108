/**
 * Request/response pairs for the Kafka transport bench: one through two KafkaTransports (a
 * requester and a worker, envelopes parsed on both sides), one through raw kafkajs with the same
 * values. Each waits for its consumers to hold their partitions before it is used.
 */
import kafkajs from "kafkajs";
import { parseRecord } from "../../core/protocol/mod.ts";
import { loadKafka, type Subscription } from "../../core/transport/mod.ts";
import { Child } from "../../tests/_support/child.ts";
import type { Steps } from "./_steps.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const root = new URL("../../", import.meta.url).pathname;
const quiet = { logLevel: kafkajs.logLevel.NOTHING };

/** The running broker: KAFCLAW_TEST_BROKERS, or the one `scripts/kafka start` runs. */
export async function brokersForBench(): Promise<string[] | undefined> {
  const env = Deno.env.get("KAFCLAW_TEST_BROKERS");
  if (env) return env.split(",");
  const run = (arg: string) =>
    new Deno.Command(`${root}scripts/kafka`, { args: [arg], stdout: "piped", stderr: "null" })
      .output();
  if (!(await run("status")).success) return undefined;
  const out = await run("bootstrap");
  const line = new TextDecoder().decode(out.stdout).trim();
  return out.success && line ? line.split(",") : undefined;
}

/** What a bench that needs a broker says when there is none. */
export function noBroker(bench: string): string {
  return `${bench}: no broker (start one with scripts/kafka start, or set ` +
    "KAFCLAW_TEST_BROKERS); nothing measured";
}

/** A fresh group name and its two task topics, created with one partition each. */
export async function taskTopics(brokers: string[], partitions = 1) {
  const group = `bench-${crypto.randomUUID().slice(0, 8)}`;
  const topics = { requests: `group.${group}.requests`, responses: `group.${group}.responses` };
  // The transport's creation waits for leaders the way a KRaft broker needs.
  const admin = new KafkaTransport({ brokers, clientId: "bench-admin" });
  await admin.createTopics(
    Object.values(topics).map((name) => ({ name, partitions, replicationFactor: 1, config: {} })),
  );
  await admin.close();
  return { group, ...topics };
}

/** A request envelope for task `id`, as JSON text. */
export function requestValue(id: string, sender = "requester"): string {
  return JSON.stringify({
    type: "request",
    protocol: "kafclaw/1",
    correlation_id: id,
    sender_id: sender,
    timestamp: new Date().toISOString(),
    payload: {
      task_id: id,
      attempt: 1,
      description: "bench",
      content: "What is the answer?",
      requester_id: sender,
      delegation: { depth: 0, chain: [] },
      original_requester_id: sender,
      arbiter: "none",
    },
  });
}

/** The response envelope to task `id`, as JSON text. */
export function responseValue(id: string): string {
  return JSON.stringify({
    type: "response",
    protocol: "kafclaw/1",
    correlation_id: id,
    sender_id: "worker",
    timestamp: new Date().toISOString(),
    payload: {
      task_id: id,
      attempt: 1,
      responder_id: "worker",
      content: "42",
      status: "completed",
    },
  });
}

/** Waiters for responses by key. */
class Pending {
  /** Keys are unique in the process (not `t-`, the group layer's task ids), for the steps. */
  static #next = 0;
  readonly #waiting = new Map<string, () => void>();
  key(): string {
    return `r-${Pending.#next++}`;
  }
  wait(key: string): Promise<void> {
    return new Promise((resolve) => this.#waiting.set(key, resolve));
  }
  done(key: string | null | undefined): void {
    if (!key) return;
    this.#waiting.get(key)?.();
    this.#waiting.delete(key);
  }
}

async function joined(consumer: kafkajs.Consumer): Promise<void> {
  await new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
}

/** How a {@link RawPingPong} is set up. */
export interface RawOptions {
  /** Whether its consumers commit what they read. */
  readonly commits: boolean;
  /**
   * Each round trip's steps are marked there under the names the group layer's steps have
   * (_steps.ts: each side's produce start and acknowledgement, each record received), so that
   * the step tables compare hop by hop.
   */
  readonly steps?: Steps;
  /**
   * What the worker does before it answers each request: an agent's turn, for a minimal Kafka
   * integration of the same agent (default: nothing, it answers at once).
   */
  readonly turn?: () => Promise<void>;
  /** Where the worker runs: this process (default) or one of its own (no `turn`, no steps). */
  readonly worker?: "here" | "apart";
}

/** The raw ping-pong's producers: one request in flight, idempotent, as the transport's. */
const PRODUCER = { idempotent: true, maxInFlightRequests: 1 };

/** Consumes `topic` from its beginning through group `<topic>.raw`, once the group has joined. */
async function consumeRaw(
  client: kafkajs.Kafka,
  topic: string,
  commits: boolean,
  onMessage: (m: kafkajs.KafkaMessage) => Promise<void> | void,
): Promise<void> {
  const consumer = client.consumer({ groupId: `${topic}.raw`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const ready = joined(consumer);
  await consumer.run({
    autoCommit: commits,
    eachMessage: ({ message }) => Promise.resolve(onMessage(message)),
  });
  await ready;
}

/**
 * The raw ping-pong's worker on a kafkajs client of its own: each request echoed as a response
 * (after `turn`, when given), its steps marked with `mark`. Resolves once it consumes.
 */
export async function startRawWorker(
  brokers: string[],
  topics: { readonly requests: string; readonly responses: string },
  options: {
    readonly commits: boolean;
    readonly turn?: (() => Promise<void>) | undefined;
    readonly mark?: Steps["mark"];
  },
): Promise<void> {
  const client = new kafkajs.Kafka({ brokers, ...quiet });
  const worker = client.producer(PRODUCER);
  await worker.connect();
  const mark = options.mark ?? (() => {});
  await consumeRaw(client, topics.requests, options.commits, async (m) => {
    const key = m.key!.toString();
    mark(key, "worker receives requests");
    if (options.turn !== undefined) {
      mark(key, "worker's turn: start");
      await options.turn();
      mark(key, "worker's turn: end");
    }
    mark(key, "worker produces responses: start");
    await worker.send({
      topic: topics.responses,
      acks: -1,
      messages: [{ key, value: responseValue(key) }],
    });
    mark(key, "worker produces responses: acknowledged");
  });
}

/** Runs the raw worker in a process of its own (_raw_worker.ts) until this one ends. */
async function spawnRawWorker(
  brokers: string[],
  topics: { readonly requests: string; readonly responses: string },
  commits: boolean,
): Promise<void> {
  const script = new URL("./_raw_worker.ts", import.meta.url).pathname;
  const args = [
    brokers.join(","),
    topics.requests,
    topics.responses,
    ...(commits ? ["--commits"] : []),
  ];
  const child = new Child(
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-P=test", script, ...args],
      cwd: root,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }),
  );
  // It ends when this process does (its stdin closes).
  await child.until(/^ready$/m);
}

/**
 * A raw kafkajs ping-pong: the worker echoes a response (after a turn, with `turn`); `commits:
 * false` commits nothing. With `worker: "apart"` the worker runs in a process of its own.
 */
export class RawPingPong {
  readonly #pending = new Pending();
  readonly #producer: kafkajs.Producer;
  readonly #topic: string;
  readonly #steps: Steps | undefined;

  private constructor(producer: kafkajs.Producer, topic: string, steps: Steps | undefined) {
    this.#producer = producer;
    this.#topic = topic;
    this.#steps = steps;
  }

  static async start(brokers: string[], options: RawOptions): Promise<RawPingPong> {
    const topics = await taskTopics(brokers);
    const client = new kafkajs.Kafka({ brokers, ...quiet });
    const requester = client.producer(PRODUCER);
    await requester.connect();
    const mark = options.steps?.mark ?? (() => {});
    const pair = new RawPingPong(requester, topics.requests, options.steps);
    if (options.worker === "apart") {
      await spawnRawWorker(brokers, topics, options.commits);
    } else {
      await startRawWorker(brokers, topics, { ...options, mark });
    }
    await consumeRaw(client, topics.responses, options.commits, (m) => {
      const key = m.key?.toString() ?? "";
      mark(key, "requester receives responses");
      pair.#pending.done(key);
    });
    return pair;
  }

  /** One round trip; with `marked`, its steps are kept (RawOptions.steps). */
  async roundTrip(options: { readonly marked?: boolean } = {}): Promise<void> {
    const key = this.#pending.key();
    this.#steps?.begin(key, options.marked === true);
    const answered = this.#pending.wait(key);
    this.#steps?.mark(key, "requester produces requests: start");
    await this.#producer.send({
      topic: this.#topic,
      acks: -1,
      messages: [{ key, value: requestValue(key) }],
    });
    this.#steps?.mark(key, "requester produces requests: acknowledged");
    await answered;
    this.#steps?.mark(key, "requester has the answer");
  }
}

/** A request/response through two KafkaTransports, each envelope parsed by its receiver. */
export class TransportPingPong {
  readonly #pending = new Pending();
  readonly #requester: KafkaTransport;
  readonly #topic: string;

  private constructor(requester: KafkaTransport, topic: string) {
    this.#requester = requester;
    this.#topic = topic;
  }

  static async start(brokers: string[]): Promise<TransportPingPong> {
    const topics = await taskTopics(brokers);
    const requester = new KafkaTransport({ brokers, clientId: "bench-requester" });
    const worker = new KafkaTransport({ brokers, clientId: "bench-worker" });
    const pair = new TransportPingPong(requester, topics.requests);
    const subs: Subscription[] = [
      await worker.subscribe({
        kind: "work",
        topics: [topics.requests],
        groupId: `kafclaw.${topics.group}.workers`,
        handler: (record) => {
          const parsed = parseRecord(record);
          if (!parsed.ok) return { poison: parsed.error.message };
          const id = parsed.envelope.correlation_id;
          return {
            work: () =>
              worker.produce([{ topic: topics.responses, key: id, value: responseValue(id) }]),
          };
        },
      }),
      await requester.subscribe({
        kind: "stream",
        topics: [topics.responses],
        groupId: `kafclaw.${topics.group}.requester`,
        fromBeginning: true,
        handler: (record) => {
          const parsed = parseRecord(record);
          if (!parsed.ok) return { poison: parsed.error.message };
          pair.#pending.done(parsed.envelope.correlation_id);
          return undefined;
        },
      }),
    ];
    while (subs.some((s) => s.assignment().length === 0)) {
      await new Promise((r) => setTimeout(r, 20));
    }
    return pair;
  }

  async roundTrip(): Promise<void> {
    const key = this.#pending.key();
    const answered = this.#pending.wait(key);
    await this.#requester.produce([{ topic: this.#topic, key, value: requestValue(key) }]);
    await answered;
  }
}

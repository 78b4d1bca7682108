/**
 * Batches for the Kafka transport bench: `n` envelopes signed, produced through the transport and
 * parsed and verified by a work subscription's handler, against raw kafkajs producing the same
 * number of values in one batch to a consumer that counts them. Both read a 12-partition topic
 * (the default of work topics) through a group that joined before the first batch.
 */
import kafkajs from "kafkajs";
import {
  decodeBase64Url,
  HEADERS,
  parseRecord,
  recordBytes,
  type RecordInput,
  replayId,
  type Signer,
  signRecord,
  signRecords,
  verifyAhead,
  verifyBytes,
  verifyRecord,
} from "../../core/protocol/mod.ts";
import { loadKafka, type OutboundRecord, type RecordHandler } from "../../core/transport/mod.ts";
import { requestValue, taskTopics } from "./_kafka_pairs.ts";
import { benchSigner } from "./_signer.ts";
import { type SignatureJob, SignaturePool } from "./_signature_pool.ts";
import { ChunkVerifier, signChunks } from "./_chunk_signatures.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const quiet = { logLevel: kafkajs.logLevel.NOTHING };

/** Counts records and wakes the batch that waits for its last one. */
class Counter {
  #seen = 0;
  #want = Infinity;
  #wake: () => void = () => {};
  add(): void {
    if (++this.#seen >= this.#want) this.#wake();
  }
  until(n: number): Promise<void> {
    this.#seen = 0;
    this.#want = n;
    return new Promise((resolve) => this.#wake = resolve);
  }
}

/** Raw kafkajs: one batch produced, counted by a consumer that commits as kafkajs does. */
export class RawThroughput {
  readonly #counter = new Counter();
  #producer!: kafkajs.Producer;
  #topic = "";
  #n = 0;
  #batch = 0;

  static async start(brokers: string[], n: number): Promise<RawThroughput> {
    const self = new RawThroughput();
    const { requests } = await taskTopics(brokers, 12);
    const client = new kafkajs.Kafka({ brokers, ...quiet });
    self.#producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await self.#producer.connect();
    const consumer = client.consumer({ groupId: `${requests}.raw`, maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topics: [requests], fromBeginning: true });
    const ready = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({ eachMessage: () => Promise.resolve(self.#counter.add()) });
    await ready;
    self.#topic = requests;
    self.#n = n;
    return self;
  }

  async run(): Promise<void> {
    const batch = this.#batch++;
    const done = this.#counter.until(this.#n);
    await this.#producer.send({
      topic: this.#topic,
      acks: -1,
      messages: Array.from({ length: this.#n }, (_, i) => {
        const key = `b${batch}-${i}`;
        return { key, value: requestValue(key) };
      }),
    });
    await done;
  }
}

/**
 * What the receiver checks: nothing but the envelope (`none`, and the sender does not sign),
 * `verifyRecord` whole (`full`: the certificate, then the signature), or the signature and replay
 * id alone (`signature`: the floor of `full`, whose certificate checks are remembered per
 * certificate), the same with each fetched batch's signatures checked in a pool of 2 Web Workers
 * (`workers`: whether moving the curve off the consumer's thread helps on this machine), or, the
 * sender signing each chunk of eight records once, each record's place in its chunk and the
 * chunk's signature (`chunks`: a proposal, `_chunk_signatures.ts`; certificates known, as in
 * `signature`).
 */
export type Check = "none" | "signature" | "workers" | "full" | "chunks";

/** Through the transport: each envelope parsed on receipt, signed and checked as `check` says. */
export class TransportThroughput {
  readonly #counter = new Counter();
  #transport!: KafkaTransport;
  #signer: Signer | undefined;
  #oneByOne = false;
  #chunks = false;
  #pool: SignaturePool | undefined;
  #topic = "";
  #n = 0;
  #batch = 0;

  /**
   * With `oneByOne`, the sender signs each record alone and the receiver checks each signature as
   * its record comes (what the transport did before batches were signed and checked together).
   */
  static async start(
    brokers: string[],
    options: { n: number; check: Check; oneByOne?: boolean },
  ): Promise<TransportThroughput> {
    const self = new TransportThroughput();
    const { group, requests } = await taskTopics(brokers, 12);
    const { owner, agent, certificate, signer } = await benchSigner();
    if (options.check !== "none") self.#signer = signer;
    self.#transport = new KafkaTransport({ brokers, clientId: "bench-throughput" });
    const trust = () => ({
      ownerKey: owner.publicKey,
      now: Date.now(),
      lookupCertificate: () => certificate,
    });
    const chunks = options.check === "chunks" ? new ChunkVerifier(agent.publicKey) : undefined;
    self.#chunks = chunks !== undefined;
    const handler: RecordHandler = async (record) => {
      const parsed = parseRecord(record);
      if (!parsed.ok) return { poison: parsed.error.message };
      if (chunks !== undefined) {
        if (chunks.check(record) === undefined) return { poison: "bad chunk signature" };
      } else if (options.check === "full") {
        const verified = await verifyRecord(record, parsed.envelope, trust());
        if (!verified.ok) return { poison: verified.error.message };
      } else if (options.check !== "none") {
        const job = pooled.get(record) ?? signatureJob(record, agent.publicKey);
        pooled.delete(record);
        const holds = await job.holds ??
          (job.signature !== undefined &&
            await verifyBytes(agent.publicKey, job.signature, job.signed));
        if (!holds) return { poison: "bad signature" };
        await replayId(job.signed);
      }
      self.#counter.add();
      return undefined;
    };
    // As a signed group's subscriptions do (core/group/trust.ts): a fetched batch's signature
    // checks start together.
    const prepare = (records: readonly RecordInput[]) => verifyAhead(records, trust());
    // With `workers`, a fetched batch's signatures go to the pool together, each record's verdict
    // kept for its turn.
    const pooled = new WeakMap<RecordInput, PooledJob>();
    const pool = options.check === "workers" ? new SignaturePool() : undefined;
    self.#pool = pool;
    const toPool = (records: readonly RecordInput[]) => {
      const jobs = records.map((record) => signatureJob(record, agent.publicKey));
      const ready = jobs.filter((job) =>
        job.signature !== undefined
      ) as (PooledJob & SignatureJob)[];
      const verdicts = pool!.check(ready);
      ready.forEach((job, i) => job.holds = verdicts[i]!);
      records.forEach((record, i) => pooled.set(record, jobs[i]!));
      return Promise.resolve();
    };
    const sub = await self.#transport.subscribe({
      kind: "work",
      topics: [requests],
      groupId: `kafclaw.${group}.workers`,
      handler: options.check === "full" && !options.oneByOne
        ? Object.assign(handler, { prepare })
        : pool
        ? Object.assign(handler, { prepare: toPool })
        : handler,
    });
    while (sub.assignment().length === 0) await new Promise((r) => setTimeout(r, 20));
    self.#topic = requests;
    self.#n = options.n;
    self.#oneByOne = options.oneByOne === true;
    return self;
  }

  /** Ends the workers of `workers` (the clients end with the process). */
  close(): void {
    this.#pool?.close();
  }

  async run(): Promise<void> {
    const batch = this.#batch++;
    const done = this.#counter.until(this.#n);
    const signer = this.#signer;
    const records: OutboundRecord[] = Array.from({ length: this.#n }, (_, i) => {
      const key = `b${batch}-${i}`;
      return { topic: this.#topic, key, value: requestValue(key, "requester") };
    });
    if (signer === undefined) {
      await this.#transport.produce(records);
    } else {
      // One send's records signed together (core/protocol signRecords), or each alone.
      const headers = this.#chunks
        ? signChunks(records, signer)
        : this.#oneByOne
        ? await Promise.all(records.map((record) => signRecord(record, signer)))
        : await signRecords(records, signer);
      await this.#transport.produce(records.map((r, i) => ({ ...r, headers: headers[i]! })));
    }
    await done;
  }
}

/** A record's signature to check, and its verdict once the pool was asked. */
interface PooledJob {
  readonly publicKey: CryptoKey;
  readonly signature: Uint8Array | undefined;
  readonly signed: Uint8Array;
  holds?: Promise<boolean | undefined>;
}

function signatureJob(record: RecordInput, publicKey: CryptoKey): PooledJob {
  const text = record.headers?.[HEADERS.signature];
  const signature = decodeBase64Url(
    text instanceof Uint8Array ? new TextDecoder().decode(text) : text ?? "",
  );
  const signed = recordBytes({ ...record, key: record.key ?? "" });
  return { publicKey, signature, signed };
}

/**
 * A handler's `prepare` on the real broker: the Kafka subscription hands it each fetched batch of
 * a partition before the first of its records, and the records still come one by one, in order.
 * With the signature checks of a signed group started there (`verifyAhead`), a forged record in
 * the middle of a batch is the only one refused.
 */
import assert from "node:assert/strict";
import {
  generateKeyPair,
  parseRecord,
  signRecords,
  verifyAhead,
  verifyRecord,
} from "../../../../core/protocol/mod.ts";
import {
  type InboundRecord,
  loadKafka,
  type OutboundRecord,
  type RecordHandler,
} from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { memberCertificate } from "../../../_support/certificates.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();
type KafkaTransport = InstanceType<typeof KafkaTransport>;

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** A new one-partition requests topic of a group of its own. */
async function topicOf(t: KafkaTransport): Promise<string> {
  const name = `group.${uniqueName("batch")}.requests`;
  await t.createTopics([{ name, partitions: 1, replicationFactor: 1, config: {} }]);
  return name;
}

Deno.test(
  "kafka: prepare gets each fetched batch before its records, which still come one by one in order",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = await topicOf(t);
      await t.produce(
        Array.from({ length: 30 }, (_, i) => ({ topic, key: "k", value: `v${i}` })),
      );
      const seen: string[] = [];
      const prepared = new Set<string>();
      const handler: RecordHandler = Object.assign((record: InboundRecord) => {
        seen.push(`${record.offset}${prepared.has(record.offset) ? "" : " unprepared"}`);
      }, {
        prepare: (records: readonly InboundRecord[]) => {
          for (const record of records) prepared.add(record.offset);
          return Promise.resolve();
        },
      });
      const sub = await t.subscribe({
        kind: "work",
        topics: [topic],
        groupId: uniqueName("workers"),
        handler,
      });
      await waitFor(() => seen.length === 30, "the 30 records", { state: () => seen });
      assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => String(i)));
      assert.equal(sub.stats.delivered, 30);
    } finally {
      await t.close();
    }
  },
);

Deno.test(
  "kafka: a forged record in the middle of a fetched batch checked ahead is the only one refused",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      const topic = await topicOf(t);
      const owner = await generateKeyPair();
      const alice = await generateKeyPair();
      const certificate = await memberCertificate(owner.privateKey, "alice", alice.publicKey);
      const records: OutboundRecord[] = Array.from({ length: 12 }, (_, i) => ({
        topic,
        key: `t-${i}`,
        value: JSON.stringify({
          type: "request",
          correlation_id: `t-${i}`,
          sender_id: "alice",
          timestamp: new Date().toISOString(),
          payload: { task_id: `t-${i}`, description: "d", content: "c", requester_id: "alice" },
        }),
      }));
      const headers = await signRecords(records, { keyId: "alice", privateKey: alice.privateKey });
      const sent = records.map((r, i) => ({ ...r, headers: headers[i]! }));
      // The seventh carries the sixth's signature.
      sent[6] = { ...sent[6]!, headers: headers[5]! };
      await t.produce(sent);
      const trust = () => ({
        ownerKey: owner.publicKey,
        now: Date.now(),
        lookupCertificate: () => certificate,
      });
      const verdicts: string[] = [];
      let batches = 0;
      const handler: RecordHandler = Object.assign(async (record: InboundRecord) => {
        const parsed = parseRecord(record);
        if (!parsed.ok) {
          verdicts.push(parsed.error.message);
          return undefined;
        }
        const verified = await verifyRecord(record, parsed.envelope, trust());
        verdicts.push(verified.ok ? "ok" : verified.error.code);
        return undefined;
      }, {
        prepare: async (batch: readonly InboundRecord[]) => {
          batches++;
          await verifyAhead(batch, trust());
        },
      });
      await t.subscribe({ kind: "work", topics: [topic], groupId: uniqueName("w"), handler });
      await waitFor(() => verdicts.length === 12, "the 12 verdicts", { state: () => verdicts });
      const expected = Array(12).fill("ok");
      expected[6] = "bad_signature";
      assert.deepEqual(verdicts, expected);
      assert.ok(batches >= 1, "the records came in prepared batches");
    } finally {
      await t.close();
    }
  },
);

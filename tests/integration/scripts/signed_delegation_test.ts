/**
 * The delegation bench's signed rows measure a signed group: the pair's round trip completes
 * (the requester's guard took the worker's answer), and every record the two agents put on the
 * task path, worker process included, carries its sender's key id and signature.
 */
import assert from "node:assert/strict";
import { topicsFor } from "../../../core/protocol/mod.ts";
import { type InboundRecord, loadKafka } from "../../../core/transport/mod.ts";
import { DelegationPair } from "../../../scripts/bench/_delegation_pairs.ts";
import { testBrokers } from "../../_support/broker.ts";
import { followTopic } from "../../_support/topic_records.ts";
import { waitFor } from "../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** The text of header `name` of `record`, or undefined. */
function header(record: InboundRecord, name: string): string | undefined {
  const value = record.headers[name];
  return value === undefined ? undefined : new TextDecoder().decode(value);
}

for (const echo of [false, true]) {
  Deno.test(
    `bench: a signed pair (${echo ? "no turn" : "a turn"}) signs every task record`,
    opts,
    async () => {
      const pair = await DelegationPair.start(brokers, {
        arbiter: "none",
        signed: true,
        spans: true,
        echo,
      });
      const reader = new KafkaTransport({ brokers, clientId: "bench-signed-reader" });
      try {
        await pair.roundTrip();
        const topics = topicsFor(pair.group);
        const seen: InboundRecord[] = [];
        const sub = await followTopic(
          reader,
          [topics.requests, topics.responses, topics.tasksStatus, topics.traces],
          (record) => seen.push(record),
        );
        // Two round trips (start's and this one): two requests, two responses.
        const count = (topic: string) => seen.filter((r) => r.topic === topic).length;
        await waitFor(
          () => count(topics.requests) === 2 && count(topics.responses) === 2,
          "both round trips' requests and responses",
        );
        await sub.close();
        for (const record of seen) {
          const where = `${record.topic}@${record.offset}`;
          assert.ok(["req", "wk"].includes(header(record, "kc-key-id") ?? ""), `${where} key id`);
          assert.match(header(record, "kc-sig") ?? "", /^[\w-]{86}$/, `${where} signature`);
        }
        assert.ok(count(topics.tasksStatus) > 0, "statuses were read");
      } finally {
        await reader.close();
        await pair.close();
      }
    },
  );
}

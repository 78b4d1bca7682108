/**
 * What a gateway skips on the real broker reaches the group's audit topic: batches the consumer
 * could not decode (on a state topic read while it joins, and on its work topic after), records
 * its membership dropped while it joined (before it could send anything), and a handler that
 * throws, which the transport still dead-letters.
 */
import assert from "node:assert/strict";
import {
  announceRecord,
  GroupAudit,
  memberTopicSpecs,
  watchPoison,
} from "../../../../core/group/mod.ts";
import {
  exportPublicKey,
  generateKeyPair,
  signRecord,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { followAudit } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { kafclaw } from "../../../_support/cli.ts";
import { gateway, requesterGateway, signedGroup } from "../../../_support/gateway_group.ts";
import { identityOf } from "../../../_support/group_member.ts";
import { followTopic } from "../../../_support/topic_records.ts";
import { produceUndecodable } from "../../../_support/undecodable.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "a gateway audits the batches it could not decode, those read while it joined included",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const group = uniqueName("gwu").replaceAll("-", "");
    const open = { KAFCLAW_GROUP_SECURITY: "open" };
    const boss = stack.use(await gateway(group, "boss", open));
    const made = await kafclaw(["group", "init", "--json"], boss.env);
    assert.equal(made.code, 0, made.stderr);
    const topics = topicsFor(group);
    // On a state topic before the gateway starts: skipped while it joins, before its audit opens.
    await produceUndecodable(brokers, topics.announce, ["agent:x1", "agent:x2"]);
    const { gateway: req } = stack.use(await requesterGateway(group, undefined, open));
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    stack.defer(() => transport.close());
    const audit = await followAudit(transport, group);
    stack.defer(() => audit.close());
    // On its work topic once it runs: dead-lettered, as before, and audited.
    await produceUndecodable(brokers, topics.requests, ["t-1", "t-2", "t-3"]);
    const skipped = () =>
      audit.seen.filter((a) => a.event_type === "poison_record" && a.code === "undecodable_batch");
    await waitFor(() => skipped().length >= 2, "both batches on the audit topic", {
      timeoutMs: 30_000,
      state: () => audit.seen,
    });
    const on = (topic: string) => skipped().filter((a) => a.topic === topic);
    assert.equal(on(topics.announce).length, 1, JSON.stringify(skipped()));
    assert.equal(on(topics.requests).length, 1, JSON.stringify(skipped()));
    const [batch] = on(topics.requests);
    assert.equal(batch?.sender, req.agentId);
    assert.equal(batch?.agent_id, req.agentId);
    assert.equal(batch?.partition, 0);
    assert.equal(BigInt(String(batch?.last_offset)) - BigInt(String(batch?.offset)), 2n);
    assert.match(
      String(batch?.detail),
      new RegExp(`^undecodable batch at ${topics.requests}@0:\\d+-\\d+: .*zstd`),
    );
    // The gateway's own record of them.
    const kept = req.runtime.timeline.events.list({ kind: "GROUP" }).items
      .filter((e) => e.metadata.code === "undecodable_batch");
    assert.equal(kept.length, 2);
  },
);

Deno.test(
  "a record a gateway's membership drops while it joins reaches the audit topic once it can send",
  opts,
  async () => {
    await using stack = new AsyncDisposableStack();
    const { group, boss, pinned } = await signedGroup("gwj", stack);
    // An announce in the owner's agent's name, signed with another key, before the gateway
    // starts: it is read, and dropped, while the gateway joins.
    const forger = await generateKeyPair();
    const forged = announceRecord(
      group,
      "join",
      identityOf("boss", await exportPublicKey(forger.publicKey)),
    );
    const transport = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    stack.defer(() => transport.close());
    const headers = await signRecord(forged, { keyId: "boss", privateKey: forger.privateKey });
    await transport.produce([{ ...forged, headers }]);
    const { gateway: req } = stack.use(await requesterGateway(group, boss.env, pinned));
    const audit = await followAudit(transport, group);
    stack.defer(() => audit.close());
    const dropped = () =>
      audit.seen.filter((a) =>
        a.sender === req.agentId && a.event_type === "signature_invalid" && a.agent_id === "boss"
      );
    await waitFor(() => dropped().length >= 1, "the forged announce on the audit topic", {
      timeoutMs: 30_000,
      state: () => audit.seen,
    });
    assert.equal(dropped()[0]?.topic, topicsFor(group).announce);
    assert.equal(dropped()[0]?.code, "bad_signature");
  },
);

Deno.test(
  "a handler that throws on the real broker is audited as handler_failed and still dead-lettered",
  opts,
  async () => {
    const group = uniqueName("gwh").replaceAll("-", "");
    const own = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      await own.createTopics(memberTopicSpecs(group, { workPartitions: 1 }));
      const topics = topicsFor(group);
      const audit = new GroupAudit({
        agentId: "ann",
        group,
        send: (records) => own.produce(records),
      });
      const watched = watchPoison(own, audit.poison);
      const reader = await followAudit(own, group);
      const letters: string[] = [];
      const letterReader = await followTopic(own, topics.deadLetter, (record) => {
        letters.push(new TextDecoder().decode(record.value));
      });
      const work = await watched.subscribe({
        kind: "work",
        topics: [topics.requests],
        groupId: uniqueName("workers"),
        deadLetterTopic: topics.deadLetter,
        handler: () => {
          throw new Error("the task store is read-only");
        },
      });
      try {
        await own.produce([{ topic: topics.requests, key: "t-1", value: "{}" }]);
        const failed = () => reader.seen.filter((a) => a.code === "handler_failed");
        await waitFor(() => failed().length === 1 && letters.length === 1, "audit and letter", {
          timeoutMs: 30_000,
          state: () => ({ audit: reader.seen, letters }),
        });
        const [told] = failed();
        assert.equal(told?.event_type, "poison_record");
        assert.equal(told?.topic, topics.requests);
        assert.equal(told?.offset, "0");
        assert.equal(
          told?.detail,
          `poison record at ${topics.requests}@0:0: handler failed: the task store is read-only`,
        );
        assert.match(letters[0]!, /handler failed: the task store is read-only/);
      } finally {
        await work.close();
        await letterReader.close();
        await reader.close();
      }
    } finally {
      await own.close();
    }
  },
);

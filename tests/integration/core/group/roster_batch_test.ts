/**
 * The first read of a signed group's state topics on the real broker: the roster topic's and the
 * announce topic's fetched batches have their signature checks started together (trust.ts
 * `verifyAhead`, through the roster feed's handlers), and each record is still judged alone, so a
 * forged record in the middle of a batch is the only one dropped, and audited, and the roster is
 * what the honest records say, for a member and for a reader that does not join alike.
 */
import assert from "node:assert/strict";
import {
  announceRecord,
  certificateRecord,
  GroupTrust,
  readRoster,
  revocationRecord,
} from "../../../../core/group/mod.ts";
import {
  generateKeyPair,
  type RecordInput,
  signRecords,
  topicsFor,
} from "../../../../core/protocol/mod.ts";
import { loadKafka, type OutboundRecord } from "../../../../core/transport/mod.ts";
import { droppedIn } from "../../../_support/audit.ts";
import { testBrokers } from "../../../_support/broker.ts";
import {
  type AgentHome,
  agentHome,
  certify,
  identityOf,
  makeGroup,
  startMember,
} from "../../../_support/group_member.ts";
import { uniqueName } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** `home`'s join, signed with `privateKey` (its own key, or someone else's for a forgery). */
async function join(group: string, home: AgentHome, privateKey = home.key.privateKey) {
  const record = announceRecord(group, "join", identityOf(home.agentId, home.key.publicKeyText));
  const [headers] = await signRecords([record], { keyId: home.agentId, privateKey });
  return { ...record, headers: headers! } satisfies OutboundRecord;
}

/** Whether `batches` hold one of `topic` of at least `size` records. */
function batchOf(batches: readonly string[], topic: string, size: number): boolean {
  return batches.some((b) =>
    b.startsWith(`${topic}:`) && Number(b.slice(topic.length + 1)) >= size
  );
}

/** Every batch handed to `GroupTrust.verifyAhead` while `run` runs, as `<topic>:<records>`. */
async function aheadBatches(run: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = GroupTrust.prototype.verifyAhead;
  GroupTrust.prototype.verifyAhead = function (records: readonly RecordInput[]) {
    if (records.length > 0) seen.push(`${records[0]!.topic}:${records.length}`);
    return original.call(this, records);
  };
  try {
    await run();
  } finally {
    GroupTrust.prototype.verifyAhead = original;
  }
  return seen;
}

Deno.test(
  "a forged record in the middle of a state topic's batch is the only one dropped, and audited; the roster is the same for a member and a reader",
  opts,
  async () => {
    const group = uniqueName("rosterbatch").replaceAll("-", "");
    const owner = new KafkaTransport({ brokers, clientId: "kafclaw-owner" });
    const side = new KafkaTransport({ brokers, clientId: "kafclaw-boss" });
    const g = await makeGroup(owner, group, { replicationFactor: 1 });
    await using _owner = g.owner;
    const homes: AgentHome[] = [];
    try {
      for (let i = 0; i < 6; i++) homes.push(await agentHome(`agent-${i}`));
      // One produce each, so that each topic's records come in one fetched batch.
      const certificates = await Promise.all(
        homes.map((home) => certify(owner, g, home, { publish: false })),
      );
      const mallory = await generateKeyPair();
      const roster = await Promise.all(
        homes.map((home, i) =>
          certificateRecord(group, g.ownerKey.privateKey, home.agentId, certificates[i]!)
        ),
      );
      // A revocation of agent-2 "from the owner", signed with another key, among the certificates.
      roster.splice(3, 0, await revocationRecord(group, mallory.privateKey, "agent-2", "forged"));
      await owner.produce(roster);
      // agent-5's join is forged (signed with mallory's key); the others are their own.
      const joins = await Promise.all(
        homes.map((home) =>
          join(group, home, home.agentId === "agent-5" ? mallory.privateKey : undefined)
        ),
      );
      await owner.produce(joins);

      const topics = topicsFor(group);
      const honest = ["agent-0", "agent-1", "agent-2", "agent-3", "agent-4"];
      let memberSaw: string[] = [];
      const memberBatches = await aheadBatches(async () => {
        const boss = await startMember(side, g, g.owner, g.init.certificate);
        memberSaw = boss.members().map((m) => m.agentId).sort();
        await boss.leave();
      });
      assert.deepEqual(memberSaw, [...honest, "boss"]);
      assert.deepEqual(droppedIn(g.owner.timeline), [
        "signature_invalid/bad_signature/owner",
        "signature_invalid/bad_signature/agent-5",
      ]);
      // The roster topic's 7 records produced together (6 certificates and the forgery) and the
      // announce topic's 6 joins came in batches whose checks started together.
      assert.ok(batchOf(memberBatches, topics.roster, 7), memberBatches.join(", "));
      assert.ok(batchOf(memberBatches, topics.announce, 6), memberBatches.join(", "));

      let readerSaw: string[] = [];
      const readerBatches = await aheadBatches(async () => {
        const read = await readRoster(side, group, { ownerKey: g.ownerPublic });
        readerSaw = read.members.map((m) => m.agentId).sort();
      });
      // boss left: its leave is on the announce topic now.
      assert.deepEqual(readerSaw, honest);
      assert.ok(batchOf(readerBatches, topics.roster, 7), readerBatches.join(", "));
      assert.ok(batchOf(readerBatches, topics.announce, 6), readerBatches.join(", "));
    } finally {
      for (const home of homes) await home[Symbol.asyncDispose]();
      await Promise.all([owner.close(), side.close()]);
    }
  },
);

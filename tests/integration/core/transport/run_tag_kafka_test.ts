/**
 * The run tag as the broker shows it to anyone who may describe a group (every agent of it), on
 * the real broker: an agent's consumer says nothing there of its host or its home, and members of
 * other clients whose metadata is not our tag (or is hostile) are taken as live members of
 * unknown place, never as an error.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";
import { RunDir, runDirAlive } from "../../../../core/agent/mod.ts";
import { loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { uniqueName, waitFor } from "../../../_support/wait.ts";

const { KafkaTransport, ROUND_ROBIN } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

async function describe(groupId: string) {
  const admin = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return (await admin.describeGroups([groupId])).groups[0]!;
  } finally {
    await admin.disconnect();
  }
}

Deno.test(
  "the group metadata another agent reads of our consumer holds no host name, home path or PID namespace",
  opts,
  async () => {
    const home = await Deno.makeTempDir({ prefix: "kafclaw-runtag-home-" });
    const run = await RunDir.claim(home);
    const t = new KafkaTransport({
      brokers,
      clientId: "kafclaw-test",
      runFolder: { home, name: run.name, alive: runDirAlive },
    });
    try {
      const topic = uniqueName("runtag");
      const groupId = uniqueName("runtag-own");
      await t.createTopics([{ name: topic, partitions: 1, replicationFactor: 1, config: {} }]);
      const sub = await t.subscribe({
        kind: "stream",
        topics: [topic],
        groupId,
        handler: () => {},
      });
      await waitFor(() => sub.assignment().length === 1, "our member's assignment");
      const [member] = (await describe(groupId)).members;
      const raw = Buffer.from(member!.memberMetadata).toString("latin1");
      // The hashes and the run id are random text: a short host name could be found in them by
      // chance, so they are taken out before looking.
      const tag = JSON.parse(raw.slice(raw.indexOf("{")));
      let rest = raw;
      for (const opaque of [tag.run, tag.place, tag.home]) rest = rest.replace(opaque, "");
      for (const secret of [Deno.hostname(), home, home.split("/").pop()!, "pid:["]) {
        assert.equal(rest.includes(secret), false, `${JSON.stringify(secret)} is in ${raw}`);
      }
      // What it does say: a pid and an opaque run id, enough for a restart of this host to act on.
      assert.match(raw, new RegExp(`"pid":${Deno.pid}\\b`));
      assert.equal(await t.groupMembers(groupId), 1);
      // This process's own live member is named with this host, read here.
      const holders = await t.reclaimGroup(groupId);
      assert.deepEqual(holders, [{ pid: Deno.pid, host: Deno.hostname() }]);
    } finally {
      await t.close();
      await run.close();
      await Deno.remove(home, { recursive: true });
    }
  },
);

/** A kafkajs consumer whose `roundrobin` metadata is `metadata`, whatever it holds. */
function foreignMember(groupId: string, metadata: Buffer) {
  const kafka = new kafkajs.Kafka({ brokers, logLevel: kafkajs.logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    partitionAssigners: [() => ({
      name: ROUND_ROBIN,
      version: 0,
      assign: ({ members }) =>
        Promise.resolve(members.map((m) => ({
          memberId: m.memberId,
          memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({
            version: 0,
            assignment: {},
            userData: Buffer.alloc(0),
          }),
        }))),
      protocol: () => ({
        name: ROUND_ROBIN,
        metadata,
      }),
    })],
  });
  return consumer;
}

Deno.test(
  "members of other clients with metadata that is not our tag are live members of unknown place",
  opts,
  async () => {
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    const topic = uniqueName("runtag-foreign");
    const groupId = uniqueName("runtag-mixed");
    const subscription = (userData: Buffer) =>
      kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics: [topic], userData });
    const shapes = [
      subscription(Buffer.alloc(0)),
      subscription(Buffer.from([0xff, 0xfe, 0x00])),
      subscription(Buffer.from('kafclaw-run/2:{"run":"x","pid":1,"dir":"../../etc"}')),
      subscription(Buffer.from('kafclaw-run:{"host":"h","pid":1,"run":"r","home":"/home/a"}')),
      // Kafka 4.1's coordinator reads a classic group's subscriptions itself: one whose counts
      // lie (run_tag_parse_test.ts) breaks the group for every member there, so none is sent here.
    ];
    const members = shapes.map((metadata) => foreignMember(groupId, metadata));
    try {
      await t.createTopics([{ name: topic, partitions: 2, replicationFactor: 1, config: {} }]);
      // All at once: one rebalance, not one per member.
      await Promise.all(members.map(async (m) => {
        await m.connect();
        await m.subscribe({ topics: [topic] });
        await m.run({ eachMessage: async () => {} });
      }));
      await waitFor(
        async () => (await describe(groupId)).members.length === shapes.length,
        "every foreign member in the group",
        { timeoutMs: 60_000 },
      );
      const holders = await t.reclaimGroup(groupId);
      assert.equal(holders.length, shapes.length, "none was taken for a dead run of ours");
      assert.deepEqual(holders, shapes.map(() => ({})));
      // Our work member joins that group beside them.
      const sub = await t.subscribe({ kind: "work", topics: [topic], groupId, handler: () => {} });
      await waitFor(
        async () => (await describe(groupId)).members.length === shapes.length + 1,
        "ours in",
      );
      assert.ok(sub);
    } finally {
      await Promise.all(members.map((m) => m.disconnect().catch(() => {})));
      await t.close();
    }
  },
);

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import kafkajs from "kafkajs";
import { loadKafka } from "../../../../core/transport/mod.ts";

const { assignRoundRobin, ROUND_ROBIN, roundRobinAssigner } = await loadKafka();

const { AssignerProtocol } = kafkajs;

Deno.test("round-robin deals one topic's partitions over the members in id order", () => {
  const plan = assignRoundRobin(
    new Map([["m-b", ["requests"]], ["m-a", ["requests"]], ["m-c", ["requests"]]]),
    new Map([["requests", 7]]),
  );
  assert.deepEqual(Object.fromEntries(plan), {
    "m-a": { requests: [0, 3, 6] },
    "m-b": { requests: [1, 4] },
    "m-c": { requests: [2, 5] },
  });
});

Deno.test("round-robin gives a topic's partitions only to members that subscribe to it", () => {
  const plan = assignRoundRobin(
    new Map([["m-a", ["requests", "zone"]], ["m-b", ["requests"]]]),
    new Map([["requests", 4], ["zone", 3]]),
  );
  assert.deepEqual(plan.get("m-b"), { requests: [1, 3] }, "no zone partition for m-b");
  assert.deepEqual(plan.get("m-a"), { requests: [0, 2], zone: [0, 1, 2] });
});

Deno.test("round-robin leaves out topics whose partitions are unknown", () => {
  const plan = assignRoundRobin(new Map([["m-a", ["gone"]]]), new Map());
  assert.deepEqual(plan.get("m-a"), {});
});

/** A member's metadata as a foreign client sends it: version 1 adds owned partitions after it. */
function foreignMetadata(topics: string[]): Buffer {
  const head = AssignerProtocol.MemberMetadata.encode({
    version: 1,
    topics,
    userData: Buffer.alloc(0),
  });
  // Version 1's owned partitions: an empty array (int32 0) after the user data.
  return Buffer.concat([head, Buffer.from([0, 0, 0, 0])]);
}

Deno.test("the kafkajs assignor is named roundrobin and honours each member's topics", async () => {
  const targets: string[][] = [];
  const cluster = {
    addMultipleTargetTopics: (topics: string[]) => Promise.resolve(void targets.push(topics)),
    findTopicPartitionMetadata: (topic: string) =>
      Array.from({ length: topic === "requests" ? 2 : 1 }, (_, partitionId) => ({ partitionId })),
  };
  // deno-lint-ignore no-explicit-any
  const assigner = roundRobinAssigner({ cluster: cluster as any, groupId: "g", logger: {} as any });
  assert.equal(assigner.name, ROUND_ROBIN);
  const ours = assigner.protocol({ topics: ["requests"] });
  assert.equal(ours.name, "roundrobin");
  assert.deepEqual(AssignerProtocol.MemberMetadata.decode(ours.metadata)?.topics, ["requests"]);
  const result = await assigner.assign({
    topics: ["requests"],
    members: [
      { memberId: "deno-1", memberMetadata: ours.metadata },
      { memberId: "python-1", memberMetadata: foreignMetadata(["requests", "skill"]) },
    ],
  });
  assert.deepEqual(targets, [["requests", "skill"]], "the leader learns the partitions of both");
  const decoded = Object.fromEntries(
    result.map((r) => [
      r.memberId,
      AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment,
    ]),
  );
  assert.deepEqual(decoded, {
    "deno-1": { requests: [0] },
    "python-1": { requests: [1], skill: [0] },
  });
});

Deno.test("the assignor skips a member it cannot read and topics without metadata", async () => {
  const cluster = {
    addMultipleTargetTopics: () => Promise.resolve(),
    // Asking again does not help a deleted topic, and may fail: the plan leaves it out.
    refreshMetadata: () => Promise.reject(new Error("no broker answered")),
    findTopicPartitionMetadata: (topic: string) => {
      if (topic === "deleted") throw new Error("Topic metadata not loaded");
      return [{ partitionId: 0 }, { partitionId: 1 }];
    },
  };
  // deno-lint-ignore no-explicit-any
  const assigner = roundRobinAssigner({ cluster: cluster as any, groupId: "g", logger: {} as any });
  const result = await assigner.assign({
    topics: ["requests"],
    members: [
      {
        memberId: "m-1",
        memberMetadata: assigner.protocol({ topics: ["requests", "deleted"] }).metadata,
      },
      { memberId: "m-2", memberMetadata: Buffer.from([0xff]) },
    ],
  });
  const decoded = Object.fromEntries(
    result.map((
      r,
    ) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment]),
  );
  assert.deepEqual(decoded, { "m-1": { requests: [0, 1] }, "m-2": {} });
});

Deno.test("a topic whose partitions the metadata does not list yet is asked for again before the plan", async () => {
  let refreshed = 0;
  const cluster = {
    addMultipleTargetTopics: () => Promise.resolve(),
    // Just made: the first answers list no partitions; after two refreshes they are there.
    refreshMetadata: () => Promise.resolve(void refreshed++),
    findTopicPartitionMetadata: () =>
      refreshed >= 2 ? [{ partitionId: 0 }, { partitionId: 1 }] : [],
  };
  // deno-lint-ignore no-explicit-any
  const assigner = roundRobinAssigner({ cluster: cluster as any, groupId: "g", logger: {} as any });
  const result = await assigner.assign({
    topics: ["requests"],
    members: [{
      memberId: "m-1",
      memberMetadata: assigner.protocol({ topics: ["requests"] }).metadata,
    }],
  });
  assert.equal(refreshed, 2);
  assert.deepEqual(
    AssignerProtocol.MemberAssignment.decode(result[0]!.memberAssignment)?.assignment,
    {
      requests: [0, 1],
    },
  );
});

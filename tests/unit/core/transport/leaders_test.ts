/**
 * Asking a broker about a topic made a moment ago: a passing refusal ("not the leader", which
 * kafkajs marks retriable) is asked again until the answer comes; any other refusal, or one that
 * outlasts the deadline, reaches the caller as it was.
 */
import assert from "node:assert/strict";
import type { Admin } from "kafkajs";
import { topicOffsets, topicOffsetsSince } from "../../../../core/transport/mod.ts";

type Offsets = Awaited<ReturnType<Admin["fetchTopicOffsets"]>>;
const OFFSETS: Offsets = [{ partition: 0, offset: "3", high: "3", low: "0" }];
const SINCE = [{ partition: 0, offset: "2" }];

/** An admin whose first `fails` answers are `error`, then the offsets; it counts the asks. */
function admin(fails: number, error: Error) {
  let asked = 0;
  const fake = {
    fetchTopicOffsets: (_topic: string) => {
      asked++;
      return asked <= fails ? Promise.reject(error) : Promise.resolve(OFFSETS);
    },
    fetchTopicOffsetsByTimestamp: (_topic: string, _time?: number) => {
      asked++;
      return asked <= fails ? Promise.reject(error) : Promise.resolve(SINCE);
    },
  };
  return { admin: fake as unknown as Admin, asked: () => asked };
}

const notLeader = () =>
  Object.assign(new Error("This server is not the leader for that topic-partition"), {
    retriable: true,
  });

Deno.test("a passing 'not the leader' is asked again until the offsets come", async () => {
  const a = admin(2, notLeader());
  assert.deepEqual(await topicOffsets(a.admin, "t"), OFFSETS);
  assert.equal(a.asked(), 3);
});

Deno.test("a refusal that is not passing reaches the caller at once", async () => {
  const a = admin(1, new Error("Not authorized to access topics"));
  await assert.rejects(topicOffsets(a.admin, "t"), /Not authorized/);
  assert.equal(a.asked(), 1);
});

Deno.test("a passing refusal that outlasts the deadline reaches the caller", async () => {
  const a = admin(1_000, notLeader());
  await assert.rejects(topicOffsets(a.admin, "t", 250), /not the leader/);
  assert.ok(a.asked() >= 2, `asked ${a.asked()} times`);
});

Deno.test("where the records since a time begin is asked again the same way", async () => {
  const a = admin(2, notLeader());
  assert.deepEqual(await topicOffsetsSince(a.admin, "t", 1_000), SINCE);
  assert.equal(a.asked(), 3);
  const refused = admin(1, new Error("Not authorized to access topics"));
  await assert.rejects(topicOffsetsSince(refused.admin, "t", 1_000), /Not authorized/);
  assert.equal(refused.asked(), 1);
});

/**
 * A group member's metadata is written by its client, which may be anyone's (the Java client,
 * librdkafka, franz-go, kafka-python) or hostile: reading the run tag and the subscribed topics
 * out of it takes what is not ours for no tag and never throws.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { seededRandom } from "../../../../core/transport/mod.ts";
import { subscribedTopics } from "../../../../core/transport/assignor.ts";
import { memberRunTag } from "../../../../core/transport/leftover_members.ts";
import { readSubscription } from "../../../../core/transport/member_metadata.ts";
import { decodeRunTag, encodeRunTag, type RunTag } from "../../../../core/transport/run_tag.ts";
import { fuzzRunTag, javaSubscription } from "../../../fuzz/run_tag_fuzz.ts";

const ours: RunTag = {
  run: "0f8e2f5c-7a43-4f59-9a1e-3b2f4a1c9d7e",
  pid: 4242,
  start: "123456",
  place: "AbCdEfGhIjKlMnOpQrStUv",
};
const text = (s: string) => new TextEncoder().encode(s);
const tagText = (fields: string) => text(`kafclaw-run/2:{${fields}}`);

Deno.test("our tag is read from every subscription version other clients write; their user data is no tag", () => {
  for (const version of [0, 1, 2, 3]) {
    assert.deepEqual(memberRunTag(javaSubscription(version, ["t"], encodeRunTag(ours))), ours);
    // kafka-python and the Java client send empty or null user data with roundrobin.
    assert.equal(memberRunTag(javaSubscription(version, ["t"], null)), undefined);
    assert.equal(memberRunTag(javaSubscription(version, ["t"], new Uint8Array())), undefined);
    assert.equal(memberRunTag(javaSubscription(version, ["t"], text("sticky\u0000"))), undefined);
  }
  assert.equal(memberRunTag(null), undefined);
  assert.equal(memberRunTag(undefined), undefined);
  assert.equal(memberRunTag(Buffer.alloc(0)), undefined);
});

Deno.test("metadata cut short or with lengths that lie reads as no tag and no topics", () => {
  const whole = javaSubscription(0, ["t"], encodeRunTag(ours));
  for (let cut = 0; cut < whole.length; cut += 7) {
    assert.equal(memberRunTag(whole.subarray(0, cut)), undefined, `cut at ${cut}`);
    subscribedTopics(whole.subarray(0, cut));
  }
  // A topic count of -2 and of two billion, a null topic, an empty topic.
  const lying = [
    Buffer.from([0, 0, 0xff, 0xff, 0xff, 0xfe]),
    Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 0x74]),
  ];
  for (const metadata of lying) {
    assert.equal(memberRunTag(metadata), undefined);
    assert.deepEqual(subscribedTopics(metadata), []);
  }
  assert.deepEqual(subscribedTopics(javaSubscription(0, [null, "", "t"], null)), ["t"]);
  assert.deepEqual(subscribedTopics(null), []);
});

Deno.test("a tag of ours with a field out of shape is no tag", () => {
  const run = '"run":"r-1"';
  assert.deepEqual(decodeRunTag(tagText(`${run},"pid":1`)), { run: "r-1", pid: 1 });
  for (
    const fields of [
      `${run},"pid":0`,
      `${run},"pid":-1`,
      `${run},"pid":1.5`,
      `${run},"pid":"1"`,
      `${run},"pid":2147483648`,
      `"run":"a/b","pid":1`,
      `"run":1,"pid":1`,
      `"pid":1`,
      `${run},"pid":1,"dir":"../../etc"`,
      `${run},"pid":1,"dir":"sandbox-a/../../x"`,
      `${run},"pid":1,"home":"/home/alice"`,
      `${run},"pid":1,"place":["x"]`,
      `${run},"pid":1,"start":"12 34"`,
      `${run},"pid":1,"place":"${"A".repeat(1100)}"`,
    ]
  ) {
    assert.equal(decodeRunTag(tagText(fields)), undefined, fields);
  }
  for (const json of ["[]", "null", "1", '"s"', "{", `{"run":"r","pid":1}x`]) {
    assert.equal(decodeRunTag(text(`kafclaw-run/2:${json}`)), undefined, json);
  }
  // The tag of the release before this one (it named host and home) is no tag either.
  assert.equal(
    decodeRunTag(text('kafclaw-run:{"host":"h","pid":1,"run":"r","home":"/home/a"}')),
    undefined,
  );
  // Keys that would reach an object's prototype are not fields.
  const polluted = decodeRunTag(tagText(`"__proto__":{"dir":"sandbox-x"},${run},"pid":1`));
  assert.deepEqual(polluted, { run: "r-1", pid: 1 });
  assert.equal(({} as Record<string, unknown>).dir, undefined);
});

Deno.test("a fixed-seed fuzz round of group metadata never throws (tests/fuzz/run_tag_fuzz.ts)", async () => {
  const summary = await fuzzRunTag(seededRandom(20261205), 3000);
  assert.equal(summary.iterations, 3000);
  // Some shapes are tags: the round reaches the decision, not only the parser.
  assert.ok(summary.tags > 50, `only ${summary.tags} tags`);
});

Deno.test("metadata whose counts lie is read at once, not followed for billions of rounds", () => {
  // Two billion topics, each name of length -2: kafkajs's decoder stays on one spot, filling an
  // array of that size (it hangs, then runs out of memory).
  const hostile = Buffer.from([0, 0, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xfe]);
  assert.equal(memberRunTag(hostile), undefined);
  assert.deepEqual(subscribedTopics(hostile), []);
  assert.deepEqual(readSubscription(javaSubscription(3, ["a", "b"], encodeRunTag(ours))), {
    version: 3,
    topics: ["a", "b"],
    userData: encodeRunTag(ours),
  });
  // No user data at all (a client that stops after its topics) still subscribes.
  assert.deepEqual(readSubscription(Buffer.from([0, 0, 0, 0, 0, 1, 0, 1, 0x74])), {
    version: 0,
    topics: ["t"],
    userData: null,
  });
});

import assert from "node:assert/strict";
import { OffsetCommitter, type PartitionOffset } from "../../../../core/transport/commits.ts";
import { waitFor } from "../../../_support/wait.ts";

/** A committer whose commits the test sees, and can hold or fail. */
function setup(options: { maxUncommitted: number; intervalMs?: number }) {
  const sent: PartitionOffset[][] = [];
  let hold: Promise<void> | undefined;
  let fail = false;
  let settled = 0;
  const committer = new OffsetCommitter({
    commit: async (offsets) => {
      sent.push([...offsets]);
      await hold;
      if (fail) throw new Error("coordinator moved");
    },
    intervalMs: options.intervalMs ?? 60_000,
    maxUncommitted: options.maxUncommitted,
    onSettled: () => void settled++,
    log: () => {},
  });
  return {
    committer,
    sent,
    settled: () => settled,
    holdWith: (p: Promise<void> | undefined) => void (hold = p),
    failing: (value: boolean) => void (fail = value),
  };
}

Deno.test("a committer commits each partition's next offset at half its bound", async () => {
  const { committer, sent } = setup({ maxUncommitted: 4 });
  committer.taken("t", 0, "5")();
  assert.equal(sent.length, 0, "one record waits for the interval");
  committer.taken("t", 1, "9")();
  await committer.flush();
  assert.deepEqual(sent, [[
    { topic: "t", partition: 0, offset: "6" },
    { topic: "t", partition: 1, offset: "10" },
  ]]);
  assert.equal(committer.uncommitted, 0);
  assert.equal(committer.commits, 1);
  committer.stop();
});

Deno.test("the committer coalesces what arrives while a commit is in flight", async () => {
  const { committer, sent, holdWith } = setup({ maxUncommitted: 100 });
  let release!: () => void;
  holdWith(new Promise((r) => release = r));
  committer.taken("t", 0, "0")();
  const first = committer.flush();
  for (let i = 1; i <= 10; i++) committer.taken("t", 0, String(i))();
  assert.equal(sent.length, 1, "one commit in flight at a time");
  assert.equal(committer.uncommitted, 11);
  release();
  await first;
  await committer.flush();
  assert.deepEqual(sent.map((s) => s[0]!.offset), ["1", "11"], "the ten later ones in one commit");
  assert.equal(committer.uncommitted, 0);
  committer.stop();
});

Deno.test("the committer reaches its bound only while commits do not land", async () => {
  const { committer, holdWith, settled } = setup({ maxUncommitted: 4 });
  let release!: () => void;
  holdWith(new Promise((r) => release = r));
  for (let i = 0; i < 4; i++) committer.taken("t", 0, String(i))();
  assert.equal(committer.atBound, true, "four taken, none committed");
  release();
  await waitFor(() => !committer.atBound, "the commit to land");
  assert.ok(settled() >= 1, "a held consumer is woken");
  committer.stop();
});

Deno.test("a failed commit keeps its offsets for the next one, behind newer ones", async () => {
  const { committer, sent, failing } = setup({ maxUncommitted: 100 });
  failing(true);
  committer.taken("t", 0, "3")();
  committer.taken("t", 1, "7")();
  await committer.flush();
  assert.equal(committer.uncommitted, 2, "nothing counted as committed");
  failing(false);
  committer.taken("t", 0, "4")();
  await committer.flush();
  assert.deepEqual(sent.at(-1), [
    { topic: "t", partition: 0, offset: "5" },
    { topic: "t", partition: 1, offset: "8" },
  ]);
  assert.equal(committer.uncommitted, 0);
  committer.stop();
});

Deno.test("after a rejoin the committer forgets what the group will deliver again", async () => {
  const { committer, sent } = setup({ maxUncommitted: 100 });
  committer.taken("t", 0, "3")();
  committer.rejoined();
  assert.equal(committer.uncommitted, 0);
  await committer.flush();
  assert.deepEqual(sent, [], "nothing of the old generation is committed");
  committer.stop();
});

Deno.test("the committer refuses a bound that is not a positive integer", () => {
  assert.throws(() => setup({ maxUncommitted: 0 }), /maxUncommitted must be a positive integer/);
});

Deno.test("the committer commits by itself after the interval", async () => {
  const { committer, sent } = setup({ maxUncommitted: 100, intervalMs: 20 });
  committer.taken("t", 0, "0")();
  await waitFor(() => sent.length === 1, "the interval's commit");
  assert.equal(sent[0]![0]!.offset, "1");
  committer.stop();
});

Deno.test("a commit that fails after a rejoin is dropped with its generation", async () => {
  const logged: string[] = [];
  let reject!: (reason: unknown) => void;
  const committer = new OffsetCommitter({
    commit: () => new Promise((_, r) => reject = r),
    intervalMs: 60_000,
    maxUncommitted: 100,
    onSettled: () => {},
    log: (_, message) => void logged.push(message),
  });
  committer.taken("t", 0, "3")();
  const flushing = committer.flush();
  committer.rejoined();
  reject("generation 4 is over");
  await flushing;
  assert.match(logged[0]!, /Commit of t@0:4 failed: generation 4 is over/);
  assert.equal(committer.uncommitted, 0, "the next generation delivers those records again");
  await committer.flush();
  committer.stop();
});

Deno.test("a record still running keeps its partition's commit behind it; the others go on", async () => {
  const { committer, sent } = setup({ maxUncommitted: 100 });
  const slow = committer.taken("t", 0, "10");
  committer.taken("t", 0, "11")();
  committer.taken("t", 0, "12")();
  committer.taken("t", 1, "4")();
  await committer.flush();
  assert.deepEqual(sent, [[{ topic: "t", partition: 1, offset: "5" }]], "partition 0 waits for 10");
  assert.equal(committer.uncommitted, 3, "10 runs, 11 and 12 wait behind it");
  slow();
  await committer.flush();
  assert.deepEqual(sent.at(-1), [{ topic: "t", partition: 0, offset: "13" }]);
  assert.equal(committer.uncommitted, 0);
  committer.stop();
});

Deno.test("records finished behind a running one count to the bound, and hold the consumer", async () => {
  const { committer, sent } = setup({ maxUncommitted: 4 });
  const slow = committer.taken("t", 0, "0");
  for (let i = 1; i < 4; i++) committer.taken("t", 0, String(i))();
  assert.equal(committer.atBound, true);
  await committer.flush();
  assert.deepEqual(sent, [], "nothing may be committed while 0 runs");
  slow();
  await waitFor(() => !committer.atBound, "the commit after the slow record finished");
  assert.deepEqual(sent, [[{ topic: "t", partition: 0, offset: "4" }]]);
  committer.stop();
});

Deno.test("a record that finishes after a rejoin commits nothing", async () => {
  const { committer, sent } = setup({ maxUncommitted: 100 });
  const slow = committer.taken("t", 0, "3");
  committer.rejoined();
  slow();
  await committer.flush();
  assert.deepEqual(sent, [], "the next generation delivers it again");
  assert.equal(committer.uncommitted, 0);
  committer.stop();
});

Deno.test("a record that finishes after the committer stopped starts no timer", async () => {
  const { committer, sent } = setup({ maxUncommitted: 100, intervalMs: 1 });
  const late = committer.taken("t", 0, "3");
  committer.stop();
  late();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(sent, [], "no commit on a consumer that left");
});

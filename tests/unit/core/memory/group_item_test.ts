/**
 * A group's item in memory: stored as `group:<author>` with its taint, and a context item found by
 * keywords and by meaning until it expires, by neither after, and deleted by purgeExpired with its
 * vector.
 */
import assert from "node:assert/strict";
import { waitFor } from "../../../_support/wait.ts";
import { FakeEmbedder, tempMemory } from "./_helpers.ts";

Deno.test("a context item leaves both rankings at its expiry, and purgeExpired deletes it and its vector", async () => {
  await using t = await tempMemory({ embedder: new FakeEmbedder() });
  const { memory } = t;
  await memory.indexGroupItem({
    itemId: "mem-1",
    authorId: "ann",
    title: "Freeze",
    content: "deploys are frozen briefly",
    taint: "untrusted",
    expiresAt: new Date(Date.now() + 500),
  });
  await memory.indexGroupItem({
    itemId: "mem-2",
    authorId: "ann",
    content: "deploys run on Mondays",
    taint: "trusted",
  });
  const before = await memory.search("deploys frozen");
  assert.equal(before.mode, "hybrid");
  const frozen = before.hits.find((h) => h.content.includes("frozen"));
  assert.ok(frozen?.keywordRank !== undefined && frozen.vectorRank !== undefined);
  assert.equal(frozen.source, "group:ann");
  assert.equal(frozen.taint, "untrusted");
  await waitFor(
    async () =>
      !(await memory.search("deploys frozen")).hits.some((h) => h.content.includes("frozen")),
    "the context item to expire",
  );
  const after = await memory.search("deploys frozen");
  assert.deepEqual(after.hits.map((h) => h.content), ["deploys run on Mondays"]);
  assert.equal(after.taint, "trusted");
  assert.equal(memory.status().chunks, 2, "still stored until purged");
  assert.equal(memory.purgeExpired(), 1);
  assert.equal(memory.status().chunks, 1);
  assert.deepEqual(memory.status().models, [{ model: "fake/embed-a", count: 1 }]);
});

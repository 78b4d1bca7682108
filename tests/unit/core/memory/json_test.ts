/**
 * Memory's records as JSON (what the API answers and `kafclaw memory --json` prints): snake_case
 * keys at every level a record has, absent values null, data (a prune's kinds) as it is.
 */
import assert from "node:assert/strict";
import {
  Memory,
  openWithVectors,
  pruneJson,
  reindexJson,
  searchJson,
  statusJson,
} from "../../../../core/memory/mod.ts";

Deno.test("memory's search, status, prune and re-index as JSON have snake_case keys", async () => {
  const { timeline, vectors } = openWithVectors(":memory:");
  try {
    const memory = new Memory(timeline, { vectors });
    await memory.remember("the staging database listens on port 5433", { taint: "trusted" });
    const search = searchJson(await memory.search("staging database"));
    assert.equal(search.mode, "keyword");
    assert.deepEqual(Object.keys(search.hits[0]!).filter((k) => /[A-Z]/.test(k)), []);
    assert.equal(search.hits[0]!.keyword_rank, 1);
    assert.equal(search.hits[0]!.vector_rank, null);

    const status = statusJson(memory.status());
    assert.deepEqual([status.chunks, status.max_chunks, status.last_error], [1, 50000, null]);
    assert.deepEqual(status.kinds.map(({ kind, count }) => [kind, count]), [["user", 1]]);
    assert.deepEqual(Object.keys(status.kinds[0]!).filter((k) => /[A-Z]/.test(k)), []);
    assert.equal(typeof status.sqlite_vec.available, "boolean");
    assert.deepEqual(Object.keys(status).filter((k) => /[A-Z]/.test(k)), []);

    assert.deepEqual(pruneJson({ expired: { toolResult: 2 }, overCap: 1, remaining: 3 }), {
      expired: { toolResult: 2 },
      over_cap: 1,
      remaining: 3,
    });
    const plan = {
      model: "ollama/e5",
      dimension: undefined,
      indexDimension: 384,
      foreign: 1,
      toEmbed: 1,
      total: 1,
    };
    assert.deepEqual(reindexJson({ plan, done: false, embedded: 0 }), {
      done: false,
      embedded: 0,
      plan: {
        model: "ollama/e5",
        dimension: null,
        index_dimension: 384,
        foreign: 1,
        to_embed: 1,
        total: 1,
      },
    });
  } finally {
    timeline.close();
  }
});

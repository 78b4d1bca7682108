import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  CodeIndex,
  MEAN_SAMPLE,
  meanOf,
  openWithVectors,
  poolSize,
  storeVectors,
} from "../../../../core/memory/mod.ts";
import type { Timeline, ZoneFilter } from "../../../../core/timeline/mod.ts";
import { seededRandom } from "../../../../core/transport/mod.ts";
import { addChunk, otherProcess } from "../timeline/_helpers.ts";

const MODEL = "test/vectors";
const DIMENSION = 32;

/** A timeline file that several connections open, and the vectors stored in it by seq. */
async function sharedFile() {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-codes-" });
  const path = `${dir}/timeline.db`;
  const opened: Timeline[] = [];
  const next = seededRandom(3);
  const stored = new Map<number, { vector: Float32Array; zone: string | undefined }>();
  return {
    path,
    stored,
    /** A new connection (as another process has). */
    open(): Timeline {
      const { timeline } = openWithVectors(path);
      opened.push(timeline);
      return timeline;
    },
    /** A random unit vector. */
    vector(): Float32Array {
      const v = Float32Array.from({ length: DIMENSION }, () => next() * 2 - 1);
      const norm = Math.hypot(...v);
      return v.map((x) => x / norm);
    },
    /** Stores chunks with these vectors through `timeline`; returns their seqs. */
    add(timeline: Timeline, vectors: Float32Array[], zone?: string): number[] {
      const seqs = timeline.transaction(() =>
        vectors.map((vector) => {
          const chunk = addChunk(timeline, `c${stored.size}-${crypto.randomUUID()}`, { zone });
          stored.set(chunk.seq, { vector, zone });
          return chunk.seq;
        })
      );
      storeVectors(timeline, MODEL, seqs.map((seq) => ({ seq, vector: stored.get(seq)!.vector })));
      return seqs;
    },
    /** Deletes chunks by seq, as another process would. */
    remove(seqs: readonly number[]) {
      const db = new DatabaseSync(path);
      db.exec("PRAGMA foreign_keys = ON");
      db.prepare("DELETE FROM memory_chunks WHERE seq IN (SELECT value FROM json_each(?))")
        .run(JSON.stringify(seqs));
      db.close();
      for (const seq of seqs) stored.delete(seq);
    },
    /** The `k` stored seqs nearest to `query` by exact cosine that `zones` sees. */
    exact(query: Float32Array, k: number, zones: ZoneFilter = "all"): number[] {
      const dot = (v: Float32Array) => v.reduce((sum, x, d) => sum + x * query[d]!, 0);
      return [...stored].filter(([, s]) =>
        zones === "all" || s.zone === undefined || zones.includes(s.zone)
      ).map(([seq, s]) => ({ seq, score: dot(s.vector) }))
        .sort((a, b) => b.score - a.score).slice(0, k).map((s) => s.seq);
    },
    async [Symbol.asyncDispose]() {
      for (const timeline of opened) timeline.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function seqs(index: CodeIndex, query: Float32Array, k: number, zones: ZoneFilter = "all") {
  return index.nearest(query, { zones, k }).map((n) => n.chunk.seq);
}

Deno.test("the pool grows with memory, within its bounds", () => {
  assert.deepEqual(
    [poolSize(10, 40), poolSize(100_000, 40), poolSize(10_000_000, 40), poolSize(10, 500)],
    [400, 500, 4000, 500],
  );
});

Deno.test("the 32nd vector of a model fixes its mean and gives every vector its code", async () => {
  await using f = await sharedFile();
  const timeline = f.open();
  const store = timeline.memory.vectors;
  const index = new CodeIndex(timeline, { model: MODEL, dimension: DIMENSION });
  f.add(timeline, Array.from({ length: MEAN_SAMPLE - 1 }, () => f.vector()));
  const query = f.vector();
  // no mean yet: every vector is ranked exactly, nothing is held
  assert.deepEqual(seqs(index, query, 10), f.exact(query, 10));
  assert.equal(store.mean(MODEL, DIMENSION), undefined);
  assert.equal(index.stats().vectors, 0);

  f.add(timeline, [f.vector(), f.vector()]);
  const first = [...f.stored.values()].slice(0, MEAN_SAMPLE).map((s) => s.vector);
  assert.deepEqual([...store.mean(MODEL, DIMENSION)!], [...meanOf(first)]);
  assert.deepEqual(store.uncoded(MODEL, { afterId: 0, limit: 100 }), []);
  assert.deepEqual(seqs(index, query, 10), f.exact(query, 10));
  assert.equal(index.stats().vectors, MEAN_SAMPLE + 1);

  // the mean stays as it was, whatever is stored later
  f.add(timeline, Array.from({ length: 100 }, () => f.vector()));
  assert.deepEqual([...store.mean(MODEL, DIMENSION)!], [...meanOf(first)]);
  assert.deepEqual(seqs(index, query, 40), f.exact(query, 40));
});

Deno.test("a model whose vectors were stored before it had a mean is coded at its first search", async () => {
  await using f = await sharedFile();
  const timeline = f.open();
  // as a timeline whose vectors came from sqlite-vec's table has them: without codes
  const vectors = Array.from({ length: 4200 }, () => f.vector()); // more than one batch
  const more = timeline.transaction(() =>
    vectors.map((vector, i) => {
      const chunk = addChunk(timeline, `raw${i}`);
      timeline.memory.vectors.set(chunk.seq, MODEL, vector, undefined);
      f.stored.set(chunk.seq, { vector, zone: undefined });
      return chunk.seq;
    })
  );
  const uncoded = () => timeline.memory.vectors.uncoded(MODEL, { afterId: 0, limit: 10_000 });
  assert.equal(uncoded().length, more.length);
  const index = new CodeIndex(f.open(), { model: MODEL, dimension: DIMENSION });
  const query = f.vector();
  assert.deepEqual(seqs(index, query, 10), f.exact(query, 10));
  assert.deepEqual(uncoded(), []);
  assert.equal(index.stats().vectors, more.length);
});

Deno.test("what another connection adds, replaces or deletes is seen by the next search", async () => {
  await using f = await sharedFile();
  const mine = f.open();
  const theirs = f.open();
  f.add(theirs, Array.from({ length: 600 }, () => f.vector()));
  const index = new CodeIndex(mine, { model: MODEL, dimension: DIMENSION });
  const query = f.vector();
  assert.deepEqual(seqs(index, query, 10), f.exact(query, 10));
  assert.equal(index.stats().vectors, 600);

  // added: a chunk whose vector is the query itself comes first, also among many more
  const [added] = f.add(theirs, [query]);
  assert.equal(seqs(index, query, 1)[0], added);
  assert.equal(index.stats().vectors, 601);
  const many = f.add(theirs, Array.from({ length: 1500 }, () => f.vector()));
  assert.equal(seqs(index, query, 1)[0], added);
  assert.equal(index.stats().vectors, 2101);
  f.remove(many);

  // replaced: the old best is moved away, another chunk becomes the query
  const [second] = f.exact(query, 2).slice(1);
  const away = query.map((x) => -x);
  storeVectors(theirs, MODEL, [{ seq: added!, vector: away }, { seq: second!, vector: query }]);
  f.stored.set(added!, { vector: away, zone: undefined });
  f.stored.set(second!, { vector: query, zone: undefined });
  assert.equal(seqs(index, query, 1)[0], second);
  assert.ok(!seqs(index, query, 40).includes(added!));
  assert.equal(index.stats().vectors, 601);

  // deleted: never returned again, and not held (most of them: the dead are swept out)
  const best = f.exact(query, 450);
  f.remove(best.slice(40));
  const after = seqs(index, query, 40);
  assert.deepEqual(after, f.exact(query, 40));
  assert.deepEqual(new Set(after), new Set(best.slice(0, 40)));
  assert.equal(index.stats().vectors, f.stored.size);
  // a deletion after the sweep still finds its slot, and new vectors still come in
  f.remove(best.slice(0, 1));
  const [fresh] = f.add(theirs, [query]);
  assert.deepEqual(seqs(index, query, 40), f.exact(query, 40));
  assert.equal(seqs(index, query, 1)[0], fresh);
  assert.equal(index.stats().vectors, f.stored.size);
});

Deno.test("an index that missed more deletions than the log keeps loads everything again", async () => {
  await using f = await sharedFile();
  const mine = f.open();
  const theirs = f.open();
  const doomed = f.add(theirs, Array.from({ length: 10_050 }, () => f.vector()));
  const index = new CodeIndex(mine, { model: MODEL, dimension: DIMENSION });
  const query = f.vector();
  assert.equal(seqs(index, query, 5).length, 5);
  f.remove(doomed.slice(0, 10_020));
  const added = f.add(theirs, [f.vector(), query]);
  assert.deepEqual(seqs(index, query, 40), f.exact(query, 40));
  assert.equal(seqs(index, query, 1)[0], added[1]);
  assert.equal(index.stats().vectors, 32);
});

Deno.test("chunks of zones a search does not see are never returned, nor crowd the others out", async () => {
  await using f = await sharedFile();
  const timeline = f.open();
  const query = f.vector();
  const near = () => f.vector().map((x, d) => x + 4 * query[d]!);
  // a thousand hidden chunks closer to the query than any public one, more than the pool holds
  f.add(timeline, Array.from({ length: 1000 }, near), "secret");
  f.add(timeline, Array.from({ length: 300 }, () => f.vector()));
  f.add(timeline, Array.from({ length: 100 }, near), "team");
  const index = new CodeIndex(timeline, { model: MODEL, dimension: DIMENSION });
  assert.deepEqual(seqs(index, query, 10, []), f.exact(query, 10, []));
  assert.deepEqual(seqs(index, query, 10, ["team"]), f.exact(query, 10, ["team"]));
  assert.deepEqual(seqs(index, query, 10, ["other"]), f.exact(query, 10, []));
  const all = index.nearest(query, { zones: "all", k: 10 });
  assert.ok(all.every((n) => n.chunk.zone !== undefined));
  assert.ok(all.some((n) => n.chunk.zone === "secret"));
});

Deno.test("chunks another process adds and deletes are seen by this one's next search", async () => {
  await using f = await sharedFile();
  const timeline = f.open();
  const seqs0 = f.add(timeline, Array.from({ length: 100 }, () => f.vector()));
  const index = new CodeIndex(timeline, { model: MODEL, dimension: DIMENSION });
  const query = f.vector();
  const before = seqs(index, query, 3);
  const memory = new URL("../../../../core/memory/mod.ts", import.meta.url).href;
  const out = await otherProcess(`
    import { openWithVectors, storeVectors } from ${JSON.stringify(memory)};
    const { timeline } = openWithVectors(${JSON.stringify(f.path)});
    timeline.memory.deleteBySource("user", []);
    const { chunk } = timeline.memory.upsert({
      id: "from-the-other-process", source: "tool:x", content: "x", tags: [], taint: "trusted",
    });
    storeVectors(timeline, ${JSON.stringify(MODEL)}, [
      { seq: chunk.seq, vector: new Float32Array(${JSON.stringify([...query])}) },
    ]);
    timeline.close();
    console.log(chunk.seq);
  `);
  const found = index.nearest(query, { zones: [], k: 10 });
  assert.deepEqual(found.map((n) => [n.chunk.seq, n.chunk.id]), [[
    Number(out),
    "from-the-other-process",
  ]]);
  assert.ok(before.every((seq) => seqs0.includes(seq)));
  assert.equal(index.stats().vectors, 1);
});

import assert from "node:assert/strict";
import {
  formatStatus,
  Memory,
  MemoryError,
  openWithVectors,
  storeVectors,
} from "../../../../core/memory/mod.ts";
import { FakeEmbedder, tempMemory } from "./_helpers.ts";

const FACTS = ["the gate code is 4711", "the boiler is serviced in October", "Sam feeds the cat"];

Deno.test("a changed embedding model makes search keyword-only until a confirmed reindex", async () => {
  const a = new FakeEmbedder("fake/embed-a");
  await using t = await tempMemory({ embedder: a });
  for (const fact of FACTS) assert.equal((await t.memory.remember(fact)).embedded, 1);

  const b = new FakeEmbedder("fake/embed-b");
  const memory = t.reopen({ embedder: b });
  const why = "3 chunk(s) were embedded by fake/embed-a, not fake/embed-b: run " +
    "`kafclaw memory reindex` to search by meaning again";
  assert.deepEqual([memory.status().mode, memory.status().reason], ["keyword", why]);
  const result = await memory.search("gate code");
  assert.deepEqual([result.mode, result.notice], ["keyword", `keyword search only: ${why}`]);
  assert.equal(result.hits.length, 1);
  const added = await memory.remember("new fact while the model differs");
  assert.deepEqual([added.embedded, added.notice], [0, `stored without vectors: ${why}`]);
  assert.equal(b.calls.length, 0);

  const plan = {
    model: "fake/embed-b",
    dimension: undefined,
    indexDimension: 16,
    foreign: 3,
    toEmbed: 4,
    total: 4,
  };
  assert.deepEqual(await memory.reindex(), { plan, done: false, embedded: 0 });
  assert.equal(memory.status().mode, "keyword");

  const progress: [number, number][] = [];
  const done = await memory.reindex({
    confirm: true,
    batchSize: 3,
    onProgress: (n, total) => progress.push([n, total]),
  });
  assert.deepEqual(done, { plan, done: true, embedded: 4 });
  assert.equal(memory.status().embeddingDimension, 16);
  assert.deepEqual(progress, [[0, 4], [3, 4], [4, 4]]);
  assert.deepEqual(b.calls.map((c) => c.length), [3, 1]);
  assert.deepEqual(memory.status().models, [{ model: "fake/embed-b", count: 4 }]);
  const unnamed = t.reopen({ embedder: b, vectors: undefined });
  assert.match(formatStatus(unnamed.status()), /\nsqlite-vec: v0\.1\.9, index of 16$/);
  assert.equal((await memory.search("gate code")).mode, "hybrid");
  assert.equal((await memory.reindex()).plan.toEmbed, 0);
});

Deno.test("a model's vector size is taken from its first answer and kept", async () => {
  for (const size of [384, 1536]) {
    const embedder = new FakeEmbedder("fake/embed-a", size);
    await using t = await tempMemory({ embedder });
    assert.equal(t.memory.status().embeddingDimension, undefined);
    assert.match(
      formatStatus(t.memory.status()),
      /\nembedding model: fake\/embed-a \(vector size taken from its first answer\)\n/,
    );
    assert.equal(
      (await t.memory.indexSoulFile("SOUL.md", "## Who\nthe gate code is 4711")).embedded,
      1,
    );
    assert.equal(t.timeline.settings.get("embedding_dimension:fake/embed-a"), String(size));
    const again = t.reopen({ embedder });
    assert.deepEqual([again.status().mode, again.status().embeddingDimension], ["hybrid", size]);
    const calls = embedder.calls.length;
    assert.equal(
      (await again.indexSoulFile("SOUL.md", "## Who\nthe gate code is 4711")).embedded,
      0,
    );
    assert.equal(embedder.calls.length, calls, "an unchanged soul file is not embedded again");
    assert.equal((await again.search("gate code")).hits[0]?.vectorRank, 1);
    assert.match(
      formatStatus(again.status()),
      new RegExp(`embedding model: fake/embed-a \\(${size} dimensions\\)`),
    );
  }
});

Deno.test("a model answering with another size later is re-indexed once", async () => {
  await using t = await tempMemory({ embedder: new FakeEmbedder("fake/embed-a", 16) });
  for (const fact of FACTS) await t.memory.remember(fact);
  const small = new FakeEmbedder("fake/embed-a", 8);
  const memory = t.reopen({ embedder: small });
  const changed = await memory.remember("a fact told after the change");
  assert.deepEqual([changed.embedded, changed.notice], [
    0,
    "stored without vectors: fake/embed-a now answers with 8-dimensional vectors, 16 before: " +
    "run `kafclaw memory reindex` to embed every chunk again",
  ]);
  const why = "the vector index holds 16-dimensional vectors but fake/embed-a answers with 8: " +
    "run `kafclaw memory reindex`";
  assert.equal(memory.status().reason, why);
  const calls = small.calls.length;
  const later = await t.reopen({ embedder: small }).remember("and another one");
  assert.deepEqual([later.embedded, later.notice], [0, `stored without vectors: ${why}`]);
  assert.equal(small.calls.length, calls, "nothing is sent to the model until the re-index");
  assert.match(
    t.reopen({ embedder: small, command: "scripts/kafclaw" }).status().reason!,
    /: run `scripts\/kafclaw memory reindex`$/,
  );
  const { plan } = await memory.reindex({ confirm: true });
  assert.deepEqual([plan.dimension, plan.indexDimension, plan.foreign, plan.toEmbed], [
    8,
    16,
    0,
    5,
  ]);
  assert.equal(t.timeline.memory.vectors.dimension(), 8);
  assert.equal(memory.status().mode, "hybrid");
  assert.equal((await memory.search("boiler serviced")).hits[0]?.vectorRank, 1);
});

Deno.test("a timeline from before the record takes the size of the model's stored vectors", async () => {
  const embedder = new FakeEmbedder("fake/embed-a", 16);
  await using t = await tempMemory({ embedder });
  await t.memory.remember(FACTS[0]!);
  t.timeline.settings.delete("embedding_dimension:fake/embed-a");
  assert.equal(t.reopen({ embedder }).status().embeddingDimension, 16);
  assert.equal((await t.reopen({ embedder }).remember(FACTS[1]!)).embedded, 1);
});

Deno.test("an interrupted reindex resumes with the chunks still without a vector", async () => {
  const a = new FakeEmbedder("fake/embed-a");
  await using t = await tempMemory({ embedder: a });
  for (const fact of FACTS) await t.memory.remember(fact);
  const b = new FakeEmbedder("fake/embed-b");
  const memory = t.reopen({ embedder: b });
  const controller = new AbortController();
  await assert.rejects(
    memory.reindex({
      confirm: true,
      batchSize: 1,
      signal: controller.signal,
      onProgress: (n) => n === 1 && controller.abort(new Error("stopped by the user")),
    }),
    /stopped by the user/,
  );
  const status = memory.status();
  assert.deepEqual([status.mode, status.withoutVector], ["hybrid", 2]);
  const rest = await memory.reindex({ confirm: true });
  assert.deepEqual([rest.plan.foreign, rest.plan.toEmbed, rest.embedded], [0, 2, 2]);
});

Deno.test("a model answering vectors of mixed sizes stores chunks without vectors", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  const mixed = embedder.embed.bind(embedder);
  embedder.embed = async (texts, options) => {
    const vectors = await mixed(texts, options);
    return vectors.map((v, i) => i === 0 ? v.slice(0, 8) : v);
  };
  const result = await t.memory.rememberMany([{ content: "one fact" }, { content: "another" }]);
  assert.equal(
    result.notice,
    "stored without vectors: fake/embed-a returned vectors of 8 and 16 numbers",
  );
  await assert.rejects(t.memory.reindex({ confirm: true }), MemoryError);
  embedder.embed = (texts) => Promise.resolve(texts.map(() => []));
  assert.equal(
    (await t.memory.remember("a third")).notice,
    "stored without vectors: fake/embed-a returned vectors of 0 numbers",
  );
  embedder.embed = mixed;
  assert.equal((await t.memory.reindex({ confirm: true })).embedded, 3);
});

Deno.test("a call cancelled by its caller is not the model's last error", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  const controller = new AbortController();
  embedder.embed = () => {
    controller.abort(new Error("stopped by the user"));
    return Promise.reject(new Error("aborted"));
  };
  await assert.rejects(
    t.memory.rememberMany([{ content: "a fact" }], { signal: controller.signal }).then((r) => {
      if (r.notice) throw new Error(r.notice);
    }),
    /aborted/,
  );
  assert.equal(t.memory.status().lastError, undefined);
});

Deno.test("reindex needs an embedding model and sqlite-vec", async () => {
  await using t = await tempMemory({ embedderReason: "memory.embedding.enabled is false" });
  await assert.rejects(
    t.memory.reindex(),
    (e: Error) =>
      e instanceof MemoryError &&
      e.message === "Cannot re-index memory: memory.embedding.enabled is false",
  );
  const { timeline, vectors } = openWithVectors(":memory:", { sqliteVec: false });
  try {
    assert.deepEqual(vectors, { available: false, reason: "sqlite-vec was turned off" });
    const memory = new Memory(timeline, { vectors, embedder: new FakeEmbedder() });
    await assert.rejects(
      memory.reindex(),
      /^MemoryError: Cannot re-index memory: sqlite-vec was turned off$/,
    );
    const stored = await memory.remember("kept without a vector");
    assert.equal(stored.notice, "stored without vectors: sqlite-vec was turned off");
    assert.equal(memory.status().sqliteVec.available, false);
    assert.match(formatStatus(memory.status()), /\nsqlite-vec: not loaded$/);
    const bare = new Memory(timeline, { embedder: new FakeEmbedder() });
    assert.equal(
      bare.status().reason,
      "the sqlite-vec extension is not loaded on this connection",
    );
  } finally {
    timeline.close();
  }
});

Deno.test("a vector for a chunk that is gone is not stored", async () => {
  await using t = await tempMemory();
  assert.equal(storeVectors(t.timeline, "fake/x", [{ seq: 999, vector: new Float32Array(4) }]), 0);
  assert.equal(storeVectors(t.timeline, "fake/x", []), 0);
  assert.equal(t.timeline.memory.vectors.dimension(), undefined);
});

Deno.test("a chunk deleted without sqlite-vec takes its vector with it", async () => {
  const embedder = new FakeEmbedder();
  await using t = await tempMemory({ embedder });
  await t.memory.remember("tool output that expires", { source: "tool:exec" });
  await t.memory.remember("kept", { source: "user" });
  const other = openWithVectors(t.path, { sqliteVec: false, now: () => new Date("2027-01-01") });
  try {
    const plain = new Memory(other.timeline, { now: () => new Date("2027-01-01") });
    assert.deepEqual(plain.prune(), { expired: { tool: 1 }, overCap: 0, remaining: 1 });
  } finally {
    other.timeline.close();
  }
  assert.equal(t.timeline.memory.vectors.count(embedder.model), 1);
  const hits = (await t.memory.search("tool output that expires kept")).hits;
  assert.deepEqual(hits.map((h) => [h.content, h.vectorRank]), [["kept", 1]]);
});

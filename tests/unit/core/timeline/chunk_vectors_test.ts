import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Memory, openWithVectors, sqliteVecPath } from "../../../../core/memory/mod.ts";
import { migrate, MIGRATIONS, Timeline } from "../../../../core/timeline/mod.ts";
import { FakeEmbedder } from "../memory/_helpers.ts";
import { addChunk, tempDir, tempTimeline } from "./_helpers.ts";

function add(timeline: Timeline, id: string, zone?: string) {
  return addChunk(timeline, id, { zone });
}

/** A timeline as KafClaw wrote it before schema step 8: vectors in sqlite-vec's vec0 table. */
function vec0Timeline(path: string, embedder: FakeEmbedder): Map<string, number[]> {
  const db = new DatabaseSync(path, { allowExtension: true });
  db.loadExtension(sqliteVecPath());
  const before = MIGRATIONS.findIndex((m) => m.name === "memory vectors");
  migrate(db, { migrations: MIGRATIONS.slice(0, before) });
  db.exec(
    "CREATE VIRTUAL TABLE memory_vec USING vec0 " +
      "(zone text, embedding float[16] distance_metric=cosine)",
  );
  const vectors = new Map<string, number[]>();
  const chunk = db.prepare(
    `INSERT INTO memory_chunks (id, source, content, zone, embedding_model, created_at, updated_at)
      VALUES (?1, 'user', ?1, ?2, ?3, '2026-01-01', '2026-01-01') RETURNING seq`,
  );
  const vector = db.prepare("INSERT INTO memory_vec (rowid, zone, embedding) VALUES (?, ?, ?)");
  for (
    const [text, zone, embedded] of [
      ["the gate code is 4711", null, true],
      ["the team meets on Mondays", "team", true],
      ["no vector in the table", null, false], // as left by an interrupted write
    ] as const
  ) {
    const { seq } = chunk.get(text, zone, embedder.model)!;
    const v = embedder.vector(text);
    if (embedded) {
      vector.run(BigInt(seq as number), zone ?? "public", new Float32Array(v));
      vectors.set(text, v);
    }
  }
  vector.run(999n, "public", new Float32Array(16)); // an orphan: its chunk is gone
  db.close();
  return vectors;
}

Deno.test("an older timeline's vectors move out of sqlite-vec's table when it is next loaded", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  const embedder = new FakeEmbedder();
  const vectors = vec0Timeline(path, embedder);
  // a process without sqlite-vec migrates the schema but cannot read the old table: it stays
  Timeline.open(path).close();
  const { timeline } = openWithVectors(path);
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare(
      `SELECT c.content, v.model, v.zone, v.code, v.vector FROM memory_vectors v
        JOIN memory_chunks c ON c.seq = v.seq ORDER BY v.id`,
    ).all().map((
      r,
    ) => [r.content, r.model, r.zone, r.code, [
      ...new Float32Array((r.vector as Uint8Array).buffer),
    ]]);
    const old = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'memory_vec'")
      .get();
    const models = db.prepare("SELECT content, embedding_model FROM memory_chunks ORDER BY seq")
      .all().map((r) => [r.content, r.embedding_model]);
    db.close();
    const float = (v: number[]) => [...new Float32Array(v)];
    assert.deepEqual(rows, [
      [
        "the gate code is 4711",
        embedder.model,
        null,
        null,
        float(vectors.get("the gate code is 4711")!),
      ],
      [
        "the team meets on Mondays",
        embedder.model,
        "team",
        null,
        float(vectors.get("the team meets on Mondays")!),
      ],
    ]);
    assert.equal(old!.n, 0);
    assert.deepEqual(models, [
      ["the gate code is 4711", embedder.model],
      ["the team meets on Mondays", embedder.model],
      ["no vector in the table", null],
    ]);
    const memory = new Memory(timeline, { embedder });
    const found = await memory.search("gate code", { zones: ["team"] });
    assert.deepEqual([found.mode, found.hits[0]?.content, found.hits[0]?.vectorRank], [
      "hybrid",
      "the gate code is 4711",
      1,
    ]);
    assert.equal((await memory.reindex()).plan.toEmbed, 1);
  } finally {
    timeline.close();
  }
  // moved once: opening again changes nothing
  const again = openWithVectors(path).timeline;
  assert.equal(again.memory.vectors.adoptVec0(), 0);
  again.close();
});

Deno.test("a timeline whose old vector table cannot be read is refused with the reason", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  Timeline.open(path).close();
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE memory_vec (rowid_of_something INTEGER)");
  db.close();
  assert.throws(
    () => openWithVectors(path),
    (e: Error) =>
      e.message.startsWith(
        `Cannot move memory's vectors out of the sqlite-vec table of ${JSON.stringify(path)}: `,
      ) && /no such column/.test(e.message),
  );
  // the failed open closed its connection and left the file as it was
  const plain = Timeline.open(path);
  assert.equal(plain.memory.count(), 0);
  plain.close();
});

Deno.test("the log of deleted vectors keeps the last 10,000, in order", async () => {
  await using t = await tempTimeline();
  const store = t.timeline.memory.vectors;
  t.timeline.transaction(() => {
    for (let i = 0; i < 10_005; i++) {
      const chunk = add(t.timeline, `c${i}`);
      store.set(chunk.seq, "m/a", new Float32Array([1, i]), new Uint8Array(8));
    }
  });
  assert.equal(store.lastGone(), 0);
  assert.deepEqual(store.goneSince(0), []);
  t.timeline.memory.deleteBySource("user", []);
  const log = store.goneSince(0);
  assert.equal(log.length, 10_000);
  assert.deepEqual(log.slice(0, 2), [{ id: 6, vectorId: 6 }, { id: 7, vectorId: 7 }]);
  assert.equal(store.lastGone(), 10_005);
  assert.deepEqual(store.goneSince(10_004), [{ id: 10_005, vectorId: 10_005 }]);
});

Deno.test("codes come packed, the mean first stored stays, and ranked rows are filtered again", async () => {
  await using t = await tempTimeline();
  const { timeline } = t;
  const store = timeline.memory.vectors;
  const [a, b, c] = [add(timeline, "a"), add(timeline, "b", "team"), add(timeline, "c")];
  store.set(a!.seq, "m/a", new Float32Array([1, 0]), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
  store.set(b!.seq, "m/a", new Float32Array([0, 1]), Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
  store.set(c!.seq, "m/b", new Float32Array([1, 1]), Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 0));
  const packed = store.codes("m/a", 0);
  assert.deepEqual(packed.ids, [1, 2]);
  assert.deepEqual(packed.zones, [null, "team"]);
  assert.deepEqual([...packed.codes], [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(store.codes("m/a", 2), { ids: [], zones: [], codes: new Uint8Array() });

  store.saveMean("m/a", new Float32Array([0.5, 0.5]));
  store.saveMean("m/a", new Float32Array([9, 9]));
  assert.deepEqual([...store.mean("m/a", 2)!], [0.5, 0.5]);
  assert.equal(store.mean("m/a", 3), undefined);
  assert.equal(timeline.info().schemaVersion, MIGRATIONS.length);
  timeline.close();

  // given rows of another zone or model are not returned (the caller should not have given them)
  const vec = openWithVectors(t.path).timeline;
  try {
    const near = vec.memory.vectors.nearest(new Float32Array([1, 0]), {
      zones: [],
      k: 10,
      model: "m/a",
      among: [1, 2, 3, 99],
    });
    assert.deepEqual(near.map((n) => [n.chunk.id, n.distance]), [["a", 0]]);
  } finally {
    vec.close();
  }
});

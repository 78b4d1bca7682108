import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { migrate, MIGRATIONS, type Timeline } from "../../../../core/timeline/mod.ts";
import { addChunk, tempTimeline } from "./_helpers.ts";

/** Stores `content` as chunk `id` in `zone` (undefined: public). */
function add(timeline: Timeline, id: string, content: string, zone?: string) {
  return addChunk(timeline, id, { content, zone });
}

/** The keyword ranking as the store gave it before it ranked first: every match joined. */
function joinedRanking(path: string, match: string, zones: readonly string[], limit: number) {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(
      `SELECT c.id FROM memory_fts JOIN memory_chunks c ON c.seq = memory_fts.rowid
        WHERE memory_fts MATCH ?1 AND (c.zone IS NULL OR c.zone IN (SELECT value FROM json_each(?2)))
        ORDER BY bm25(memory_fts, 1.0, 0.5), c.seq DESC LIMIT ?3`,
    ).all(match, JSON.stringify(zones), limit).map((row) => String(row.id));
  } finally {
    db.close();
  }
}

Deno.test("keyword search gives the ranking of a full join, also when most matches are hidden", async () => {
  await using t = await tempTimeline();
  t.timeline.transaction(() => {
    for (let i = 0; i < 400; i++) {
      // the best matches (short, with the word twice) are in zones the search does not see
      const hidden = i % 50 !== 0;
      add(
        t.timeline,
        `c${i}`,
        hidden ? "kiwi kiwi" : `kiwi and ${"other words ".repeat(1 + (i % 7))}`,
        hidden ? `z${i % 3}` : undefined,
      );
    }
  });
  for (const [zones, limit] of [[[], 5], [["z1"], 20], [[], 8], [["z0", "z2"], 40]] as const) {
    const got = t.timeline.memory.keywordSearch('"kiwi"', { zones, limit });
    assert.deepEqual(got.map((h) => h.chunk.id), joinedRanking(t.path, '"kiwi"', zones, limit));
    assert.ok(got.every((h, i) => i === 0 || got[i - 1]!.rank <= h.rank));
  }
  const visible = t.timeline.memory.keywordSearch('"kiwi"', { zones: [], limit: 50 });
  assert.equal(visible.length, 8);
  assert.ok(visible.every((h) => h.chunk.zone === undefined));
  assert.equal(t.timeline.memory.keywordSearch('"kiwi"', { zones: "all", limit: 3 }).length, 3);
  assert.deepEqual(t.timeline.memory.keywordSearch('"mango"', { zones: "all", limit: 3 }), []);
});

Deno.test("other models' vectors are found by the model index, and counted", async () => {
  await using t = await tempTimeline();
  const [a, b, c] = ["one", "two", "three"].map((word, i) => add(t.timeline, `c${i}`, word));
  assert.deepEqual(t.timeline.memory.foreignModels("m/a"), []);
  // as a connection with sqlite-vec records the model of a vector it stored
  const other = new DatabaseSync(t.path);
  const setModel = (seq: number, model: string) =>
    other.prepare("UPDATE memory_chunks SET embedding_model = ? WHERE seq = ?").run(model, seq);
  setModel(a!.seq, "m/a");
  assert.deepEqual(t.timeline.memory.foreignModels("m/a"), []);
  setModel(b!.seq, "m/b");
  setModel(c!.seq, "m/0");
  assert.deepEqual(t.timeline.memory.foreignModels("m/a"), [
    { model: "m/0", count: 1 },
    { model: "m/b", count: 1 },
  ]);
  other.close();
});

Deno.test("an older timeline keeps its chunks and gains the model index", () => {
  const step = MIGRATIONS.find((m) => m.name === "memory by model")!;
  const db = new DatabaseSync(":memory:");
  migrate(db, { migrations: MIGRATIONS.slice(0, step.version - 1) });
  db.exec(
    `INSERT INTO memory_chunks (id, source, content, embedding_model, created_at, updated_at)
      VALUES ('old', 'user', 'kept across the upgrade', 'm/a', '2026-01-01', '2026-01-01')`,
  );
  // Only up to this step: the later ones were applied already, and are not run twice.
  const upTo = MIGRATIONS.slice(0, step.version);
  assert.equal(migrate(db, { migrations: upTo }), step.version);
  const plan = db.prepare(
    "EXPLAIN QUERY PLAN SELECT 1 FROM memory_chunks WHERE embedding_model < ?1 OR embedding_model > ?1",
  ).all("m/a").map((row) => String(row.detail)).join("\n");
  assert.match(plan, /USING COVERING INDEX memory_chunks_model/);
  assert.deepEqual(
    { ...db.prepare("SELECT id, content FROM memory_chunks").get() },
    { id: "old", content: "kept across the upgrade" },
  );
  assert.equal(
    db.prepare("SELECT count(*) AS n FROM memory_fts WHERE memory_fts MATCH 'upgrade'").get()!.n,
    1,
  );
  db.close();
});

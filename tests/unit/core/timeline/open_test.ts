import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  damagedError,
  migrate,
  type Migration,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion,
  Timeline,
  TimelineDamagedError,
  TimelineVersionError,
} from "../../../../core/timeline/mod.ts";
import { otherProcess, tempDir, tempTimeline, TIMELINE_URL } from "./_helpers.ts";
import { waitFor } from "../../../_support/wait.ts";

const mode = (path: string) => Deno.statSync(path).mode! & 0o777;

function schemaDump(path: string): string {
  const db = new DatabaseSync(path);
  try {
    const rows = db.prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY name").all();
    return JSON.stringify({ rows, version: schemaVersion(db) });
  } finally {
    db.close();
  }
}

const TABLES = [
  "agent_expertise",
  "approval_requests",
  "delegation_events",
  "group_members",
  "group_memory_items",
  "group_tasks",
  "group_traces",
  "llm_usage",
  "memory_chunks",
  "memory_fts",
  "policy_decisions",
  "replay_ids",
  "scheduled_jobs",
  "settings",
  "skill_channels",
  "skill_events",
  "tasks",
  "timeline_events",
];

Deno.test("opening an empty file applies every migration and sets WAL, busy timeout and FKs", async () => {
  await using t = await tempTimeline();
  const info = t.timeline.info();
  assert.equal(info.schemaVersion, SCHEMA_VERSION);
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  assert.equal(info.journalMode, "wal");
  assert.equal(info.foreignKeys, true);
  assert.equal(info.busyTimeoutMs, 5000);
  assert.equal(info.fts5, true);
  assert.equal(info.mmapBytes, 256 * 1024 * 1024);
  assert.equal(info.path, t.path);
  assert.match(info.sqliteVersion, /^3\.\d+\.\d+$/);
  t.timeline.close();
  const db = new DatabaseSync(t.path);
  const names = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all()
    .map((r) => r.name);
  db.close();
  for (const table of TABLES) assert.ok(names.includes(table), `missing table ${table}`);
});

Deno.test("re-opening a migrated timeline changes nothing and keeps the data", async () => {
  await using t = await tempTimeline();
  t.timeline.settings.set("silent_mode", "true");
  t.timeline.close();
  const before = schemaDump(t.path);
  using again = Timeline.open(t.path, { busyTimeoutMs: 1234 });
  assert.equal(again.info().busyTimeoutMs, 1234);
  assert.equal(again.settings.get("silent_mode"), "true");
  again.close();
  assert.equal(schemaDump(t.path), before);
});

Deno.test("a timeline written by a newer KafClaw is refused with a clear error", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  Timeline.open(path).close();
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  let error: unknown;
  try {
    Timeline.open(path);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TimelineVersionError);
  assert.equal(error.found, SCHEMA_VERSION + 1);
  assert.equal(error.supported, SCHEMA_VERSION);
  assert.equal(
    error.message,
    `Cannot open the timeline ${JSON.stringify(path)}: its schema version ${SCHEMA_VERSION + 1} ` +
      `is newer than this KafClaw supports (${SCHEMA_VERSION}); upgrade KafClaw`,
  );
  assert.equal(schemaDump(path).includes(`"version":${SCHEMA_VERSION + 1}`), true);
});

Deno.test("a failing migration rolls back and leaves the database as it was", async () => {
  await using t = await tempTimeline();
  t.timeline.settings.set("k", "v");
  t.timeline.close();
  const before = schemaDump(t.path);
  const failing: Migration[] = [
    ...MIGRATIONS,
    {
      version: SCHEMA_VERSION + 1,
      name: "broken",
      sql:
        "CREATE TABLE half_done (x); DELETE FROM settings; INSERT INTO no_such_table VALUES (1);",
    },
  ];
  const db = new DatabaseSync(t.path);
  assert.throws(
    () => migrate(db, { migrations: failing }),
    (error: Error) => {
      assert.match(
        error.message,
        new RegExp(
          `^Cannot migrate the timeline ".*timeline\\.db" to version ${SCHEMA_VERSION + 1} ` +
            `\\("broken"\\): no such table: no_such_table$`,
        ),
      );
      assert.ok(error.cause instanceof Error);
      return true;
    },
  );
  assert.equal(db.isTransaction, false);
  db.close();
  assert.equal(schemaDump(t.path), before);
  using again = Timeline.open(t.path);
  assert.equal(again.settings.get("k"), "v");
});

Deno.test("a migration that SQLite itself rolls back still leaves the database unchanged", () => {
  const db = new DatabaseSync(":memory:");
  const steps: Migration[] = [{
    version: 1,
    name: "self-rollback",
    sql: `CREATE TABLE t (x);
      CREATE TRIGGER t_no BEFORE INSERT ON t BEGIN SELECT RAISE(ROLLBACK, 'refused'); END;
      INSERT INTO t VALUES (1);`,
  }];
  assert.throws(
    () => migrate(db, { migrations: steps, path: "mem" }),
    /"mem" to version 1.*refused/,
  );
  assert.equal(schemaVersion(db), 0);
  assert.equal(db.prepare("SELECT count(*) AS n FROM sqlite_schema").get()!.n, 0);
  db.close();
});

Deno.test("migrations apply only the missing steps and must be numbered from 1", () => {
  const db = new DatabaseSync(":memory:");
  assert.equal(migrate(db, { migrations: MIGRATIONS.slice(0, 1) }), 1);
  assert.equal(migrate(db), SCHEMA_VERSION);
  assert.equal(migrate(db), SCHEMA_VERSION);
  assert.throws(
    () => migrate(db, { migrations: [{ version: 2, name: "two", sql: "" }] }),
    (e: Error) =>
      e instanceof RangeError && e.message === 'Migration "two" has version 2, expected 1',
  );
  assert.throws(
    () => migrate(db, { migrations: [] }),
    new RegExp(`":memory:": its schema version ${SCHEMA_VERSION}`),
  );
  db.close();
});

Deno.test("an older timeline upgrades in place: jobs added before origins existed are the CLI's", () => {
  const db = new DatabaseSync(":memory:");
  migrate(db, { migrations: MIGRATIONS.slice(0, 3) });
  db.exec(
    `INSERT INTO scheduled_jobs (job_name, schedule, message, created_at, updated_at)
      VALUES ('old', '* * * * *', 'm', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
  );
  assert.equal(migrate(db), SCHEMA_VERSION);
  assert.deepEqual(
    { ...db.prepare("SELECT job_name, origin FROM scheduled_jobs").get() },
    { job_name: "old", origin: "cli" },
  );
  assert.throws(() => db.exec("UPDATE scheduled_jobs SET origin = 'api'"), /CHECK constraint/);
  db.close();
});

Deno.test("the database and its WAL files are 0600 in a 0700 folder", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/home/timeline.db`;
  using a = Timeline.open(path);
  a.settings.set("x", "1");
  assert.equal(mode(path), 0o600);
  assert.equal(mode(`${d.dir}/home`), 0o700);
  for (const sibling of ["-wal", "-shm"]) {
    assert.equal(mode(path + sibling), 0o600);
    Deno.chmodSync(path + sibling, 0o644);
  }
  Deno.chmodSync(path, 0o644);
  using b = Timeline.open(path);
  for (const file of [path, `${path}-wal`, `${path}-shm`]) assert.equal(mode(file), 0o600);
  assert.equal(b.settings.get("x"), "1");
});

Deno.test("an in-memory timeline works for tests of other modules", () => {
  using timeline = Timeline.open(":memory:");
  assert.equal(timeline.info().journalMode, "memory");
  assert.equal(timeline.info().mmapBytes, 0);
  timeline.settings.set("a", "b");
  assert.equal(timeline.settings.get("a"), "b");
  timeline.close();
  timeline.close(); // closing twice is harmless
});

Deno.test("a failure while opening closes the connection and reports it", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  const text = "this is not a database, just some text that is long enough";
  Deno.writeTextFileSync(path, text);
  assert.throws(() => Timeline.open(path), (error: Error) => {
    assert.ok(error instanceof TimelineDamagedError, String(error));
    assert.equal(error.path, path);
    // What SQLite said, the file, and where to turn; the file itself is left as it was.
    assert.match(error.message, /not a database/);
    assert.ok(error.message.includes(JSON.stringify(path)), error.message);
    assert.match(error.message, /kafclaw doctor/);
    return true;
  });
  assert.equal(Deno.readTextFileSync(path), text);
  assert.throws(() => Timeline.open(d.dir), Error);
});

Deno.test("a damaged page met by a query is reported with the file, not in SQLite's bare words", async () => {
  await using t = await tempTimeline();
  for (let i = 0; i < 400; i++) {
    t.timeline.events.record({ kind: "INBOUND", contentText: `${i} ${"x".repeat(200)}` });
  }
  t.timeline.close();
  // Every page after the schema's first one overwritten: the tables' pages no longer read.
  const bytes = Deno.readFileSync(t.path);
  bytes.fill(0x5a, 4096);
  Deno.writeFileSync(t.path, bytes);
  let timeline: Timeline | undefined;
  try {
    timeline = Timeline.open(t.path);
    timeline.events.list({ limit: 500 });
    assert.fail("the damaged pages were read without an error");
  } catch (error) {
    assert.ok(error instanceof TimelineDamagedError, String(error));
    assert.match(error.message, /malformed|corrupt|not a database/);
  } finally {
    timeline?.close();
  }
});

Deno.test("only SQLite's own errors count as damage, wrapped or not", () => {
  const sqlite = Object.assign(new Error("database disk image is malformed"), {
    code: "ERR_SQLITE_ERROR",
  });
  const wrapped = new Error("Cannot migrate step 3", { cause: sqlite });
  assert.equal(damagedError(wrapped, "/t.db")?.cause, sqlite);
  assert.ok(damagedError(sqlite, "/t.db") instanceof TimelineDamagedError);
  const once = damagedError(sqlite, "/t.db")!;
  assert.equal(damagedError(once, "/t.db"), once);
  assert.equal(damagedError(new Error("a malformed record"), "/t.db"), undefined);
  assert.equal(damagedError(new Error("x", { cause: new Error("malformed") }), "/t.db"), undefined);
  assert.equal(damagedError("malformed", "/t.db"), undefined);
});

Deno.test("the FTS5 index follows memory chunks through insert, update and delete", async () => {
  await using t = await tempTimeline();
  t.timeline.close();
  const db = new DatabaseSync(t.path);
  const search = (q: string) =>
    db.prepare(
      "SELECT c.id FROM memory_fts f JOIN memory_chunks c ON c.seq = f.rowid WHERE memory_fts MATCH ?",
    ).all(q).map((r) => r.id);
  db.prepare(
    `INSERT INTO memory_chunks (id, source, content, tags, created_at, updated_at)
      VALUES (?, 'user', ?, ?, 'now', 'now')`,
  ).run("c1", "The café opens at nine", "schedule coffee");
  assert.deepEqual(search("cafe"), ["c1"]);
  assert.deepEqual(search("tags:coffee"), ["c1"]);
  db.prepare("UPDATE memory_chunks SET content = 'closed on sundays' WHERE id = 'c1'").run();
  assert.deepEqual(search("cafe"), []);
  assert.deepEqual(search("sundays"), ["c1"]);
  db.prepare("DELETE FROM memory_chunks WHERE id = 'c1'").run();
  assert.deepEqual(search("sundays"), []);
  db.close();
});

Deno.test("a skill event needs its expertise row (foreign keys are on)", async () => {
  await using t = await tempTimeline();
  t.timeline.close();
  const db = new DatabaseSync(t.path);
  const insert = db.prepare(
    "INSERT INTO skill_events (skill, action, quality, created_at) VALUES ('shell', 'x', 1, 'now')",
  );
  assert.throws(() => insert.run(), /FOREIGN KEY constraint failed/);
  db.close();
});

Deno.test("two instances on one file see each other's writes", async () => {
  await using t = await tempTimeline();
  using other = Timeline.open(t.path);
  t.timeline.settings.set("group_name", "g1");
  assert.equal(other.settings.get("group_name"), "g1");
  other.transaction(() => other.settings.set("group_name", "g2"));
  assert.equal(t.timeline.settings.get("group_name"), "g2");
});

Deno.test("processes that open a new file at once migrate it exactly once", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  const code = `import { Timeline } from ${JSON.stringify(TIMELINE_URL)};
    const t = Timeline.open(${JSON.stringify(path)});
    console.log(t.info().schemaVersion);
    t.close();`;
  const outputs = await Promise.all([1, 2, 3, 4].map(() => otherProcess(code)));
  assert.deepEqual(outputs, Array(4).fill(String(SCHEMA_VERSION)));
  using timeline = Timeline.open(path);
  assert.equal(timeline.info().schemaVersion, SCHEMA_VERSION);
});

/** A writer on another thread, holding `path` in a write transaction (see the worker). */
async function writer(path: string, holdMs?: number) {
  const worker = new Worker(new URL("./_writer_worker.ts", import.meta.url), { type: "module" });
  const said: string[] = [];
  const writing = new Promise<void>((resolve, reject) => {
    worker.onmessage = (e) => {
      said.push(e.data);
      if (e.data === "writing") resolve();
      if (String(e.data).startsWith("failed")) reject(new Error(`The writer ${e.data}`));
    };
  });
  worker.postMessage({ path, ...(holdMs === undefined ? {} : { holdMs }) });
  await writing;
  return { said, [Symbol.dispose]: () => worker.terminate() };
}

/** A database file in the default journal mode with one table, as another process left it. */
function seeded(path: string): string {
  const db = new DatabaseSync(path);
  db.exec("CREATE TABLE seed (a)");
  db.close();
  return path;
}

Deno.test("opening a file while another process writes it retries the switch to WAL", async () => {
  await using d = await tempDir();
  {
    // SQLite refuses the switch at once, without its busy timeout, while another connection
    // writes (several processes migrating a new file at once): the open retries until it is free.
    const path = seeded(`${d.dir}/timeline.db`);
    using w = await writer(path, 150);
    using timeline = Timeline.open(path, { busyTimeoutMs: 10_000 });
    assert.equal(timeline.info().journalMode, "wal");
    assert.equal(timeline.info().schemaVersion, SCHEMA_VERSION);
    await waitFor(() => w.said.length === 2, "the writer to let go");
    assert.deepEqual(w.said, ["writing", "done"]);
  }
  {
    // A writer that never lets go: after the busy timeout the open fails, naming the lock.
    const path = seeded(`${d.dir}/other.db`);
    using _w = await writer(path);
    assert.throws(() => Timeline.open(path, { busyTimeoutMs: 200 }), /database is locked/);
  }
});

/**
 * checkTimeline, which `doctor` runs: SQLite's quick check of timeline.db, read-only, on a disk
 * with room and on a full one.
 */
import assert from "node:assert/strict";
import { checkTimeline, DiskFullError, Timeline } from "../../../../core/timeline/mod.ts";
import { smallDisk, TMPFS } from "../../../_support/full_disk.ts";
import { tempDir } from "./_helpers.ts";

/** A closed timeline at `path` with some rows in it. */
function written(path: string): void {
  using timeline = Timeline.open(path);
  for (let i = 0; i < 40; i++) {
    timeline.events.record({ kind: "LLM", contentText: "x".repeat(2000) });
  }
}

/** Overwrites every page after the first (the schema): the tables' pages are garbage. */
function damage(path: string): void {
  const size = Deno.statSync(path).size;
  using file = Deno.openSync(path, { write: true });
  file.seekSync(4096, Deno.SeekMode.Start);
  const garbage = new Uint8Array(size - 4096).fill(0x5a);
  for (let at = 0; at < garbage.length;) at += file.writeSync(garbage.subarray(at));
}

const sha256 = async (path: string) =>
  new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path))).join();

Deno.test("a healthy timeline checks ok, and checking changes nothing in it", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  written(path);
  const before = await sha256(path);
  assert.deepEqual(checkTimeline(path), { ok: true, problems: [] });
  assert.equal(await sha256(path), before);
});

Deno.test("a damaged timeline is a finding that says what SQLite found, not an error", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  written(path);
  damage(path);
  assert.deepEqual(checkTimeline(path), {
    ok: false,
    problems: ["database disk image is malformed"],
  });
  const junk = `${d.dir}/junk.db`;
  await Deno.writeTextFile(junk, "x".repeat(8192));
  assert.deepEqual(checkTimeline(junk), { ok: false, problems: ["file is not a database"] });
});

Deno.test("a timeline that cannot be opened is an error, not a finding", async () => {
  await using d = await tempDir();
  assert.throws(() => checkTimeline(`${d.dir}/missing.db`), /unable to open database file/);
});

Deno.test({
  name: "on a full disk a timeline with an empty WAL is checked, and a damaged one found so",
  ignore: !TMPFS,
  async fn() {
    // room for both timelines and the WAL of the second before the disk is filled
    await using disk = (await smallDisk(4096))!;
    const healthy = `${disk.path}/timeline.db`;
    const damaged = `${disk.path}/damaged.db`;
    written(healthy);
    written(damaged);
    damage(damaged);
    await disk.fill(0);
    assert.deepEqual(checkTimeline(healthy), { ok: true, problems: [] });
    assert.deepEqual(checkTimeline(damaged), {
      ok: false,
      problems: ["database disk image is malformed"],
    });
  },
});

Deno.test({
  name: "on a full disk a timeline with pages in its WAL is not checked: the disk is said full",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(2048))!;
    const live = `${disk.path}/live.db`;
    const copy = `${disk.path}/timeline.db`;
    // A copy taken with its WAL but not the shared-memory file, as a backup tool might.
    {
      using timeline = Timeline.open(live);
      timeline.events.record({ kind: "LLM", contentText: "y".repeat(5000) });
      await Deno.copyFile(live, copy);
      await Deno.copyFile(`${live}-wal`, `${copy}-wal`);
    }
    await Deno.remove(live);
    await disk.fill(0);
    assert.throws(() => checkTimeline(copy), (error: unknown) => {
      assert.ok(error instanceof DiskFullError, String(error));
      assert.match(
        error.message,
        new RegExp(`^The disk holding ${copy} is full \\(0 bytes free\\)`),
      );
      return true;
    });
    // A WAL that cannot even be opened is an error too, never taken for an empty one.
    await Deno.remove(`${copy}-wal`);
    await Deno.symlink(`${copy}-wal`, `${copy}-wal`);
    assert.throws(() => checkTimeline(copy), /^Error: unable to open database file/);
  },
});

/**
 * How room on the disk is measured, shown and recognised as missing: the words `doctor` and a
 * failed write show, and which errors count as a full disk.
 */
import assert from "node:assert/strict";
import {
  DiskFullError,
  diskFullError,
  ensureRoom,
  freeBytes,
  MIN_FREE_BYTES,
  showBytes,
} from "../../../../core/timeline/mod.ts";
import { smallDisk, TMPFS } from "../../../_support/full_disk.ts";
import { waitFor } from "../../../_support/wait.ts";
import { tempDir } from "./_helpers.ts";

const ENOSPC = "No space left on device (os error 28)";
const FULL = (path: string) =>
  new RegExp(
    `^The disk holding ${path} is full \\(\\d+(\\.\\d)? (bytes|KiB|MiB|GiB|TiB) free\\): ` +
      "free some space there and try again$",
  );

Deno.test("sizes are shown in bytes below 1 KiB, else in the largest unit with one decimal below 10", () => {
  const KiB = 1024, MiB = KiB ** 2, GiB = KiB ** 3, TiB = KiB ** 4;
  const shown = [0, 1023, KiB, 1.5 * KiB, 10.7 * KiB, 40 * KiB, MiB, 3.2 * GiB, 2048 * TiB]
    .map(showBytes);
  assert.deepEqual(shown, [
    "0 bytes",
    "1023 bytes",
    "1 KiB",
    "1.5 KiB",
    "10 KiB",
    "40 KiB",
    "1 MiB",
    "3.2 GiB",
    "2048 TiB",
  ]);
});

Deno.test("the free space of a path not created yet is that of its nearest existing folder", async () => {
  await using d = await tempDir();
  // Other processes write to this disk too: compared at a moment its free space held still.
  await waitFor(() => {
    const before = freeBytes(d.dir);
    const free = freeBytes(`${d.dir}/home/not/yet/timeline.db`);
    return before === free && free === freeBytes(d.dir);
  }, "the same free space for the folder and the path below it");
  // A path that cannot exist (below a file) is an error, not the free space of somewhere else.
  await Deno.writeTextFile(`${d.dir}/file`, "x");
  assert.throws(() => freeBytes(`${d.dir}/file/home`), /ENOTDIR/);
});

Deno.test("errors of a write that found no room become a DiskFullError naming the file", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  for (
    const message of [ENOSPC, "Disk quota exceeded (os error 122)", "database or disk is full"]
  ) {
    const error = new Error(message);
    const full = diskFullError(error, path);
    assert.ok(full instanceof DiskFullError, message);
    assert.equal(full.path, path);
    assert.equal(full.cause, error, "the original error is kept");
    assert.match(full.message, FULL(path));
  }
  // A failed migration step wraps SQLite's error: judged by what it wraps.
  const step = (inner: string) =>
    new Error(`Cannot migrate the timeline "${path}" to version 3 ("memory"): ${inner}`, {
      cause: new Error(inner),
    });
  const wrapped = step("database or disk is full");
  assert.equal(diskFullError(wrapped, path)?.cause, wrapped);
  assert.equal(diskFullError(step("no such table: memory_chunks"), path), undefined);
  // One already recognised keeps the file where the disk filled up.
  const first = new DiskFullError(`${d.dir}/sessions/cli_default.jsonl`, 0);
  assert.equal(diskFullError(first, d.dir), first);
  // Wrapped by a step, it is named again for the step's file, with the free space it found.
  const again = diskFullError(new Error("a step failed", { cause: first }), path);
  assert.deepEqual([again?.path, again?.free], [path, 0]);
});

Deno.test("errors that are not a full disk are left as they are", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  assert.ok(freeBytes(d.dir) >= MIN_FREE_BYTES, "this test needs a disk with room");
  for (
    const error of [
      new Error("File too large (os error 27)"),
      new Error("database is locked"),
      // SQLite says only this of some writes on a full disk; on a disk with room it is not one.
      new Error("disk I/O error"),
      "a string thrown",
      undefined,
    ]
  ) {
    assert.equal(diskFullError(error, path), undefined, String(error));
  }
});

Deno.test("a full disk whose free space cannot be read is still said to be full", async () => {
  await using d = await tempDir();
  await Deno.writeTextFile(`${d.dir}/file`, "x");
  const path = `${d.dir}/file/timeline.db`;
  const full = diskFullError(new Error(ENOSPC), path);
  assert.ok(full instanceof DiskFullError);
  assert.equal(full.free, undefined);
  assert.equal(
    full.message,
    `The disk holding ${path} is full: free some space there and try again`,
  );
  // An I/O error counts as a full disk only when the disk is seen to be nearly full.
  assert.equal(diskFullError(new Error("disk I/O error"), path), undefined);
});

Deno.test({
  name: "SQLite's I/O error on a nearly full disk is a DiskFullError",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(1024))!;
    const path = `${disk.path}/timeline.db`;
    await disk.fill(0);
    const full = diskFullError(new Error("disk I/O error: write"), path);
    assert.ok(full instanceof DiskFullError);
    assert.ok(full.free !== undefined && full.free < MIN_FREE_BYTES);
    assert.match(full.message, FULL(path));
  },
});

Deno.test("making KAFCLAW_HOME where a file is in the way fails with the system's reason", async () => {
  await using d = await tempDir();
  await ensureRoom(`${d.dir}/home/sub`);
  assert.equal((await Deno.stat(`${d.dir}/home/sub`)).mode! & 0o777, 0o700);
  await Deno.writeTextFile(`${d.dir}/file`, "x");
  await assert.rejects(() => ensureRoom(`${d.dir}/file/home`), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.NotADirectory, String(error));
    assert.match(error.message, new RegExp(`mkdir '${d.dir}/file/home'`));
    return true;
  });
});

import assert from "node:assert/strict";
import { DiskFullError, Timeline } from "../../../../core/timeline/mod.ts";
import { sizeLimited, smallDisk, TMPFS } from "../../../_support/full_disk.ts";
import { tempDir } from "./_helpers.ts";
import { lostWrites, type WriteReport, writeUntilFull } from "./_writes.ts";

Deno.test({
  name: "on a full tmpfs every timeline write either lands or throws DiskFullError",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(2048))!;
    const path = `${disk.path}/timeline.db`;
    let report: WriteReport;
    {
      using timeline = Timeline.open(path);
      await disk.fill(0);
      report = writeUntilFull(timeline, 20);
      await disk.drain();
    }
    using timeline = Timeline.open(path);
    assert.deepEqual(lostWrites(timeline, report.written), [], "writes reported done are there");
    assert.ok(report.errors.length > 0, "the disk filled up");
    for (const error of report.errors) {
      assert.match(
        error,
        new RegExp(`The disk holding ${path} is full \\(\\d+ (bytes|KiB) free\\)`),
      );
    }
  },
});

Deno.test("a timeline writer past its file-size limit loses no write it reported done", async () => {
  await using d = await tempDir();
  const path = `${d.dir}/timeline.db`;
  Timeline.open(path).close();
  const writes = new URL("./_writes.ts", import.meta.url).href;
  const timelineUrl = new URL("../../../../core/timeline/mod.ts", import.meta.url).href;
  const code = `
    import { Timeline } from ${JSON.stringify(timelineUrl)};
    import { writeUntilFull } from ${JSON.stringify(writes)};
    const timeline = Timeline.open(${JSON.stringify(path)});
    console.log(JSON.stringify(writeUntilFull(timeline, 20)));
    Deno.exit(0); // no close: its checkpoint would write past the limit, and matters not here
  `;
  // The WAL may grow to 120 KiB: some commits fit, the next ones fail half-way.
  const out = await sizeLimited(120 * 1024, Deno.execPath(), ["eval", "-A", "--quiet", code], {
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const report = JSON.parse(new TextDecoder().decode(out.stdout)) as WriteReport;
  using timeline = Timeline.open(path);
  assert.deepEqual(lostWrites(timeline, report.written), [], "writes reported done are there");
  assert.ok(report.written.length > 0, "some writes fit");
  assert.ok(report.errors.length > 0, "some writes went past the limit");
});

Deno.test("opening a timeline on a full disk says the disk is full and where", {
  ignore: !TMPFS,
}, async () => {
  await using disk = (await smallDisk(1024))!;
  await disk.fill(0);
  const path = `${disk.path}/home/timeline.db`;
  assert.throws(() => Timeline.open(path), (error: unknown) => {
    assert.ok(error instanceof DiskFullError, String(error));
    assert.match(error.message, /^The disk holding .*timeline\.db is full \(\d+ bytes free\)/);
    return true;
  });
});

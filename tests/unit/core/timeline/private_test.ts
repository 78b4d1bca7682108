import assert from "node:assert/strict";
import { restrict } from "../../../../core/timeline/_db.ts";
import { blob, int, optInt, real, text } from "../../../../core/timeline/_row.ts";
import { tempDir } from "./_helpers.ts";

Deno.test("integers beyond 2^53 are refused instead of read wrong", () => {
  const big = { n: 9007199254740993n, m: -9007199254740993n };
  assert.throws(() => int(big, "n"), {
    name: "RangeError",
    message: 'Cannot read column "n": 9007199254740993 is too large for a number',
  });
  assert.throws(() => int(big, "m"), /too large/);
  assert.equal(int({ n: 9007199254740991n }, "n"), Number.MAX_SAFE_INTEGER);
  assert.equal(optInt({ n: null }, "n"), undefined);
});

Deno.test("a column of the wrong type is named in the error", () => {
  assert.throws(
    () => int({ n: "7" }, "n"),
    /Cannot read column "n": expected an integer, got string/,
  );
  assert.throws(() => text({ s: null }, "s"), /Cannot read column "s": expected text, got NULL/);
  assert.throws(() => text({ s: 1n }, "s"), /expected text, got bigint/);
  assert.equal(real({ r: 2n }, "r"), 2);
  assert.equal(real({ r: 0.5 }, "r"), 0.5);
  assert.throws(() => blob({ b: null }, "b"), /Cannot read column "b": expected a blob, got NULL/);
  assert.throws(() => blob({ b: "x" }, "b"), /expected a blob, got string/);
  assert.deepEqual(blob({ b: Uint8Array.of(1) }, "b"), Uint8Array.of(1));
});

Deno.test("restricting a missing file does nothing; other stat errors are not hidden", async () => {
  await using d = await tempDir();
  restrict(`${d.dir}/missing-wal`);
  Deno.writeTextFileSync(`${d.dir}/file`, "");
  assert.throws(() => restrict(`${d.dir}/file/below`), Deno.errors.NotADirectory);
});

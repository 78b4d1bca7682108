import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { CappedChunks, joinChunks, readAtMost } from "../../../../core/bytes/mod.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

/** A stream of `chunks` that counts the chunks it was asked for and whether it was cancelled. */
function counted(chunks: Uint8Array[]) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[seen.pulled++];
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, seen };
}

Deno.test("joined chunks come out in order as one new array", () => {
  const first = bytes(1, 2);
  const joined = joinChunks([first, bytes(), bytes(3)]);
  assert.deepEqual(joined, bytes(1, 2, 3));
  joined[0] = 9;
  assert.equal(first[0], 1);
  assert.deepEqual(joinChunks([]), bytes());
});

Deno.test("a source within the cap, or exactly at it, is read whole and not overflowed", async () => {
  const under = await readAtMost(counted([bytes(1, 2), bytes(3)]).stream, 4);
  assert.deepEqual(under, { bytes: bytes(1, 2, 3), overflowed: false });
  const at = await readAtMost(counted([bytes(1, 2), bytes(3, 4)]).stream, 4);
  assert.deepEqual(at, { bytes: bytes(1, 2, 3, 4), overflowed: false });
});

Deno.test("a source past the cap gives its first bytes, overflowed, and is read no further", async () => {
  const { stream, seen } = counted([bytes(1, 2), bytes(3, 4, 5), bytes(6), bytes(7)]);
  const read = await readAtMost(stream, 3);
  assert.deepEqual(read, { bytes: bytes(1, 2, 3), overflowed: true });
  assert.equal(seen.pulled, 2, "the chunks after the one that overflowed are never asked for");
  assert.equal(seen.cancelled, true);
});

Deno.test("a Node stream is read up to the cap the same way, and destroyed", async () => {
  const source = Readable.from([Buffer.from([1, 2]), Buffer.from([3, 4])]);
  const read = await readAtMost(source, 3);
  assert.deepEqual([...read.bytes], [1, 2, 3]);
  assert.equal(read.overflowed, true);
  assert.equal(source.destroyed, true);
});

Deno.test("collectors sharing one budget stop together once it is spent", () => {
  const budget = { left: 4, overflowed: false };
  const out = new CappedChunks(budget);
  const err = new CappedChunks(budget);
  assert.equal(out.add(bytes(1, 2, 3)), true);
  assert.equal(err.add(bytes(7, 8)), false, "one byte of two fits");
  assert.equal(out.add(bytes(4)), false, "nothing fits once the budget is spent");
  assert.equal(out.add(bytes()), true, "an empty chunk never overflows");
  assert.deepEqual([out.bytes(), err.bytes()], [bytes(1, 2, 3), bytes(7)]);
  assert.deepEqual(budget, { left: 0, overflowed: true });
});

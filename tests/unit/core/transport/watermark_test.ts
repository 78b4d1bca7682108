import assert from "node:assert/strict";
import { Watermarks } from "../../../../core/transport/watermark.ts";

Deno.test("a partition's commit stays behind its oldest record still running", () => {
  const marks = new Watermarks();
  const [a, b, c] = [5n, 6n, 7n].map((offset) => marks.taken("t", 0, offset));
  assert.equal(marks.finish(c!), undefined, "7 finished first: 5 still runs");
  assert.equal(marks.finish(b!), undefined, "6 finished: 5 still runs");
  assert.deepEqual(marks.finish(a!), { topic: "t", partition: 0, next: 8n, count: 3 });
});

Deno.test("a finished record moves the commit up to the next one still running", () => {
  const marks = new Watermarks();
  const a = marks.taken("t", 0, 5n);
  const b = marks.taken("t", 0, 9n);
  const other = marks.taken("t", 1, 2n);
  assert.deepEqual(marks.finish(a), { topic: "t", partition: 0, next: 9n, count: 1 });
  assert.deepEqual(marks.finish(other), { topic: "t", partition: 1, next: 3n, count: 1 });
  assert.deepEqual(marks.finish(b), { topic: "t", partition: 0, next: 10n, count: 1 });
});

Deno.test("a record taken out of order waits in its place", () => {
  const marks = new Watermarks();
  const later = marks.taken("t", 0, 8n);
  const earlier = marks.taken("t", 0, 4n);
  assert.equal(marks.finish(later), undefined, "4 still runs");
  assert.deepEqual(marks.finish(earlier), { topic: "t", partition: 0, next: 9n, count: 2 });
});

Deno.test("records forgotten by clear, or finished twice, move nothing", () => {
  const marks = new Watermarks();
  const old = marks.taken("t", 0, 3n);
  marks.clear();
  const again = marks.taken("t", 0, 3n);
  assert.equal(marks.finish(old), undefined, "taken in an earlier generation");
  assert.deepEqual(marks.finish(again), { topic: "t", partition: 0, next: 4n, count: 1 });
  assert.equal(marks.finish(again), undefined);
});

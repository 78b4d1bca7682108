/**
 * Chunks that expire (a group's context items, schema step 11): no search returns one past its
 * expiry, storing it again keeps the later expiry (or none), and the sweep deletes the expired.
 */
import assert from "node:assert/strict";
import type { Timeline } from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

function add(timeline: Timeline, id: string, content: string, expiresAt?: Date) {
  return timeline.memory.upsert({
    id,
    source: "group:ann",
    content,
    tags: [],
    taint: "untrusted",
    expiresAt,
  }).chunk;
}

const inMs = (ms: number) => new Date(Date.now() + ms);

Deno.test("a chunk past its expiry is in no keyword search, and the sweep deletes only it", async () => {
  await using t = await tempTimeline();
  const memory = t.timeline.memory;
  add(t.timeline, "gone", "plum tart recipe", inMs(-1_000));
  const soon = inMs(3_600_000);
  add(t.timeline, "soon", "plum jam recipe", soon);
  add(t.timeline, "kept", "plum cake recipe");
  const found = memory.keywordSearch('"plum"', { zones: [], limit: 10 }).map((h) => h.chunk.id);
  assert.deepEqual(found.sort(), ["kept", "soon"]);
  assert.equal(memory.get("soon")?.expiresAt?.getTime(), soon.getTime());
  assert.equal(memory.get("kept")?.expiresAt, undefined);
  assert.equal(memory.deleteExpiredAt(new Date(Date.now() - 60_000)), 0, "not before its expiry");
  assert.equal(memory.deleteExpiredAt(), 1, "now, by the system clock");
  assert.equal(memory.get("gone"), undefined);
  assert.equal(memory.count(), 2);
});

Deno.test("a chunk stored again expires at the later of its expiries, or never if either never does", async () => {
  await using t = await tempTimeline();
  const early = inMs(60_000);
  const late = inMs(120_000);
  add(t.timeline, "a", "one", early);
  assert.equal(add(t.timeline, "a", "one", late).expiresAt?.getTime(), late.getTime());
  assert.equal(add(t.timeline, "a", "one", early).expiresAt?.getTime(), late.getTime());
  assert.equal(add(t.timeline, "a", "one").expiresAt, undefined);
  add(t.timeline, "b", "two");
  assert.equal(add(t.timeline, "b", "two", early).expiresAt, undefined);
});

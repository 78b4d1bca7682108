/**
 * Shared memory items on the wire: content cut into parts on character boundaries, parts put
 * together in any order, and items refused for their size, their hash or parts that disagree.
 */
import assert from "node:assert/strict";
import {
  type Assembly,
  byteLength,
  contentHash,
  DEFAULT_SHARED_MEMORY_LIMITS,
  MIN_PART_BYTES,
  PartsAssembler,
  type SharedMemoryLimits,
  sharedMemoryLimits,
  splitContent,
} from "../../../../core/group/mod.ts";
import type { MemoryPayload } from "../../../../core/protocol/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";

const LIMITS: SharedMemoryLimits = {
  ...DEFAULT_SHARED_MEMORY_LIMITS,
  partBytes: 8,
  itemBytes: 40,
  maxParts: 6,
  pendingItems: 2,
  partsWaitMs: 1_000,
};

async function partsOf(content: string, itemId = "i1", sha256?: string) {
  const slices = splitContent(content, LIMITS.partBytes);
  const hash = sha256 ?? await contentHash(content);
  return slices.map((slice, part): MemoryPayload & { content: string } => ({
    item_id: itemId,
    author_id: "ann",
    title: part === 0 ? "the title" : "other",
    content_type: "text/plain",
    content: slice,
    part,
    parts: slices.length,
    sha256: hash,
    tags: [],
    created_at: "2026-01-15T10:00:00Z",
  }));
}

Deno.test("splitContent cuts on character boundaries within the part size, and the parts join to the text", () => {
  for (const text of ["", "abc", "héllo wörld ✓ 𝄞 done", "𝄞𝄞𝄞𝄞𝄞", "x".repeat(100)]) {
    const parts = splitContent(text, 8);
    assert.equal(parts.join(""), text);
    for (const part of parts) assert.ok(byteLength(part) <= 8, JSON.stringify(part));
    assert.ok(!parts.some((p) => p.includes("\ufffd")), "no character was cut");
  }
  assert.deepEqual(splitContent("𝄞𝄞", 6), ["𝄞", "𝄞"]);
  assert.throws(() => splitContent("x", 3), /at least 4 bytes/);
});

Deno.test("parts in any order make the whole item, with the first part's fields", async () => {
  const content = "Port 5433 is staging; ✓ checked";
  const parts = await partsOf(content);
  assert.ok(parts.length >= 4);
  const assembler = new PartsAssembler(LIMITS);
  const order = [...parts].reverse();
  let last: Assembly | undefined;
  for (const part of order) {
    if (last !== undefined) assert.equal(last.kind, "waiting");
    last = await assembler.accept(part, 0);
  }
  assert.equal(last?.kind, "whole");
  if (last?.kind !== "whole") return;
  assert.equal(last.item.payload.content, content);
  assert.equal(last.item.payload.title, "the title");
  assert.equal(last.item.bytes, byteLength(content));
  assert.equal(assembler.pending, 0);
});

Deno.test("a part delivered twice changes nothing; with other content it refuses the item", async () => {
  const parts = await partsOf("abcdefghijklmnop");
  const assembler = new PartsAssembler(LIMITS);
  assert.equal((await assembler.accept(parts[0]!, 0)).kind, "waiting");
  assert.equal((await assembler.accept(parts[0]!, 0)).kind, "waiting");
  assert.equal((await assembler.accept(parts[1]!, 0)).kind, "whole");
  const again = await partsOf("abcdefghijklmnop", "i2");
  await assembler.accept(again[0]!, 0);
  const other = await assembler.accept({ ...again[0]!, content: "zzzzzzzz" }, 0);
  assert.deepEqual(other, {
    kind: "refused",
    cause: "malformed",
    reason: "part 0 came twice with different content",
  });
});

Deno.test("an item whose content does not hash to its sha256 is refused as mis-hashed", async () => {
  const wrong = "0".repeat(64);
  const assembler = new PartsAssembler(LIMITS);
  const parts = await partsOf("abcdefghijkl", "i1", wrong);
  await assembler.accept(parts[0]!, 0);
  const result = await assembler.accept(parts[1]!, 0);
  assert.equal(result.kind, "refused");
  if (result.kind !== "refused") return;
  assert.equal(result.cause, "mis-hashed");
  assert.match(result.reason, new RegExp(`not ${wrong}`));
  const whole = await assembler.accept({ ...parts[0]!, part: undefined, parts: undefined }, 0);
  assert.equal(whole.kind === "refused" && whole.cause, "mis-hashed");
});

Deno.test("too many parts, a part too large, or too many bytes in all: refused as oversized", async () => {
  const assembler = new PartsAssembler(LIMITS);
  const [first] = await partsOf("abcdefghijkl");
  const many = await assembler.accept({ ...first!, parts: 7 }, 0);
  assert.deepEqual(many, { kind: "refused", cause: "oversized", reason: "7 parts, more than 6" });
  const big = await assembler.accept({ ...first!, content: "x".repeat(9) }, 0);
  assert.equal(big.kind === "refused" && big.cause, "oversized");
  // Six parts of 8 bytes are 48, over the item's 40: refused at the part that passes it.
  const long = await partsOf("y".repeat(48));
  const results = [];
  for (const part of long) results.push(await assembler.accept(part, 0));
  assert.deepEqual(results.map((r) => r.kind), [
    "waiting",
    "waiting",
    "waiting",
    "waiting",
    "waiting",
    "refused",
  ]);
  assert.equal(assembler.pending, 0);
  const whole = await assembler.accept({
    ...first!,
    part: undefined,
    parts: undefined,
    content: "z".repeat(41),
    sha256: await contentHash("z".repeat(41)),
  }, 0);
  assert.equal(whole.kind === "refused" && whole.cause, "oversized");
});

Deno.test("parts that disagree on the count or the hash refuse the item as malformed", async () => {
  const assembler = new PartsAssembler(LIMITS);
  const parts = await partsOf("abcdefghijklmnopq");
  await assembler.accept(parts[0]!, 0);
  const result = await assembler.accept({ ...parts[1]!, parts: 5 }, 0);
  assert.equal(result.kind === "refused" && result.cause, "malformed");
  assert.equal(assembler.pending, 0);
});

Deno.test("parts wait a bounded time and in bounded number", async () => {
  const assembler = new PartsAssembler(LIMITS);
  for (const id of ["a", "b", "c"]) {
    const [first] = await partsOf("abcdefghijkl", id);
    await assembler.accept(first!, id === "c" ? 500 : 0);
  }
  assert.equal(assembler.pending, 2, "the oldest gave way");
  assert.equal(assembler.has("ann", "a"), false);
  assert.deepEqual(assembler.sweep(1_200), ["ann\nb"]);
  assert.equal(assembler.has("ann", "c"), true);
});

Deno.test("parts kept in the timeline survive a restart: the item is whole with the part that comes after it", async () => {
  using timeline = Timeline.open(":memory:");
  const journal = timeline.memoryParts;
  const content = "abcdefgh" + "ijklmnop" + "qrstuvwx";
  const parts = await partsOf(content);
  const before = new PartsAssembler(LIMITS, journal);
  assert.equal((await before.accept(parts[1]!, 100)).kind, "waiting");
  assert.equal((await before.accept(parts[0]!, 200)).kind, "waiting");
  assert.deepEqual(journal.list().map((p) => [p.itemId, p.part]), [["i1", 1], ["i1", 0]]);
  // The process stops; the consumer will not deliver parts 0 and 1 again.
  const after = new PartsAssembler(LIMITS, journal);
  assert.equal(await after.restore(), 1);
  const whole = await after.accept(parts[2]!, 300);
  assert.equal(whole.kind === "whole" && whole.item.payload.content, content);
  assert.equal(whole.kind === "whole" && whole.item.payload.title, "the title");
  assert.deepEqual(journal.list(), [], "put together: forgotten");
  // Refused or given up, an item's parts leave the journal too.
  const other = await partsOf(content, "i2");
  await after.accept(other[0]!, 400);
  assert.equal(journal.list().length, 1);
  after.sweep(400 + LIMITS.partsWaitMs + 1);
  assert.deepEqual(journal.list(), []);
  await after.accept(other[0]!, 500);
  await after.accept({ ...other[1]!, parts: 5 }, 500);
  assert.deepEqual(journal.list(), []);
});

Deno.test("a kept part that no longer reads as a memory payload is skipped at restore; the others wait on", async () => {
  using timeline = Timeline.open(":memory:");
  const journal = timeline.memoryParts;
  const parts = await partsOf("abcdefgh" + "ijklmnop");
  const at = new Date(100);
  journal.put({ authorId: "ann", itemId: "i1", part: 0, payload: JSON.stringify(parts[0]) }, at);
  const damaged = { authorId: "ann", part: 0 };
  journal.put({ ...damaged, itemId: "bad-field", payload: JSON.stringify({ item_id: "x" }) }, at);
  const pointer = { ...parts[0]!, item_id: "lfs", content: { kfs_lfs: 1, bucket: "b", key: "k" } };
  journal.put({ ...damaged, itemId: "lfs", payload: JSON.stringify(pointer) }, at);
  const assembler = new PartsAssembler(LIMITS, journal);
  assert.equal(await assembler.restore(), 1);
  assert.equal(assembler.has("ann", "i1"), true);
  const whole = await assembler.accept(parts[1]!, 200);
  assert.equal(whole.kind === "whole" && whole.item.payload.content, "abcdefghijklmnop");
  assert.equal(await new PartsAssembler(LIMITS).restore(), 0, "without a journal: nothing kept");
});

Deno.test("limits from config take any sender's parts down to the smallest part size", () => {
  const limits = sharedMemoryLimits({ partBytes: 4096, itemBytes: 1024 * 1024 });
  assert.equal(limits.partBytes, 4096);
  assert.equal(limits.itemBytes, 1024 * 1024);
  // A sender with parts of 1 KiB, cut on characters (1021 bytes at the least), stays within.
  assert.equal(limits.maxParts, Math.ceil((1024 * 1024) / (MIN_PART_BYTES - 3)));
  assert.ok(splitContent("€".repeat(349_525), MIN_PART_BYTES).length <= limits.maxParts);
  assert.deepEqual(
    DEFAULT_SHARED_MEMORY_LIMITS,
    sharedMemoryLimits({
      partBytes: 65_536,
      itemBytes: 1_048_576,
    }),
  );
});

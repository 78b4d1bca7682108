import assert from "node:assert/strict";
import { ftsQuery, fuse, RRF_K } from "../../../../core/memory/mod.ts";

Deno.test("the FTS query ORs the quoted words, stop words out, long words as prefixes", () => {
  assert.equal(ftsQuery("How do I deploy the app?"), '"deploy"* OR "app"');
  assert.equal(ftsQuery("Staging DB port 5433"), '"staging"* OR "db" OR "port"* OR "5433"*');
  assert.equal(ftsQuery("port PORT port"), '"port"*');
});

Deno.test("FTS syntax in a query is only separators", () => {
  assert.equal(ftsQuery('a" OR b* NEAR(c) -d ^e:f'), '"b" OR "near"* OR "c" OR "d" OR "e" OR "f"');
  assert.equal(ftsQuery("café naïve 東京"), '"café"* OR "naïve"* OR "東京"');
});

Deno.test("a query of stop words only keeps them; one without words is none", () => {
  assert.equal(ftsQuery("who are you"), '"who" OR "are" OR "you"');
  assert.equal(ftsQuery("  ?! --- "), undefined);
  assert.equal(ftsQuery(""), undefined);
});

Deno.test("a query takes at most 32 terms", () => {
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`).join(" ");
  assert.equal(ftsQuery(words)!.split(" OR ").length, 32);
});

Deno.test("reciprocal rank fusion sums 1/(k + rank) and orders by it", () => {
  const fused = fuse([["a", "b", "c"], ["c", "b"]], (x) => x);
  // 1/63 + 1/61 > 2/62: a first place counts for more than two second places.
  assert.deepEqual(fused.map((f) => [f.item, f.ranks]), [
    ["c", [3, 1]],
    ["b", [2, 2]],
    ["a", [1, undefined]],
  ]);
  assert.equal(fused[0]!.score, 1 / (RRF_K + 3) + 1 / (RRF_K + 1));
  assert.equal(fused[1]!.score, 2 / (RRF_K + 2));
});

Deno.test("fusion ties keep first appearance; repeats in one ranking count once", () => {
  const fused = fuse([["x", "y", "x"], ["y", "x"]], (s) => s, 1);
  assert.deepEqual(fused.map((f) => [f.item, f.ranks, f.score]), [
    ["x", [1, 2], 1 / 2 + 1 / 3],
    ["y", [2, 1], 1 / 3 + 1 / 2],
  ]);
  assert.deepEqual(fuse([[], []], (s: string) => s), []);
});

Deno.test("the fusion constant must be positive", () => {
  assert.throws(() => fuse([["a"]], (s) => s, 0), /must be positive, got 0/);
  assert.throws(() => fuse([["a"]], (s) => s, Number.NaN), RangeError);
});

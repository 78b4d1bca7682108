import assert from "node:assert/strict";
import {
  bestSlots,
  codeOf,
  codeWords,
  meanOf,
  queryTables,
} from "../../../../core/memory/codes.ts";
import { seededRandom } from "../../../../core/transport/mod.ts";

function randomVector(next: () => number, dimension: number): Float32Array {
  return Float32Array.from({ length: dimension }, () => next() * 2 - 1);
}

/** What the tables stand for: the centred query summed with the code's signs. */
function signedSum(query: Float32Array, mean: Float32Array, vector: Float32Array): number {
  let sum = 0;
  for (let d = 0; d < query.length; d++) {
    sum += (vector[d]! > mean[d]! ? 1 : -1) * (query[d]! - mean[d]!);
  }
  return sum;
}

Deno.test("a code has a bit per dimension above the mean, in whole 64-bit pairs", () => {
  assert.deepEqual([codeWords(1), codeWords(64), codeWords(65), codeWords(384)], [2, 2, 4, 12]);
  const mean = new Float32Array([0, 0, 0.5, 0, 0, 0, 0, 0, 0, -1]);
  const vector = new Float32Array([1, -1, 0.5, 0, 2, 0, 0, 0, 3, 0]);
  const code = codeOf(vector, mean);
  assert.equal(code.length, 8);
  // bits 0, 4, 8 and 9: 0.5 is not above 0.5, 0 not above 0, and 0 is above -1
  assert.deepEqual([...code], [0b0001_0001, 0b0000_0011, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...meanOf([new Float32Array([1, 2]), new Float32Array([3, -2])])], [2, 0]);
});

Deno.test("the query tables score a code by the centred query summed with its signs", () => {
  const next = seededRandom(11);
  const dimension = 70; // not a whole number of bytes: the padding must count for nothing
  const mean = randomVector(next, dimension).map((x) => x / 4);
  const query = randomVector(next, dimension);
  const tables = queryTables(query, mean);
  for (let i = 0; i < 20; i++) {
    const vector = randomVector(next, dimension);
    const words = new Uint32Array(codeOf(vector, mean).buffer);
    let score = 0;
    for (let w = 0; w < words.length; w++) {
      for (let b = 0; b < 4; b++) {
        score += tables[(w * 4 + b) * 256 + ((words[w]! >>> (8 * b)) & 255)]!;
      }
    }
    assert.ok(Math.abs(score - signedSum(query, mean, vector)) < 1e-4, `${score}`);
  }
});

Deno.test("the best slots are the top scores among the visible zones, whatever their order", () => {
  const next = seededRandom(5);
  const dimension = 96;
  const count = 3000;
  const mean = new Float32Array(dimension);
  const vectors = Array.from({ length: count }, () => randomVector(next, dimension));
  const words = codeWords(dimension);
  const codes = new Uint32Array(count * words);
  vectors.forEach((v, i) => codes.set(new Uint32Array(codeOf(v, mean).buffer), i * words));
  const zones = Uint32Array.from({ length: count }, (_, i) => i % 3); // 0 dead, 1 public, 2 other
  const query = randomVector(next, dimension);
  const tables = queryTables(query, mean);
  const scored = vectors.map((v, i) => ({ i, score: signedSum(query, mean, v) }));
  for (const [visible, pool] of [[[0, 1, 0], 50], [[0, 1, 1], 200], [[0, 0, 1], 5000]] as const) {
    const best = bestSlots({ codes, words, count, zones }, tables, Uint8Array.from(visible), pool);
    const expected = scored.filter(({ i }) => visible[zones[i]!] === 1)
      .sort((a, b) => b.score - a.score).slice(0, pool);
    assert.equal(best.length, expected.length);
    const threshold = expected[expected.length - 1]!.score;
    // ties at the threshold may fall either way; everything above it must be there
    const got = new Set(best);
    for (const { i, score } of expected) {
      if (score > threshold + 1e-4) assert.ok(got.has(i), `${i}`);
    }
    for (const slot of best) assert.equal(visible[zones[slot]!], 1);
  }
});

/**
 * A large, deterministic memory for benchmarks and the recall test: chunks of words drawn from a
 * Zipf distribution (the keyword side sees common and rare words as in real notes), and an
 * embedder that turns any text into a vector without a model.
 *
 * A vector is the normalised, rarity-weighted sum of its words' vectors (each word's is fixed by
 * the seed), plus one direction that every vector shares. The shared part makes the vectors as
 * alike as a real model's: multilingual-e5-small's vectors of 12,000 paragraphs have a mean
 * pairwise cosine of 0.83, and so do these. A shortcut that only works on vectors spread evenly
 * over the sphere (signs alone, say) fails here as it would on a real model's.
 */
import { Memory, openWithVectors, storeVectors } from "../../core/memory/mod.ts";
import type { Embedder, EmbedOptions } from "../../core/provider/mod.ts";
import type { Timeline } from "../../core/timeline/mod.ts";
import { seededRandom } from "../../core/transport/mod.ts";

/** Options of {@link ZipfCorpus}. */
export interface CorpusOptions {
  readonly dimension?: number;
  readonly seed?: number;
  /** How many distinct words (default 8192). */
  readonly words?: number;
}

/** How much of every vector is the direction they all share (mean pairwise cosine ≈ its square). */
const SHARED = Math.sqrt(0.83);

/** See the module documentation. */
export class ZipfCorpus implements Embedder {
  readonly model = "bench/zipf-words";
  readonly dimension: number;
  readonly #words: string[];
  readonly #index = new Map<string, number>();
  readonly #vectors: Float32Array;
  readonly #shared: Float32Array;
  readonly #cumulative: Float64Array;
  readonly #next: () => number;

  constructor(options: CorpusOptions = {}) {
    this.dimension = options.dimension ?? 384;
    const size = options.words ?? 8192;
    this.#next = seededRandom(options.seed ?? 1);
    const gauss = () =>
      Math.sqrt(-2 * Math.log(1 - this.#next())) * Math.cos(2 * Math.PI * this.#next());
    this.#words = Array.from({ length: size }, (_, i) => `w${i.toString(36)}`);
    this.#words.forEach((word, i) => this.#index.set(word, i));
    this.#vectors = Float32Array.from({ length: size * this.dimension }, gauss);
    this.#shared = normalise(Float32Array.from({ length: this.dimension }, gauss));
    this.#cumulative = new Float64Array(size);
    let sum = 0;
    for (let i = 0; i < size; i++) this.#cumulative[i] = sum += 1 / (i + 1);
  }

  /** A Zipf-distributed word rank, from `from` on. */
  #rank(from = 0): number {
    const total = this.#cumulative[this.#cumulative.length - 1]!;
    const low = from === 0 ? 0 : this.#cumulative[from - 1]!;
    const x = low + this.#next() * (total - low);
    let lo = from, hi = this.#cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The next chunk's text: 20 to 59 words, common ones included. */
  text(): string {
    const length = 20 + Math.floor(this.#next() * 40);
    return Array.from({ length }, () => this.#words[this.#rank()]).join(" ");
  }

  /** The next query: two to four words, none of the 50 most common (a user's stop words). */
  query(): string {
    const length = 2 + Math.floor(this.#next() * 3);
    return Array.from({ length }, () => this.#words[this.#rank(50)]).join(" ");
  }

  /** The vector of a text; words it does not know count as the word their hash picks. */
  vector(text: string): Float32Array {
    const v = new Float32Array(this.dimension);
    for (const word of text.match(/\S+/g) ?? []) {
      const i = this.#index.get(word) ?? hash(word) % this.#words.length;
      addScaled(v, this.#vectors, i * this.dimension, Math.log(2 + i));
    }
    normalise(v);
    mix(v, Math.sqrt(1 - SHARED * SHARED), this.#shared, SHARED);
    return normalise(v);
  }

  /** The {@link Embedder} port: every text's vector. */
  embed(texts: readonly string[], _options?: EmbedOptions): Promise<number[][]> {
    return Promise.resolve(texts.map((text) => Array.from(this.vector(text))));
  }
}

// The loops over a vector's numbers go four at a time, one sum kept in the same order: the unit
// tier runs under coverage, where every turn of a loop is counted, and these loops are most of
// the recall test's time over its 100,000 chunks.

/** `v += weight * from[offset…]`. */
function addScaled(v: Float32Array, from: Float32Array, offset: number, weight: number): void {
  const n = v.length;
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = offset + d;
    v[d] = v[d]! + weight * from[o]!;
    v[d + 1] = v[d + 1]! + weight * from[o + 1]!;
    v[d + 2] = v[d + 2]! + weight * from[o + 2]!;
    v[d + 3] = v[d + 3]! + weight * from[o + 3]!;
  }
  for (; d < n; d++) v[d] = v[d]! + weight * from[offset + d]!;
}

/** `v = a * v + b * w`. */
function mix(v: Float32Array, a: number, w: Float32Array, b: number): void {
  const n = v.length;
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    v[d] = b * w[d]! + a * v[d]!;
    v[d + 1] = b * w[d + 1]! + a * v[d + 1]!;
    v[d + 2] = b * w[d + 2]! + a * v[d + 2]!;
    v[d + 3] = b * w[d + 3]! + a * v[d + 3]!;
  }
  for (; d < n; d++) v[d] = b * w[d]! + a * v[d]!;
}

/** The dot product of `q` and the row of `rows` at `offset`. */
function dot(q: Float32Array, rows: Float32Array, offset: number): number {
  const n = q.length;
  let sum = 0;
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const o = offset + d;
    sum = sum + rows[o]! * q[d]! + rows[o + 1]! * q[d + 1]! + rows[o + 2]! * q[d + 2]! +
      rows[o + 3]! * q[d + 3]!;
  }
  for (; d < n; d++) sum += rows[offset + d]! * q[d]!;
  return sum;
}

/** `v /= |v|`. */
function normalise(v: Float32Array): Float32Array {
  const norm = Math.sqrt(dot(v, v, 0)) || 1;
  const n = v.length;
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    v[d] = v[d]! / norm;
    v[d + 1] = v[d + 1]! / norm;
    v[d + 2] = v[d + 2]! / norm;
    v[d + 3] = v[d + 3]! / norm;
  }
  for (; d < n; d++) v[d] = v[d]! / norm;
  return v;
}

function hash(word: string): number {
  let h = 2166136261;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The chunks a {@link fillMemory} stored: their seqs, and their vectors row by row. */
export interface Filled {
  readonly seqs: Int32Array;
  readonly vectors: Float32Array;
}

/**
 * Stores `count` chunks of `corpus` with their vectors and codes in one transaction, as
 * `Memory.remember` would, without an embedding round trip per batch. Every tenth chunk is in
 * zone `team`.
 */
export function fillMemory(timeline: Timeline, corpus: ZipfCorpus, count: number): Filled {
  const seqs = new Int32Array(count);
  const vectors = new Float32Array(count * corpus.dimension);
  const store = timeline.memory;
  timeline.transaction(() => {
    for (let from = 0; from < count; from += 1000) {
      const batch = [];
      for (let i = from; i < Math.min(from + 1000, count); i++) {
        const content = corpus.text();
        const { chunk } = store.upsert({
          id: `bench-${i}`,
          source: "user",
          content,
          tags: [],
          taint: "trusted",
          zone: i % 10 === 9 ? "team" : undefined,
        });
        const vector = corpus.vector(content);
        batch.push({ seq: chunk.seq, vector });
        seqs[i] = chunk.seq;
        vectors.set(vector, i * corpus.dimension);
      }
      storeVectors(timeline, corpus.model, batch);
    }
  });
  return { seqs, vectors };
}

/**
 * The `k` seqs nearest to `query` by exact cosine, nearest first: a brute force over every
 * vector (all are unit length, so the dot product is the cosine).
 */
export function exactNearest(filled: Filled, query: Float32Array, k: number): number[] {
  const { seqs, vectors } = filled;
  const dimension = query.length;
  const best: { seq: number; score: number }[] = [];
  for (let i = 0; i < seqs.length; i++) {
    const score = dot(query, vectors, i * dimension);
    if (best.length === k && score <= best[k - 1]!.score) continue;
    let at = best.length === k ? k - 1 : best.length;
    while (at > 0 && best[at - 1]!.score < score) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = { seq: seqs[i]!, score };
  }
  return best.map((b) => b.seq);
}

/**
 * A memory of `count` corpus chunks in a temporary folder, searched with the corpus as its
 * embedder; removed on dispose.
 */
export async function corpusMemory(count: number, seed: number) {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-corpus-" });
  const { timeline, vectors } = openWithVectors(`${dir}/timeline.db`);
  const corpus = new ZipfCorpus({ seed });
  const filled = fillMemory(timeline, corpus, count);
  const memory = new Memory(timeline, {
    vectors,
    embedder: corpus,
    maxChunks: count,
    minScore: -1,
  });
  return {
    corpus,
    filled,
    timeline,
    memory,
    [Symbol.asyncDispose]: async () => {
      timeline.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

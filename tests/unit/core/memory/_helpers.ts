/** Test helpers for memory: a timeline with sqlite-vec and a hand-moved clock, a fake embedder. */
import { Memory, type MemoryOptions, openWithVectors } from "../../../../core/memory/mod.ts";
import type { Embedder, EmbedOptions } from "../../../../core/provider/mod.ts";
import type { Timeline } from "../../../../core/timeline/mod.ts";
import { Clock } from "../timeline/_helpers.ts";

export { Clock };

/**
 * A deterministic embedder for mechanics, not ranking: each word adds 1 to the dimension its
 * hash picks, and the vector is normalised. It records its calls and can be told to fail.
 */
export class FakeEmbedder implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly calls: string[][] = [];
  /** When set, the next calls reject with it. */
  failWith: Error | undefined;
  /** When set, vectors have this many numbers instead. */
  wrongDimension: number | undefined;

  constructor(model = "fake/embed-a", dimension = 16) {
    this.model = model;
    this.dimension = dimension;
  }

  embed(texts: readonly string[], _options?: EmbedOptions): Promise<number[][]> {
    this.calls.push([...texts]);
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(texts.map((text) => this.vector(text)));
  }

  vector(text: string): number[] {
    const v = new Array<number>(this.wrongDimension ?? this.dimension).fill(0);
    for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      let h = 7;
      for (const ch of word) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      v[h % v.length]! += 1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }
}

/** A memory over a timeline in a temporary folder with sqlite-vec, and its clock. */
export async function tempMemory(options: MemoryOptions & { file?: boolean } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-memory-" });
  const clock = new Clock("2026-11-25T10:00:00.000Z");
  const path = `${dir}/timeline.db`;
  const { timeline, vectors } = openWithVectors(path, { now: clock.now });
  const memory = new Memory(timeline, { vectors, now: clock.now, ...options });
  return {
    dir,
    path,
    clock,
    timeline,
    vectors,
    memory,
    /** Another Memory over the same timeline (a restart with other options). */
    reopen: (more: MemoryOptions) => new Memory(timeline, { vectors, now: clock.now, ...more }),
    [Symbol.asyncDispose]: async () => {
      timeline.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Every chunk's content, oldest first. */
export function contents(timeline: Timeline): string[] {
  return timeline.memory.withoutVector("none/none", { afterSeq: 0, limit: 1000 }).map((c) =>
    c.content
  );
}

/** One day in ms. */
export const DAY = 86_400_000;

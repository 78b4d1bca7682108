/**
 * The vector half of memory: whether vectors can be used now, embedding chunks as they are
 * stored, and re-indexing after the embedding model changed.
 *
 * Vectors of different models cannot be compared, so while any chunk holds a vector of a model
 * other than the configured one, search uses keywords only and says to re-index; re-indexing is
 * explicit because it sends every chunk to the embedding model again.
 *
 * The size of a model's vectors is not configured: it is taken from the model's first answer and
 * recorded in the timeline's settings (`embedding_dimension:<model>`), beside the vectors it
 * describes. A model that later answers with another size is recorded at the new size, and its
 * older vectors wait for one re-index, as another model's would.
 *
 * @module
 */
import type { Embedder } from "../provider/mod.ts";
import type { MemoryChunk, Timeline, ZoneFilter } from "../timeline/mod.ts";
import { CodeIndex } from "./code_index.ts";
import type { VectorSupport } from "./sqlite_vec.ts";
import { storeVectors } from "./stored_vectors.ts";

/** Thrown when memory cannot do what was asked (re-index without a model, say). */
export class MemoryError extends Error {
  override readonly name = "MemoryError";
}

/** Whether search and storage may use vectors now, and why not. */
export interface VectorState {
  readonly ready: boolean;
  /** Why not, as a sentence that says what to do. */
  readonly reason?: string;
  /** When ready: no chunk holds a vector of the model yet, so a query needs none. */
  readonly empty?: boolean;
}

/** What a re-index would do, or did. */
export interface ReindexPlan {
  /** The configured embedding model. */
  readonly model: string;
  /** The size of its vectors, once it has answered. */
  readonly dimension: number | undefined;
  /** The size of the vectors in the index now, if there is one. */
  readonly indexDimension: number | undefined;
  /** Chunks whose vectors another model made. */
  readonly foreign: number;
  /** Chunks that will be embedded (those without a vector of `model`). */
  readonly toEmbed: number;
  readonly total: number;
}

/** Options of a re-index. */
export interface ReindexOptions {
  /** Nothing changes without it: the plan is returned. */
  readonly confirm?: boolean;
  /** Chunks embedded per request (default 32). */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
  /** Called after every batch. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** How a re-index went. */
export interface ReindexResult {
  readonly plan: ReindexPlan;
  /** Whether anything was done (false without `confirm`). */
  readonly done: boolean;
  readonly embedded: number;
}

/** What {@link Vectors} needs. */
export interface VectorsOptions {
  readonly embedder: Embedder | undefined;
  /** Why there is no embedder. */
  readonly embedderReason: string | undefined;
  readonly support: VectorSupport | undefined;
  /** The name the reasons' suggested commands start with (commandName). */
  readonly command: string;
}

/** The settings key under which a model's vector size is recorded. */
const DIMENSION_KEY = "embedding_dimension:";
/** The settings key of a model's last failed call (cleared by the next that succeeds). */
const ERROR_KEY = "embedding_error:";

/** The vector index of one memory. */
export class Vectors {
  readonly #timeline: Timeline;
  readonly #options: VectorsOptions;
  #index: CodeIndex | undefined;

  constructor(timeline: Timeline, options: VectorsOptions) {
    this.#timeline = timeline;
    this.#options = options;
  }

  /** The embedding model, when there is one. */
  get model(): string | undefined {
    return this.#options.embedder?.model;
  }

  /**
   * The size of the model's vectors: as recorded at its first answer, else that of its stored
   * vectors (a timeline from before the record), else undefined until it answers.
   */
  dimension(): number | undefined {
    const model = this.model;
    if (model === undefined) return undefined;
    const recorded = this.#timeline.settings.get(DIMENSION_KEY + model);
    if (recorded !== undefined) return Number(recorded);
    return this.#timeline.memory.vectors.first(model, 1)[0]?.length;
  }

  /** Whether vectors may be used now. */
  state(): VectorState {
    const { embedder, support, command } = this.#options;
    const store = this.#timeline.memory;
    if (embedder === undefined) {
      return { ready: false, reason: this.#options.embedderReason ?? "no embedding model is set" };
    }
    if (store.vectors.version() === undefined) {
      return {
        ready: false,
        reason: support?.reason ?? "the sqlite-vec extension is not loaded on this connection",
      };
    }
    const indexDimension = store.vectors.dimension();
    const dimension = this.dimension();
    if (indexDimension !== undefined && dimension !== undefined && indexDimension !== dimension) {
      return {
        ready: false,
        reason: `the vector index holds ${indexDimension}-dimensional vectors but ` +
          `${embedder.model} answers with ${dimension}: run \`${command} memory reindex\``,
      };
    }
    const foreign = store.foreignModels(embedder.model);
    if (foreign.length > 0) {
      const count = foreign.reduce((sum, m) => sum + m.count, 0);
      const names = foreign.map((m) => m.model).join(", ");
      return {
        ready: false,
        reason: `${count} chunk(s) were embedded by ${names}, not ${embedder.model}: run ` +
          `\`${command} memory reindex\` to search by meaning again`,
      };
    }
    return { ready: true, empty: !store.hasModel(embedder.model) };
  }

  /**
   * Embeds texts as float32 vectors. The first answer's size is recorded as the model's; an answer
   * of another size is recorded too, and throws: the stored vectors need a re-index.
   */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const embedder = this.#options.embedder!;
    const vectors = await this.#call(embedder, texts, signal);
    // The provider checks that there is one vector a text; each of them must have one size.
    const sizes = [...new Set(vectors.map((v) => v.length))];
    const size = sizes[0]!;
    if (sizes.length > 1 || size === 0) {
      throw new MemoryError(`${embedder.model} returned vectors of ${sizes.join(" and ")} numbers`);
    }
    this.#record(embedder.model, size);
    return vectors.map((vector) => Float32Array.from(vector));
  }

  /** Asks the model, recording a failure (not a cancel) for status until a call succeeds. */
  async #call(
    embedder: Embedder,
    texts: readonly string[],
    signal: AbortSignal | undefined,
  ): Promise<number[][]> {
    const key = ERROR_KEY + embedder.model;
    const settings = this.#timeline.settings;
    try {
      const vectors = await embedder.embed(texts, signal === undefined ? {} : { signal });
      if (settings.get(key) !== undefined) settings.delete(key);
      return vectors;
    } catch (error) {
      if (signal?.aborted !== true) {
        const { message } = error as Error;
        settings.set(key, JSON.stringify({ message, at: new Date().toISOString() }));
      }
      throw error;
    }
  }

  /** The model's last call, when it failed. */
  lastError(): { message: string; at: string } | undefined {
    const model = this.model;
    const stored = model === undefined ? undefined : this.#timeline.settings.get(ERROR_KEY + model);
    return stored === undefined ? undefined : JSON.parse(stored);
  }

  /** Records the model's vector size; throws when it differs from the one known before. */
  #record(model: string, size: number): void {
    const key = DIMENSION_KEY + model;
    if (this.#timeline.settings.get(key) === String(size)) return;
    const known = this.dimension();
    this.#timeline.settings.set(key, String(size));
    if (known === undefined || known === size) return;
    this.#index = undefined;
    throw new MemoryError(
      `${model} now answers with ${size}-dimensional vectors, ${known} before: run ` +
        `\`${this.#options.command} memory reindex\` to embed every chunk again`,
    );
  }

  /** Embeds chunks (at least one) and stores their vectors with their codes. */
  async embedChunks(chunks: readonly MemoryChunk[], signal?: AbortSignal): Promise<number> {
    const vectors = await this.embed(chunks.map((c) => c.content), signal);
    storeVectors(
      this.#timeline,
      this.model!,
      chunks.map((chunk, i) => ({ seq: chunk.seq, vector: vectors[i]! })),
    );
    return chunks.length;
  }

  /**
   * The `k` chunks nearest to `vector` (of the configured model) that `zones` sees, nearest
   * first, with their cosine distance, through this memory's code index (code_index.ts).
   */
  nearest(
    vector: Float32Array,
    options: { readonly zones: ZoneFilter; readonly k: number },
  ): { chunk: MemoryChunk; distance: number }[] {
    this.#index ??= new CodeIndex(this.#timeline, {
      model: this.model!,
      dimension: vector.length,
    });
    return this.#index.nearest(vector, options);
  }

  /** What a re-index would do. Throws MemoryError when there is no model or no sqlite-vec. */
  plan(): ReindexPlan {
    const { embedder } = this.#options;
    if (embedder === undefined) {
      throw new MemoryError(`Cannot re-index memory: ${this.state().reason}`);
    }
    const store = this.#timeline.memory;
    if (store.vectors.version() === undefined) {
      throw new MemoryError(`Cannot re-index memory: ${this.state().reason}`);
    }
    const models = store.models();
    const indexDimension = store.vectors.dimension();
    const dimension = this.dimension();
    const count = (keep: (model: string | undefined) => boolean) =>
      models.filter((m) => keep(m.model)).reduce((sum, m) => sum + m.count, 0);
    const resized = indexDimension !== undefined && dimension !== undefined &&
      indexDimension !== dimension;
    return {
      model: embedder.model,
      dimension,
      indexDimension,
      foreign: count((m) => m !== undefined && m !== embedder.model),
      toEmbed: resized ? count(() => true) : count((m) => m !== embedder.model),
      total: count(() => true),
    };
  }

  /**
   * Re-embeds every chunk without a vector of the configured model, after dropping the index
   * when its size is wrong and forgetting other models' vectors. It resumes where it stopped.
   */
  async reindex(options: ReindexOptions = {}): Promise<ReindexResult> {
    const plan = this.plan();
    if (options.confirm !== true) return { plan, done: false, embedded: 0 };
    const batchSize = options.batchSize ?? 32;
    const store = this.#timeline.memory;
    if (
      plan.indexDimension !== undefined && plan.dimension !== undefined &&
      plan.indexDimension !== plan.dimension
    ) {
      store.vectors.clear();
      this.#index = undefined;
    } else {
      store.vectors.clearForeign(plan.model);
    }
    let embedded = 0;
    let afterSeq = 0;
    options.onProgress?.(0, plan.toEmbed);
    for (;;) {
      options.signal?.throwIfAborted();
      const batch = store.withoutVector(plan.model, { afterSeq, limit: batchSize });
      if (batch.length === 0) break;
      embedded += await this.embedChunks(batch, options.signal);
      afterSeq = batch[batch.length - 1]!.seq;
      options.onProgress?.(embedded, Math.max(plan.toEmbed, embedded));
    }
    return { plan, done: true, embedded };
  }
}

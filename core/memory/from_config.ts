/**
 * Wiring memory from the configuration: the timeline opened with sqlite-vec when the process may
 * load it, and the embedder of `memory.embedding` when it is enabled and its provider is set up.
 * Whatever is missing, memory still works, by keywords, and says why.
 *
 * @module
 */
import type { EmbedderOptions, ProviderConfig } from "../provider/mod.ts";
import { Timeline, type TimelineOptions } from "../timeline/mod.ts";
import { Memory, type MemoryOptions } from "./memory.ts";
import { memoryEmbedder } from "./setup.ts";
import {
  ffiGranted,
  SqliteVecLoader,
  type SqliteVecOptions,
  type VectorSupport,
} from "./sqlite_vec.ts";

/** Options of {@link openWithVectors}. */
export interface OpenWithVectorsOptions extends Omit<TimelineOptions, "extensions"> {
  /** Where sqlite-vec comes from; `false` to not load it. */
  readonly sqliteVec?: SqliteVecOptions | false;
}

/**
 * Opens the timeline with sqlite-vec loaded when this process may load native code
 * (`--allow-ffi`) and the library is there; says how that went.
 *
 * @example
 * ```ts
 * import { openWithVectors } from "./from_config.ts";
 * const { timeline, vectors } = openWithVectors(":memory:");
 * console.assert(vectors.available || typeof vectors.reason === "string");
 * timeline.close();
 * ```
 */
export function openWithVectors(
  path: string,
  options: OpenWithVectorsOptions = {},
): { timeline: Timeline; vectors: VectorSupport } {
  const { sqliteVec, ...timelineOptions } = options;
  if (sqliteVec === false) {
    return {
      timeline: Timeline.open(path, timelineOptions),
      vectors: { available: false, reason: "sqlite-vec was turned off" },
    };
  }
  if (!ffiGranted()) {
    return {
      timeline: Timeline.open(path, timelineOptions),
      vectors: {
        available: false,
        reason: "sqlite-vec is a native extension and this process runs without --allow-ffi",
      },
    };
  }
  const loader = new SqliteVecLoader(sqliteVec);
  const timeline = Timeline.open(path, { ...timelineOptions, extensions: (db) => loader.load(db) });
  return { timeline, vectors: loader.status };
}

/** Options of {@link memoryFromConfig} that the configuration does not hold. */
export interface MemoryFromConfigOptions
  extends Omit<MemoryOptions, "embedder" | "embedderReason" | "advice"> {
  readonly embedderOptions?: EmbedderOptions;
  /**
   * Applied to every text before it goes to the embedding model, which is a provider like the
   * chat model: the agent passes its secret redactor, so that a configured secret in a message,
   * a tool result or a soul file never reaches it. Memory itself keeps the text as it was.
   */
  readonly redact?: (text: string) => string;
}

/**
 * A {@link Memory} configured by `memory.embedding` (enabled, model) and `memory.search`
 * (maxResults, minScore). The size of the vectors is the model's (see vectors.ts), not
 * `memory.embedding.dimension`.
 */
export function memoryFromConfig(
  timeline: Timeline,
  config: ProviderConfig,
  options: MemoryFromConfigOptions = {},
): Memory {
  const { embedderOptions, redact, ...rest } = options;
  const embedding = memoryEmbedder(config, embedderOptions);
  const { embedder } = embedding;
  return new Memory(timeline, {
    ...embedding,
    ...(embedder && redact
      ? {
        embedder: {
          model: embedder.model,
          embed: (texts, call) => embedder.embed(texts.map((text) => redact(text)), call),
        },
      }
      : {}),
    maxResults: config.memory.search.maxResults,
    minScore: config.memory.search.minScore,
    maxChunks: config.memory.maxChunks,
    command: config.command,
    ...rest,
  });
}

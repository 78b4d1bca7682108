/**
 * Memory: the agent's long-term store of text, searched by keywords (SQLite FTS5) and by meaning
 * (vectors from the provider's `/embeddings`, ranked by sqlite-vec's cosine distance), the two
 * rankings fused by reciprocal rank (k = 60). Without an embedding model or without sqlite-vec it
 * searches by keywords alone and every search result and status says so and why.
 *
 * - Searching by meaning stays fast as memory grows: each process holds a binary code of every
 *   vector ({@link CodeIndex}, 48 bytes for 384 dimensions), scores them all, and ranks only the
 *   best few hundred by their exact cosine, read from the database.
 *
 * - Storing: {@link Memory.remember} (chunks of long text, idempotent by a hash of source and
 *   content), soul files by `## ` section, session summaries, group items, and the
 *   {@link AutoIndexer} for conversation turns and long tool results.
 * - Every chunk keeps its taint and zone. A search sees public chunks (those without a zone) and
 *   the zones it is given; its result is untrusted when any hit is (PROTOCOL.md semantics 9-10).
 * - Retention by source kind (conversation 30 days, tool 14, group 60; soul, user and summary
 *   permanent) and a chunk cap; a changed embedding model needs an explicit {@link Memory.reindex}.
 * - Expertise per skill. (The `remember` and `recall` tools over it are in core/tools.)
 *
 * @example
 * ```ts
 * import { Memory, openWithVectors } from "./mod.ts";
 * const { timeline, vectors } = openWithVectors(":memory:");
 * const memory = new Memory(timeline, { vectors });
 * await memory.remember("The staging database runs on port 5433", { taint: "trusted" });
 * const result = await memory.search("staging database port");
 * console.assert(result.mode === "keyword" && result.hits.length === 1);
 * timeline.close();
 * ```
 *
 * @module
 */
export {
  type GroupItem,
  Memory,
  type MemoryInput,
  type MemoryOptions,
  type RememberOptions,
  type RememberResult,
} from "./memory.ts";
export type { MemoryHit, SearchOptions, SearchResult } from "./search.ts";
export { formatSearch, formatStatus, type MemoryStatus } from "./report.ts";
export { pruneJson, reindexJson, searchJson, statusJson } from "./json.ts";
export {
  MemoryError,
  type ReindexOptions,
  type ReindexPlan,
  type ReindexResult,
  type VectorState,
} from "./vectors.ts";
export { CodeIndex, type CodeIndexStats, poolSize } from "./code_index.ts";
export { codeOf, MEAN_SAMPLE, meanOf } from "./codes.ts";
export { ensureMean, storeVectors, type VectorInput } from "./stored_vectors.ts";
export {
  chunkId,
  chunkText,
  DEFAULT_CHUNK_CHARS,
  normalizeTags,
  normalizeText,
  type SoulSection,
  soulSections,
} from "./chunking.ts";
export { ftsQuery, fuse, type Fused, RRF_K } from "./fusion.ts";
export {
  DEFAULT_MAX_CHUNKS,
  PERMANENT_KINDS,
  type PruneReport,
  RETENTION_DAYS,
  sourceKind,
} from "./retention.ts";
export {
  ffiGranted,
  SQLITE_VEC_VERSION,
  SqliteVecLoader,
  type SqliteVecOptions,
  sqliteVecPath,
  type VectorSupport,
} from "./sqlite_vec.ts";
export { type EmbeddingSetup, hybridAdvice, memoryEmbedder } from "./setup.ts";
export {
  memoryFromConfig,
  type MemoryFromConfigOptions,
  openWithVectors,
  type OpenWithVectorsOptions,
} from "./from_config.ts";
export {
  AutoIndexer,
  type AutoIndexerOptions,
  type ConversationTurn,
  isGreeting,
  isRawJson,
  type MemorySink,
  type ToolResultItem,
} from "./auto_indexer.ts";
export {
  type Expertise,
  expertiseScore,
  QUALITY_WINDOW,
  type SkillEvent,
  skillOfTool,
  TREND_WINDOW,
  trendOf,
} from "./expertise.ts";

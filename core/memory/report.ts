/**
 * What memory says about itself: its status (counts, the search mode and why, how far the
 * vectors are) and search results, as data and as text for the CLI and the recall tool.
 *
 * @module
 */
import { DEFAULT_COMMAND } from "../config/mod.ts";
import type { KindCount, ModelCount, Timeline } from "../timeline/mod.ts";
import type { SearchResult } from "./search.ts";
import type { VectorSupport } from "./sqlite_vec.ts";
import type { Vectors } from "./vectors.ts";

/** The state of a memory. */
export interface MemoryStatus {
  /** How searches run now. */
  readonly mode: "hybrid" | "keyword";
  /** Why searches are keyword-only, when they are. */
  readonly reason: string | undefined;
  /** How to search by meaning too, when the configuration gives no embedding model. */
  readonly advice: string | undefined;
  /** The embedding model's last call, when it failed (chunks stored meanwhile lack vectors). */
  readonly lastError: { readonly message: string; readonly at: string } | undefined;
  readonly chunks: number;
  readonly maxChunks: number;
  readonly kinds: readonly KindCount[];
  /** Chunks by the model of their vector (undefined: no vector). */
  readonly models: readonly ModelCount[];
  /** The configured embedding model, if any. */
  readonly embeddingModel: string | undefined;
  /** The size of its vectors, recorded at its first answer (undefined before). */
  readonly embeddingDimension: number | undefined;
  /** Chunks without a vector of the configured model. */
  readonly withoutVector: number;
  /** sqlite-vec: loaded or why not, its version, the size of the vectors in the index. */
  readonly sqliteVec: {
    readonly available: boolean;
    readonly version: string | undefined;
    readonly path: string | undefined;
    readonly indexDimension: number | undefined;
  };
}

/** Computes the status of a memory. */
export function memoryStatus(
  timeline: Timeline,
  vectors: Vectors,
  options: {
    readonly support: VectorSupport | undefined;
    readonly maxChunks: number;
    readonly advice?: string | undefined;
  },
): MemoryStatus {
  const store = timeline.memory;
  const state = vectors.state();
  const models = store.models();
  const version = store.vectors.version();
  return {
    mode: state.ready ? "hybrid" : "keyword",
    reason: state.reason,
    advice: state.ready ? undefined : options.advice,
    lastError: vectors.lastError(),
    chunks: store.count(),
    maxChunks: options.maxChunks,
    kinds: store.kinds(),
    models,
    embeddingModel: vectors.model,
    embeddingDimension: vectors.dimension(),
    withoutVector: models.filter((m) => m.model === undefined || m.model !== vectors.model)
      .reduce((sum, m) => sum + m.count, 0),
    sqliteVec: {
      available: version !== undefined,
      version,
      path: options.support?.path,
      indexDimension: store.vectors.dimension(),
    },
  };
}

/** The status as lines of text; `command` starts the commands it suggests (commandName). */
export function formatStatus(status: MemoryStatus, command: string = DEFAULT_COMMAND): string {
  const lines = [
    status.mode === "hybrid"
      ? "search: hybrid (keywords and vectors, fused by reciprocal rank)"
      : `search: keyword only (${status.reason})`,
    ...(status.advice === undefined ? [] : [`  ${status.advice}`]),
    `chunks: ${status.chunks} of at most ${status.maxChunks}`,
    ...status.kinds.map((k) =>
      `  ${k.kind}: ${k.count} (oldest ${k.oldest.toISOString().slice(0, 10)})`
    ),
    `embedding model: ${status.embeddingModel ?? "none"}` +
    (status.embeddingModel === undefined
      ? ""
      : status.embeddingDimension === undefined
      ? " (vector size taken from its first answer)"
      : ` (${status.embeddingDimension} dimensions)`),
  ];
  if (status.embeddingModel !== undefined && status.withoutVector > 0) {
    lines.push(
      `  ${status.withoutVector} chunk(s) without a vector of this model ` +
        `(\`${command} memory reindex\` embeds them)`,
    );
  }
  if (status.lastError !== undefined) {
    lines.push(
      `  its last call failed (${status.lastError.at}): ${status.lastError.message}`,
    );
  }
  for (const m of status.models) {
    if (m.model !== undefined) lines.push(`  vectors by ${m.model}: ${m.count}`);
  }
  const vec = status.sqliteVec;
  lines.push(
    vec.available
      ? `sqlite-vec: ${vec.version}` + (vec.path ? ` from ${vec.path}` : "") +
        (vec.indexDimension === undefined ? ", no index yet" : `, index of ${vec.indexDimension}`)
      : "sqlite-vec: not loaded",
  );
  return lines.join("\n");
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : flat.slice(0, max - 1) + "…";
}

/**
 * Search results as text: how the search ran, then one numbered line per hit with its source,
 * taint, zone and date, the content on one line cut at `maxChars`.
 */
export function formatSearch(
  query: string,
  result: SearchResult,
  options: { readonly maxChars?: number } = {},
): string {
  const how = result.mode === "hybrid" ? "hybrid search: keywords and meaning" : result.notice!;
  if (result.hits.length === 0) return `No memories match ${JSON.stringify(query)} (${how})`;
  const head = `${result.hits.length} memor${result.hits.length === 1 ? "y" : "ies"} (${how}):`;
  return [
    head,
    ...result.hits.map((hit, i) => {
      const where = [
        hit.source,
        hit.taint,
        hit.zone ?? "public",
        hit.updatedAt.toISOString()
          .slice(0, 10),
      ];
      return `${i + 1}. [${where.join(", ")}] ${oneLine(hit.content, options.maxChars ?? 500)}`;
    }),
  ].join("\n");
}

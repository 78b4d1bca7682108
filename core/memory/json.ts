/**
 * Memory's records as JSON for a user: what the gateway's API answers and what `kafclaw memory
 * ... --json` prints, one shape for both, its keys in snake_case (core/wire).
 *
 * @module
 */
import { wire } from "../wire/mod.ts";
import type { MemoryStatus } from "./report.ts";
import type { PruneReport } from "./retention.ts";
import type { SearchResult } from "./search.ts";
import type { ReindexResult } from "./vectors.ts";

/** A search: how it searched, and each hit. */
export function searchJson(result: SearchResult) {
  return { ...wire(result), hits: result.hits.map(wire) };
}

/** What memory holds, each part of it. */
export function statusJson(status: MemoryStatus) {
  return {
    ...wire(status),
    kinds: status.kinds.map(wire),
    models: status.models.map(wire),
    sqlite_vec: wire(status.sqliteVec),
  };
}

/** What a prune removed (its `expired` counts keyed by source kind, as they are). */
export function pruneJson(report: PruneReport) {
  return wire(report);
}

/** A re-index: its plan, and whether it was done. */
export function reindexJson(result: ReindexResult) {
  return { ...wire(result), plan: wire(result.plan) };
}

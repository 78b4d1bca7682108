/**
 * Names of MCP tools as the model sees them: `<server>__<tool>`, within what the function calling
 * API accepts (`^[a-zA-Z0-9_-]{1,64}$`).
 *
 * @module
 */

/** The `_meta` key of a tool call that carries its task attempt's idempotency key. */
export const IDEMPOTENCY_META = "kafclaw/idempotency-key";

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * The model-facing name of tool `tool` of server `server`: characters outside [a-zA-Z0-9_-]
 * become `_`; a name past 64 characters is cut and ends in a hash of the full name, so that two
 * long names stay apart.
 *
 * @example
 * ```ts
 * import { mcpToolName } from "./names.ts";
 * console.assert(mcpToolName("github", "search.issues") === "github__search_issues");
 * ```
 */
export function mcpToolName(server: string, tool: string): string {
  const full = `${server}__${tool}`;
  const safe = full.replace(/[^a-zA-Z0-9_-]/g, "_");
  return safe.length <= 64 ? safe : `${safe.slice(0, 55)}_${fnv1a(full)}`;
}

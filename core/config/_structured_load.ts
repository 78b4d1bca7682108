/**
 * Loads the structured keys' schemas (`_structured.ts`, and with them zod and the cron parser)
 * when a process first needs them: when the environment or the file sets one of those keys.
 * Resolving is synchronous, so they are loaded before it (`prepareStructured` in resolve.ts).
 *
 * @module
 */
import type * as Structured from "./_structured.ts";

/** The structured keys' schemas. */
export type StructuredSchemas = typeof Structured;

let loaded: StructuredSchemas | undefined;
let loading: Promise<StructuredSchemas> | undefined;

/** Loads the schemas (once). */
export function loadStructuredSchemas(): Promise<StructuredSchemas> {
  return loading ??= import("./_structured.ts").then((schemas) => loaded = schemas);
}

/** The schemas, if they are loaded. */
export function structuredSchemas(): StructuredSchemas | undefined {
  return loaded;
}

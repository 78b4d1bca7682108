/**
 * The agent's memory (core/memory, as `kafclaw memory` uses it): search (keywords and, with an
 * embedding model, meaning; every zone, as the owner sees it, unless `zone` names some), what it
 * holds, and a prune of what has expired or is over the limit.
 *
 * @module
 */
import { z } from "zod";
import { pruneJson, searchJson, statusJson } from "../../core/memory/mod.ts";
import { isId } from "../../core/protocol/mod.ts";
import type { ApiParts } from "./parts.ts";
import type { ApiRoutes } from "./routes.ts";

const SEARCH = z.object({
  q: z.string().min(1).max(2000).describe("What to look for"),
  limit: z.coerce.number().int().min(1).max(100).optional().describe("Most results"),
  zone: z.string()
    .refine((zones) => zones.split(",").every(isId), {
      message: "each zone is a zone id (a-z, 0-9, _ and -, starting with a letter or digit)",
    })
    .optional()
    .describe("See only public memory and these zones (comma-separated)"),
});

/** Mounts the memory endpoints. */
export function mountMemory(routes: ApiRoutes, parts: ApiParts): void {
  const memory = parts.gateway.runtime.memory;
  routes.add({
    method: "get",
    path: "/api/v1/memory/search",
    summary: "Searches memory",
    tag: "memory",
    query: SEARCH,
  }, async (c, { query }) =>
    c.json(searchJson(
      await memory.search(query.q, {
        zones: query.zone === undefined ? "all" : query.zone.split(","),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        signal: c.req.raw.signal,
      }),
    )));
  routes.add(
    { method: "get", path: "/api/v1/memory/status", summary: "What memory holds", tag: "memory" },
    (c) => c.json(statusJson(memory.status())),
  );
  routes.add(
    {
      method: "post",
      path: "/api/v1/memory/prune",
      summary: "Removes expired memory",
      tag: "memory",
    },
    (c) => c.json(pruneJson(memory.prune())),
  );
}

/**
 * The policy's decisions (core/policy, kept in the timeline): every tool call's allow, ask or
 * deny, with who asked and why, newest first, a page at a time.
 *
 * @module
 */
import type { ApiParts } from "./parts.ts";
import { type ApiRoutes, PAGE_QUERY } from "./routes.ts";
import { wire } from "./wire.ts";

/** Mounts `/api/v1/policy/decisions`. */
export function mountDecisions(routes: ApiRoutes, parts: ApiParts): void {
  const decisions = parts.gateway.runtime.timeline.decisions;
  routes.add({
    method: "get",
    path: "/api/v1/policy/decisions",
    summary: "The policy's decisions on tool calls, newest first",
    tag: "policy",
    query: PAGE_QUERY,
  }, (c, { query }) => {
    const page = decisions.list(query);
    return c.json({ items: page.items.map(wire), next: page.next ?? null });
  });
}

/**
 * The policy's decisions (core/policy, kept in the timeline): every tool call's allow, ask or
 * deny, with who asked and why, newest first, a page at a time; and its limits on LLM use (daily
 * tokens, per sender too, daily and monthly USD budgets) with what is used of each now, as the
 * checks count it (core/policy `budgetUse`), for the dashboard's overview.
 *
 * @module
 */
import { budgetUse } from "../../core/policy/mod.ts";
import type { ApiParts } from "./parts.ts";
import { type ApiRoutes, PAGE_QUERY } from "./routes.ts";
import { wire } from "../../core/wire/mod.ts";

/** Mounts `/api/v1/policy/decisions` and `/api/v1/policy/budgets`. */
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
  const usage = parts.gateway.runtime.timeline.usage;
  routes.add({
    method: "get",
    path: "/api/v1/policy/budgets",
    summary: "The limits on LLM use that are set, and what is used of each now",
    tag: "policy",
  }, (c) =>
    c.json({
      items: budgetUse(parts.config.policy, usage, new Date()).map((b) => ({
        name: b.name,
        unit: b.unit,
        period: b.period,
        used: b.used,
        limit: b.limit,
        resets_at: b.resetsAt.toISOString(),
        ...(b.sender === undefined ? {} : { sender: b.sender }),
      })),
    }));
}

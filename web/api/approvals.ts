/**
 * Approvals: the pending requests, one whole, and the owner's answer. Every API request carries
 * the gateway's token, which the agent never holds (it is no tool's input, and `web_fetch`
 * refuses loopback targets), so a request the agent itself could make never answers one. An
 * answer is the timeline's, as `kafclaw approvals approve|deny` gives it: the waiting turn reads
 * it and runs the tool, or not.
 *
 * @module
 */
import { z } from "zod";
import type { AskOwner } from "../../core/agent/mod.ts";
import { answerRefusal, WAITER_STALE_MS } from "../../core/timeline/mod.ts";
import { Conflict, found, NotFound } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import { type ApiRoutes, param } from "./routes.ts";
import { wire } from "../../core/wire/mod.ts";

const ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "not an approval id" });

/**
 * The owner as the gateway's API reaches them: a request waits (till its timeout) for an answer
 * given through the API or `kafclaw approvals`, instead of being denied for want of an owner.
 */
export const apiOwner: AskOwner = (_approval, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });

/** Mounts the approval endpoints. */
export function mountApprovals(routes: ApiRoutes, parts: ApiParts): void {
  const store = parts.gateway.runtime.timeline.approvals;
  routes.add(
    {
      method: "get",
      path: "/api/v1/approvals",
      summary: "Pending requests, oldest first",
      tag: "approvals",
    },
    (c) => c.json({ items: store.pending().map(wire) }),
  );
  routes.add(
    {
      method: "get",
      path: "/api/v1/approvals/:id",
      summary: "One request, whole",
      tag: "approvals",
    },
    (c) => {
      const id = param(c, "id", ID);
      return c.json(wire(found(store.get(id), `No approval request ${id}`)));
    },
  );
  for (const [verb, status] of [["approve", "approved"], ["deny", "denied"]] as const) {
    routes.add({
      method: "post",
      path: `/api/v1/approvals/:id/${verb}`,
      summary: verb === "approve" ? "Allows a pending call" : "Refuses a pending call",
      tag: "approvals",
    }, (c) => {
      const id = param(c, "id", ID);
      const r = store.resolve(id, { status, responder: "api" }, { staleMs: WAITER_STALE_MS });
      if (r.ok) return c.json(wire(r.approval));
      if (r.reason === "unknown") throw new NotFound(`No approval request ${id}`);
      throw new Conflict(answerRefusal(id, r.reason), `approval_${r.reason}`);
    });
  }
}

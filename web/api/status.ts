/**
 * `GET /api/v1/status` (what `kafclaw status` prints), `GET /api/v1/auth/verify` (whether the
 * token a client holds is this gateway's: reaching it is the answer) and the OpenAPI document.
 *
 * @module
 */
import { z } from "zod";
import type { GatewayStatus } from "../status.ts";
import { openApiDocument } from "./openapi.ts";
import type { ApiRoutes } from "./routes.ts";

const VERIFIED = z.object({ valid: z.literal(true) });

/** Mounts status and auth verify. */
export function mountStatus(routes: ApiRoutes, status: () => GatewayStatus): void {
  routes.add(
    {
      method: "get",
      path: "/api/v1/status",
      summary: "What runs, and how the group fares",
      tag: "status",
    },
    (c) => c.json(status()),
  );
  routes.add(
    {
      method: "get",
      path: "/api/v1/auth/verify",
      summary: "Whether the token sent is this gateway's (a wrong one gets 401)",
      tag: "auth",
      response: VERIFIED,
    },
    (c) => c.json({ valid: true }),
  );
}

/** Mounts `/api/v1/openapi.json`: the document of every route mounted before it, and itself. */
export function openApiRoute(routes: ApiRoutes): void {
  let document: Record<string, unknown> | undefined;
  routes.add(
    { method: "get", path: "/api/v1/openapi.json", summary: "This document", tag: "meta" },
    (c) => c.json(document ??= openApiDocument(routes.specs)),
  );
}

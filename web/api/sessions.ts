/**
 * Sessions (core/agent `SessionStore`): the list of conversations, one read whole, and deleting
 * one (not while a turn of it runs: 409). A session's key is its full name (`api:default`, `telegram:42`, `cron:daily`).
 *
 * @module
 */
import { z } from "zod";
import { Conflict, NotFound } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import { type ApiRoutes, param } from "./routes.ts";
import { wire } from "../../core/wire/mod.ts";

const KEY = z.string().min(1).max(300);

/** Mounts the session endpoints. */
export function mountSessions(routes: ApiRoutes, parts: ApiParts): void {
  const sessions = parts.gateway.runtime.sessions;
  const leases = parts.gateway.runtime.timeline.sessionLeases;
  routes.add(
    {
      method: "get",
      path: "/api/v1/sessions",
      summary: "Every session, newest first",
      tag: "sessions",
    },
    async (c) => c.json({ items: (await sessions.list()).map(wire) }),
  );
  routes.add(
    {
      method: "get",
      path: "/api/v1/sessions/:key",
      summary: "One session's lines",
      tag: "sessions",
    },
    async (c) => {
      const key = param(c, "key", KEY);
      const lines = await sessions.lines(key);
      if (lines.length === 0) throw new NotFound(`No session ${key}`);
      return c.json({ key, lines });
    },
  );
  routes.add(
    {
      method: "delete",
      path: "/api/v1/sessions/:key",
      summary: "Deletes a session",
      tag: "sessions",
    },
    async (c) => {
      const key = param(c, "key", KEY);
      const holder = leases.holder(key);
      if (holder !== undefined && holder.until > new Date()) {
        throw new Conflict(
          `Session ${key} is in a turn; delete it when the turn has ended`,
          "busy",
        );
      }
      if (!await sessions.remove(key)) throw new NotFound(`No session ${key}`);
      return c.json({ deleted: key });
    },
  );
}

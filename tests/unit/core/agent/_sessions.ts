import { SessionStore } from "../../../../core/agent/sessions.ts";

/** The clock of {@link tempSessions}: every line is stamped 2026-11-25T10:00:00Z. */
export const SESSION_TIME = () => new Date("2026-11-25T10:00:00Z");

/** A SessionStore in a fresh temporary folder (`dir` is its sessions folder), removed on dispose. */
export async function tempSessions() {
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-sessions-" });
  return {
    dir: `${dir}/sessions`,
    store: new SessionStore(`${dir}/sessions`, { now: SESSION_TIME }),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

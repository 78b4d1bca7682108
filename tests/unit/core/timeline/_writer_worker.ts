/// <reference lib="deno.worker" />
/**
 * Holds a write transaction on a database file for `holdMs` (forever when absent), the way another
 * process migrating a new timeline does; says "writing" once it holds the lock, "done" once it
 * let go.
 */
import { DatabaseSync } from "node:sqlite";

self.onmessage = (event: MessageEvent<{ path: string; holdMs?: number }>) => {
  const db = new DatabaseSync(event.data.path);
  db.exec("BEGIN IMMEDIATE");
  db.exec("INSERT INTO seed VALUES (1)");
  self.postMessage("writing");
  if (event.data.holdMs === undefined) return;
  setTimeout(() => {
    db.exec("COMMIT");
    db.close();
    self.postMessage("done");
  }, event.data.holdMs);
};

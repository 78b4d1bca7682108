/// <reference lib="deno.worker" />
/**
 * Holds a write transaction on a database file for `holdMs` (forever when absent), the way another
 * process migrating a new timeline does; says "writing" once it holds the lock, "done" once it
 * let go, or "failed: <message>" when SQLite refused it.
 *
 * Its connection waits out other connections' locks, as every timeline connection does: the
 * opener's retried switch to WAL holds a read lock for a moment each time, and a COMMIT that meets
 * it without a busy timeout fails at once with "database is locked".
 */
import { DatabaseSync } from "node:sqlite";

/** Runs `step`; a failure is said to the test instead of becoming the worker's uncaught error. */
function saying(step: () => void): void {
  try {
    step();
  } catch (error) {
    self.postMessage(`failed: ${(error as Error).message}`);
  }
}

self.onmessage = (event: MessageEvent<{ path: string; holdMs?: number }>) =>
  saying(() => {
    const { path, holdMs } = event.data;
    const db = new DatabaseSync(path, { timeout: 30_000 });
    db.exec("BEGIN IMMEDIATE");
    db.exec("INSERT INTO seed VALUES (1)");
    self.postMessage("writing");
    if (holdMs === undefined) return;
    setTimeout(() =>
      saying(() => {
        db.exec("COMMIT");
        db.close();
        self.postMessage("done");
      }), holdMs);
  });

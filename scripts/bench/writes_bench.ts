/**
 * What writes that are never lost cost, each against a baseline measured in the same run
 * (`deno task bench` prints the ratio):
 *
 * - a timeline insert run to its end with `all()` (so a failed commit is seen), as `Db.get` now
 *   does, against `StatementSync.get()` stopping at the row, which lost such failures;
 * - a session append that lands whole or not at all, against a bare append of the same line;
 * - the gate every turn passes (free space, the session's lease taken and given up, the end of
 *   its file read), against reading the history that every turn reads anyway, of a session of
 *   200 messages.
 */
import { DatabaseSync } from "node:sqlite";
import { sessionGate } from "../../core/agent/session_gate.ts";
import { SessionStore } from "../../core/agent/sessions.ts";
import { Timeline } from "../../core/timeline/mod.ts";

const dir = await Deno.makeTempDir({ prefix: "kafclaw-bench-" });
const timeline = Timeline.open(`${dir}/timeline.db`);
const raw = new DatabaseSync(`${dir}/timeline.db`);
const insert = raw.prepare(
  `INSERT INTO timeline_events (event_id, trace_id, span_id, kind, started_at, ended_at)
    VALUES (?, ?, ?, 'LLM', ?, ?) RETURNING *`,
);
let n = 0;
const id = () => `bench-${++n}`;
const trace = "b".repeat(32);

const row = () => {
  const at = new Date().toISOString();
  return [id(), trace, id().slice(-16), at, at] as const;
};

Deno.bench(
  "insert … RETURNING read with get()",
  { group: "timeline write", baseline: true },
  () => {
    insert.get(...row());
  },
);
Deno.bench("insert … RETURNING run to its end (all())", { group: "timeline write" }, () => {
  insert.all(...row());
});

const sessions = new SessionStore(`${dir}/sessions`);
const line = { role: "assistant" as const, content: "The build passed after a retry. ".repeat(8) };
const barePath = `${dir}/bare.jsonl`;
const bare = JSON.stringify({ ...line, timestamp: new Date().toISOString() }) + "\n";

Deno.bench("bare append of a line", { group: "session append", baseline: true }, async () => {
  await Deno.writeTextFile(barePath, bare, { append: true, mode: 0o600 });
});
Deno.bench("sessions.append (whole or not at all)", { group: "session append" }, async () => {
  await sessions.append("bench:append", [line]);
});

for (let i = 0; i < 100; i++) {
  await sessions.append("bench:turn", [{ role: "user", content: `question ${i}` }, line]);
}
const gate = sessionGate({
  leases: timeline.sessionLeases,
  sessions,
  owner: "bench",
  alive: () => Promise.resolve(true),
  home: dir,
});
const open = new AbortController().signal;

Deno.bench("history of 200 messages", { group: "turn gate", baseline: true }, async () => {
  await sessions.history("bench:turn", 40);
});
Deno.bench("enter and leave the gate", { group: "turn gate" }, async () => {
  await (await gate("bench:turn", open))[Symbol.asyncDispose]();
});

globalThis.addEventListener("unload", () => {
  raw.close();
  timeline.close();
  Deno.removeSync(dir, { recursive: true });
});

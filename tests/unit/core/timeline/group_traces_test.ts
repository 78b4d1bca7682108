/** The group's stored traces, newest first, each with its spans' count and agents. */
import assert from "node:assert/strict";
import { type StoredSpan, Timeline } from "../../../../core/timeline/mod.ts";

function span(traceId: string, spanId: string, agentId: string, startedAt: string): StoredSpan {
  return {
    traceId,
    spanId,
    parentSpanId: undefined,
    agentId,
    spanType: "TASK",
    title: "t",
    startedAt: new Date(startedAt),
    endedAt: undefined,
    durationMs: undefined,
    attributes: {},
    contentHash: undefined,
    content: undefined,
    zone: undefined,
  };
}

Deno.test("recent traces come newest first, with their spans and agents", async () => {
  const dir = await Deno.makeTempDir();
  using timeline = Timeline.open(`${dir}/timeline.db`);
  const store = timeline.groupTraces;
  assert.deepEqual(store.recent(), []);
  store.put(span("t1", "a", "ben", "2026-12-05T08:00:02Z"));
  store.put(span("t1", "b", "ann", "2026-12-05T08:00:01Z"));
  store.put(span("t2", "c", "cy", "2026-12-05T08:01:00Z"));
  store.put(span("t1", "d", "ann", "2026-12-05T08:00:03Z"));
  assert.deepEqual(store.recent(), [
    {
      traceId: "t1",
      spans: 3,
      agents: ["ann", "ben"],
      startedAt: new Date("2026-12-05T08:00:01Z"),
    },
    { traceId: "t2", spans: 1, agents: ["cy"], startedAt: new Date("2026-12-05T08:01:00Z") },
  ]);
  assert.deepEqual(store.recent(1).map((t) => t.traceId), ["t1"]);
  await Deno.remove(dir, { recursive: true });
});

/**
 * Liveness of the foreign agents of tests/interop on the real broker (PROTOCOL.md, semantics 6): a
 * peer is stale after 3 of its announced heartbeat intervals of silence, so an agent busy with a
 * backlog of requests keeps sending heartbeats while it works through them.
 */
import assert from "node:assert/strict";
import { waitFor } from "../../_support/wait.ts";
import { foreignRuntimes, Group } from "./_agents.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const { python, goAgent } = await foreignRuntimes();
/**
 * Each agent, and how many requests wait for it: enough that it works for well over 3 heartbeat
 * intervals even on a quiet, fast machine, where 1000 took the Go agent only 1083 ms (against the
 * 1200 ms needed), and the Python agent several seconds.
 */
const AGENTS = {
  python: {
    argv: [python, new URL("../../interop/python/agent.py", import.meta.url).pathname],
    id: "py-worker",
    backlog: 1000,
  },
  go: { argv: [goAgent], id: "go-worker", backlog: 4000 },
};
/**
 * The heartbeat interval the agents announce here. At 250 ms a Python agent starved of the CPU
 * for 782 ms on a loaded machine once missed the bound; 400 ms leaves such a machine room while a
 * heartbeat held up by the work still fails it.
 */
const INTERVAL_MS = 400;

for (const [language, agent] of Object.entries(AGENTS)) {
  Deno.test(
    `the ${language} agent keeps its heartbeats while it works through a backlog`,
    opts,
    async () => {
      await using group = await new Group().start([agent.id]);
      const requester = await group.admit("deno-req");
      const tasks = Array.from({ length: agent.backlog }, (_, i) => `backlog-${i}`);
      for (const task of tasks) await group.request(requester, task);
      const worker = group.spawn(
        [...agent.argv, "--heartbeat-ms", String(INTERVAL_MS)],
        agent.id,
        await group.admit(agent.id),
      );
      const statuses = () =>
        group.on(group.topics.tasksStatus).map((r) => ({
          at: Date.parse(r.json.timestamp as string),
          status: (r.json.payload as { status: string }).status,
        }));
      await waitFor(
        () => statuses().filter((s) => s.status === "completed").length === agent.backlog,
        "every request of the backlog answered",
        { timeoutMs: 120_000, state: () => ({ stdout: worker.stdout, stderr: worker.stderr }) },
      );
      const times = statuses().map((s) => s.at);
      const [from, to] = [Math.min(...times), Math.max(...times)];
      await waitFor(
        () =>
          group.on(group.topics.heartbeats).some((r) =>
            Date.parse(r.json.timestamp as string) > to
          ),
        "a heartbeat after the last answer",
      );
      // The heartbeats around the work: the last before it, those during it, the first after it.
      const beats = group.on(group.topics.heartbeats).map((r) =>
        Date.parse(r.json.timestamp as string)
      )
        .sort((a, b) => a - b);
      const first = Math.max(beats.findLastIndex((at) => at <= from), 0);
      const during = beats.slice(first, beats.findIndex((at) => at > to) + 1);
      const gaps = during.slice(1).map((at, i) => at - during[i]!);
      assert.ok(to - from > 3 * INTERVAL_MS, `the work took ${to - from} ms, long enough to tell`);
      assert.ok(
        Math.max(...gaps) < 3 * INTERVAL_MS,
        `heartbeats ${gaps.join(", ")} ms apart while the work took ${to - from} ms`,
      );
      assert.equal(await worker.stop(), 0, worker.stderr);
    },
  );
}

import assert from "node:assert/strict";
import { subagentDepth, SubagentLimitError, Subagents } from "../../../../core/agent/subagents.ts";

const limits = { maxSpawnDepth: 1, maxChildren: 2, maxConcurrent: 1, timeoutMs: 1000 };
const never = new AbortController().signal;
const parent = {
  sessionKey: "cli:default",
  origin: {
    channel: "cli",
    sender: "owner",
    messageType: "internal" as const,
    taint: "trusted" as const,
    ownerReachable: true,
  },
  taint: "trusted" as const,
};

Deno.test("a subagent runs in a child session and its answer is handed back", async () => {
  const runs: string[] = [];
  const s = new Subagents(limits, ({ sessionKey, task }) => {
    runs.push(sessionKey);
    return Promise.resolve({ content: `did: ${task}`, taint: "untrusted" as const });
  });
  assert.deepEqual(
    await s.spawn("cli:default", { task: "count", label: "c o/unt", parent }, never),
    { answer: "did: count", taint: "untrusted" },
    "the child's taint comes back with its answer",
  );
  assert.deepEqual(runs, ["cli:default:subagent:1-count"]);
  assert.equal(subagentDepth(runs[0]!), 1);
  assert.equal(subagentDepth("cli:default"), 0);
});

Deno.test("depth, children and concurrency limits refuse with the config key", async () => {
  let release!: () => void;
  const s = new Subagents(
    limits,
    () =>
      new Promise<{ content: string; taint: "trusted" }>((r) =>
        release = () => r({ content: "ok", taint: "trusted" })
      ),
  );
  await assert.rejects(
    s.spawn("cli:x:subagent:1", { task: "t", parent }, never),
    (e) => e instanceof SubagentLimitError && /tools\.subagents\.maxSpawnDepth/.test(e.message),
  );
  const first = s.spawn("cli:x", { task: "t", parent }, never);
  await assert.rejects(
    s.spawn("cli:y", { task: "t", parent }, never),
    /tools\.subagents\.maxConcurrent/,
  );
  release();
  await first;
  const second = s.spawn("cli:x", { task: "t", parent }, never);
  release();
  assert.equal((await second).answer, "ok");
  await assert.rejects(
    s.spawn("cli:x", { task: "t", parent }, never),
    /tools\.subagents\.maxChildren/,
  );
  const off = new Subagents(
    { ...limits, maxSpawnDepth: 0 },
    () => Promise.resolve({ content: "", taint: "trusted" as const }),
  );
  await assert.rejects(off.spawn("a", { task: "t", parent }, never), /Subagents are off/);
});

Deno.test("a subagent past its time limit is aborted; long answers are cut and say so", async () => {
  const s = new Subagents(
    { ...limits, timeoutMs: 50 },
    ({ signal }) =>
      new Promise<never>((_, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason))
      ),
  );
  await assert.rejects(
    s.spawn("a", { task: "slow", timeoutMs: 10_000, parent }, never),
    /timed out|TimeoutError|signal/i,
  );
  assert.equal(s.running, 0);
  const long = new Subagents(
    limits,
    () => Promise.resolve({ content: "x".repeat(5000), taint: "trusted" as const }),
  );
  assert.match(
    (await long.spawn("a", { task: "t", parent }, never)).answer,
    /\[truncated: the subagent's answer shows 4000 of 5000/,
  );
});

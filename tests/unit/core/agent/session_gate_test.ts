import assert from "node:assert/strict";
import { RunDir, runDirAlive, sweepRunDirs } from "../../../../core/agent/run_dir.ts";
import {
  Interruption,
  sessionGate,
  type SessionGateOptions,
  UNANSWERED,
} from "../../../../core/agent/session_gate.ts";
import { SessionStore } from "../../../../core/agent/sessions.ts";
import { DiskFullError, Timeline } from "../../../../core/timeline/mod.ts";
import { Child, denoEval } from "../../../_support/child.ts";
import { smallDisk, TMPFS } from "../../../_support/full_disk.ts";
import { waitFor } from "../../../_support/wait.ts";

/** A KAFCLAW_HOME with its timeline; each "process" opens its own connection. */
async function home() {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-gate-" });
  const timelines: Timeline[] = [];
  return {
    path,
    sessions: new SessionStore(`${path}/sessions`),
    /** A gate as another process would have it: its own connection and owner. */
    gate(owner: string, options: Partial<SessionGateOptions> = {}) {
      const timeline = Timeline.open(`${path}/timeline.db`);
      timelines.push(timeline);
      return sessionGate({
        leases: timeline.sessionLeases,
        sessions: new SessionStore(`${path}/sessions`),
        owner,
        alive: () => Promise.resolve(true),
        home: path,
        pollMs: 20,
        ...options,
      });
    },
    async [Symbol.asyncDispose]() {
      for (const t of timelines) t.close();
      await Deno.remove(path, { recursive: true });
    },
  };
}

const open = () => new AbortController().signal;

Deno.test("a second process waits for the first one's turn on a session, then goes in", async () => {
  await using h = await home();
  let waits = 0;
  const first = h.gate("first");
  const second = h.gate("second", { onWait: () => waits++ });
  const held = await first("cli:s", open());
  let entered = false;
  const entering = second("cli:s", open()).then((g) => (entered = true, g));
  await waitFor(() => waits === 1, "the second one to wait");
  assert.equal(entered, false);
  await held[Symbol.asyncDispose]();
  await using _ = await entering;
  assert.equal(waits, 1, "told once");
  // Another session is not held up.
  await using _other = await first("cli:other", open());
});

Deno.test("a holder killed with -9 loses the session at once; its unanswered turn is marked", async () => {
  await using h = await home();
  const url = (p: string) => JSON.stringify(new URL(`../../../../core/${p}`, import.meta.url).href);
  await using child = new Child(denoEval(`
    import { RunDir } from ${url("agent/run_dir.ts")};
    import { sessionGate } from ${url("agent/session_gate.ts")};
    import { SessionStore } from ${url("agent/sessions.ts")};
    import { Timeline } from ${url("timeline/mod.ts")};
    const home = ${JSON.stringify(h.path)};
    const run = await RunDir.claim(home);
    const timeline = Timeline.open(home + "/timeline.db");
    const sessions = new SessionStore(home + "/sessions");
    const gate = sessionGate({ leases: timeline.sessionLeases, sessions, owner: run.name,
      alive: () => Promise.resolve(true), home });
    await gate("cli:s", new AbortController().signal);
    await sessions.append("cli:s", [{ role: "user", content: "asked by the one killed" }]);
    console.log("held " + run.name);
    await new Promise(() => setInterval(() => {}, 60_000));
  `));
  await child.until(/held sandbox-\w+/);
  const holder = /held (sandbox-\w+)/.exec(child.stdout)![1]!;
  await using mine = await RunDir.claim(h.path);
  let checks = 0;
  const gate = h.gate(mine.name, {
    // Its lease would last a minute: only knowing the holder dead lets this one in early.
    leaseMs: 60_000,
    alive: async (owner) => (checks++, await runDirAlive(h.path, owner)),
  });
  let entered = false;
  const entering = gate("cli:s", open()).then((g) => (entered = true, g));
  await waitFor(() => checks >= 3, "a few looks at the live holder");
  assert.equal(entered, false, "no way in while the holder lives");
  assert.deepEqual(await sweepRunDirs(h.path), [], "a live process's run folder stays");
  await child.stop("SIGKILL");
  await using _ = await entering;
  const history = await h.sessions.history("cli:s", 10);
  assert.deepEqual(history.messages.map((m) => m.content), [
    "asked by the one killed",
    `(interrupted: ${UNANSWERED})`,
  ]);
  assert.deepEqual(await sweepRunDirs(h.path), [holder], "the dead one's run folder goes");
  assert.equal(await runDirAlive(h.path, mine.name), true);
});

/** A process's leases, counting its reads of the holder and its tries to take a lease. */
function countedLeases(timeline: Timeline) {
  const real = timeline.sessionLeases;
  const counts = { reads: 0, takes: 0 };
  const leases: SessionGateOptions["leases"] = Object.assign(Object.create(real), {
    holder: (key: string) => (counts.reads++, real.holder(key)),
    take: (...args: Parameters<typeof real.take>) => (counts.takes++, real.take(...args)),
    release: (key: string, owner: string) => real.release(key, owner),
  });
  return { leases, counts };
}

Deno.test("a free session's lease is taken in one write; a waiting turn reads before it writes", async () => {
  await using h = await home();
  using timeline = Timeline.open(`${h.path}/timeline.db`);
  const { leases, counts } = countedLeases(timeline);
  let waits = 0;
  const gate = h.gate("me", { leases, onWait: () => waits++ });
  await (await gate("cli:free", open()))[Symbol.asyncDispose]();
  assert.deepEqual(counts, { reads: 0, takes: 1 });

  const until = new Date(Date.now() + 60_000);
  assert.ok(timeline.sessionLeases.take("cli:held", { owner: "another", until }));
  counts.reads = counts.takes = 0;
  const entering = gate("cli:held", open());
  await waitFor(() => counts.reads >= 3, "a few looks at the holder");
  assert.equal(counts.takes, 1, "only the first try wrote while another held the session");
  timeline.sessionLeases.release("cli:held", "another");
  await using _ = await entering;
  assert.equal(counts.takes, 2);
  assert.equal(waits, 1);
  assert.equal(timeline.sessionLeases.holder("cli:held")?.owner, "me");
});

Deno.test("a lease that ran out is taken even when its holder cannot be checked", async () => {
  await using h = await home();
  using timeline = Timeline.open(`${h.path}/timeline.db`);
  const until = new Date(Date.now() + 300);
  assert.equal(timeline.sessionLeases.take("cli:s", { owner: "another host", until }), true);
  let waited = false;
  await using _ = await h.gate("me", { onWait: () => waited = true })("cli:s", open());
  assert.equal(waited, true);
  assert.ok(Date.now() >= until.getTime(), "not before it ran out");
  assert.equal(timeline.sessionLeases.holder("cli:s")?.owner, "me");
});

Deno.test("a holder renews its lease while its turn runs", async () => {
  await using h = await home();
  using timeline = Timeline.open(`${h.path}/timeline.db`);
  await using _ = await h.gate("me", { leaseMs: 300 })("cli:s", open());
  const first = timeline.sessionLeases.holder("cli:s")!.until.getTime();
  await waitFor(
    () => timeline.sessionLeases.holder("cli:s")!.until.getTime() > first,
    "a renewal",
  );
  assert.equal(timeline.sessionLeases.take("cli:s", { owner: "other", until: new Date() }), false);
});

Deno.test("a turn stopped by an interruption leaves a mark; leaving frees the session", async () => {
  await using h = await home();
  using timeline = Timeline.open(`${h.path}/timeline.db`);
  const stop = new AbortController();
  const held = await h.gate("me")("cli:s", stop.signal);
  await h.sessions.append("cli:s", [{ role: "user", content: "q" }, {
    role: "assistant",
    content: "(cancelled)",
  }]);
  stop.abort(new Interruption("kafclaw was stopped (SIGTERM)"));
  await held[Symbol.asyncDispose]();
  const last = (await h.sessions.lines("cli:s")).at(-1);
  assert.deepEqual(last && [last.type, last.type === "interrupted" && last.reason], [
    "interrupted",
    "kafclaw was stopped (SIGTERM)",
  ]);
  assert.equal(timeline.sessionLeases.holder("cli:s"), undefined);
});

Deno.test("a turn waiting for a session ends when it is cancelled", async () => {
  await using h = await home();
  await using _ = await h.gate("first")("cli:s", open());
  const cancel = new AbortController();
  let waiting = false;
  const entering = h.gate("second", { onWait: () => waiting = true })("cli:s", cancel.signal);
  await waitFor(() => waiting, "the wait");
  cancel.abort(new Error("cancelled here"));
  await assert.rejects(entering, /cancelled here/);
});

Deno.test({
  name: "no turn starts on a full disk",
  ignore: !TMPFS,
  async fn() {
    await using disk = (await smallDisk(1024))!;
    const gate = sessionGate({
      leases: undefined as never,
      sessions: new SessionStore(`${disk.path}/sessions`),
      owner: "me",
      alive: () => Promise.resolve(true),
      home: disk.path,
    });
    await disk.fill(40 * 1024);
    await assert.rejects(() => gate("cli:s", open()), (error: unknown) => {
      assert.ok(error instanceof DiskFullError);
      assert.match(error.message, /^The disk holding .* is full \(\d+ KiB free\)/);
      return true;
    });
  },
});

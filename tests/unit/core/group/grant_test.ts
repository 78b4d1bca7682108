import assert from "node:assert/strict";
import { Grant, type GrantOptions } from "../../../../core/group/mod.ts";
import { waitFor } from "../../../_support/wait.ts";

function grant(options: Partial<GrantOptions> & { clock?: { t: number } } = {}) {
  const clock = options.clock ?? { t: 0 };
  const renewals: number[] = [];
  const g = new Grant({
    taskId: "t1",
    attempt: 2,
    requester: "r",
    arbiter: "requester",
    heartbeatIntervalMs: 20,
    grantWaitMs: 1000,
    renew: () => (renewals.push(clock.t), Promise.resolve()),
    now: () => clock.t,
    ...options,
  });
  return { g, clock, renewals };
}

const never = () => new AbortController().signal;

Deno.test("with arbiter none the claim is the grant, and it is never lost", async () => {
  const { g, clock, renewals } = grant({ arbiter: "none" });
  assert.equal(g.key, "t1#2");
  assert.equal(g.state, "held");
  clock.t = 1_000_000;
  assert.equal(await g.check(never()), undefined);
  assert.equal(g.state, "held");
  assert.deepEqual(renewals, [], "nobody acknowledges renewals, so none are sent");
  g.close();
});

Deno.test("with arbiter none and its claim being sent, the grant is held once the claim is acknowledged", async () => {
  const acked = Promise.withResolvers<void>();
  const { g } = grant({ arbiter: "none", claim: acked.promise });
  assert.equal(g.state, "waiting", "not before the broker acknowledged the claim");
  const check = g.check(never());
  acked.resolve();
  assert.equal(await check, undefined);
  assert.equal(g.state, "held");
  // A claim that fails loses the grant, whatever it fails with; one given up first stays so.
  const failed = Promise.withResolvers<void>();
  const { g: lost } = grant({ arbiter: "none", claim: failed.promise });
  failed.reject("broker gone");
  await waitFor(() => lost.state === "lost", "the grant lost");
  assert.match((await lost.check(never()))!, /its claim was not sent: broker gone/);
  assert.equal(lost.signal.aborted, true);
  const late = Promise.withResolvers<void>();
  const { g: abandoned } = grant({ arbiter: "none", claim: late.promise });
  abandoned.abandon("stopping");
  late.reject(new Error("too late"));
  await late.promise.catch(() => {});
  assert.match((await abandoned.check(never()))!, /\(stopping\)/);
});

Deno.test("a side effect waits for the grant, and only the requester's word counts", async () => {
  const { g } = grant();
  assert.equal(g.state, "waiting");
  const checked = g.check(never());
  g.onStatus("assigned", "someone-else");
  assert.equal(g.state, "waiting");
  g.onStatus("assigned", "r");
  assert.equal(await checked, undefined);
  assert.equal(g.state, "held");
  g.close();
});

Deno.test("a grant that does not come in time refuses the side effect", async () => {
  const clock = { t: 0 };
  const { g } = grant({ clock, grantWaitMs: 30, now: () => clock.t });
  const checked = g.check(never());
  clock.t = 31;
  assert.match(
    (await checked)!,
    /^Not done: task t1#2 holds no grant yet \(none came within 30 ms\)/,
  );
  const stopped = new AbortController();
  stopped.abort();
  assert.equal(await g.check(stopped.signal), "Not done: the run of task t1#2 was stopped");
});

Deno.test("revoked stops the run: the signal aborts and every side effect is refused", async () => {
  const { g } = grant();
  g.onStatus("revoked", "r");
  assert.equal(g.state, "revoked");
  assert.equal(g.signal.aborted, true);
  assert.equal(
    await g.check(never()),
    "Not done: task t1#2 lost its grant (another worker holds the grant); the run stops",
  );
  g.onStatus("assigned", "r");
  assert.equal(g.state, "revoked", "nothing brings a revoked grant back");
});

Deno.test("a held grant renews every interval and is lost after two without acknowledgement", async () => {
  const { g, clock, renewals } = grant();
  g.onStatus("assigned", "r");
  clock.t = 30;
  await waitFor(() => renewals.length >= 1, "a renewal");
  g.onStatus("assigned", "r"); // its acknowledgement
  clock.t = 70;
  assert.equal(g.state, "held");
  clock.t = 71;
  assert.equal(g.state, "lost");
  assert.equal(g.signal.aborted, true);
  assert.match(
    (await g.check(never()))!,
    /lost its grant \(no acknowledgement of its renewals for 41 ms\)/,
  );
  const sent = renewals.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(renewals.length, sent, "a lost grant renews no more");
});

Deno.test("a renewal that cannot be sent is not an error", async () => {
  let tries = 0;
  const { g } = grant({ renew: () => (tries++, Promise.reject(new Error("broker down"))) });
  g.onStatus("assigned", "r");
  await waitFor(() => tries >= 2, "two attempts");
  g.close();
});

Deno.test("an acknowledgement read late counts from the renewal it answers: a worker paused past two intervals finds its grant lost", async () => {
  const { g, clock, renewals } = grant();
  g.onStatus("assigned", "r", 1);
  clock.t = 10;
  await waitFor(() => renewals.length >= 1, "a renewal");
  // Paused (SIGSTOP) right after the renewal; on waking it reads the acknowledgement, 90 ms on.
  clock.t = 100;
  g.onStatus("assigned", "r", 2);
  assert.equal(g.state, "lost");
  assert.match((await g.check(never()))!, /no acknowledgement of its renewals for 90 ms/);
});

Deno.test("a grant read more than two intervals after the claim is held only once a renewal sent then is acknowledged", async () => {
  const { g, clock, renewals } = grant();
  clock.t = 100;
  const checked = g.check(never());
  g.onStatus("assigned", "r", 1);
  assert.equal(g.state, "waiting", "no side effect on a grant this old");
  assert.deepEqual(renewals, [100], "it renews at once to learn whether it still holds it");
  clock.t = 110;
  g.onStatus("assigned", "r", 2);
  assert.equal(await checked, undefined);
  assert.equal(g.state, "held");
  g.close();
});

Deno.test("a grant read between one and two intervals after the claim is confirmed, not lost at its first renewal", async () => {
  const { g, clock, renewals } = grant();
  clock.t = 30;
  g.onStatus("assigned", "r", 1);
  // Held from the claim's time, its first tick (one interval on) found 50 ms of silence: lost,
  // without one renewal sent (a resumed requester's grant, seen on the real broker).
  assert.deepEqual(renewals, [30], "it renews at once to learn whether it still holds it");
  clock.t = 35;
  g.onStatus("assigned", "r", 2);
  assert.equal(g.state, "held");
  clock.t = 55;
  await waitFor(() => renewals.length >= 2, "the next renewal");
  assert.equal(g.state, "held");
  g.close();
});

Deno.test("a grant read late whose requester moved on is revoked, never held", async () => {
  const { g, clock, renewals } = grant();
  clock.t = 100;
  g.onStatus("assigned", "r", 1);
  assert.deepEqual(renewals, [100]);
  g.onStatus("revoked", "r", 2);
  assert.equal(g.state, "revoked");
  assert.match((await g.check(never()))!, /lost its grant/);
});

Deno.test("the copy of an acknowledgement read from the other topic is not a second one", async () => {
  const { g, clock, renewals } = grant();
  g.onStatus("assigned", "r", 1);
  clock.t = 15;
  await waitFor(() => renewals.length >= 1, "a renewal");
  g.onStatus("assigned", "r", 2);
  g.onStatus("assigned", "r", 2); // the same record, from the status stream
  g.onStatus("assigned", "r", 1); // an older one
  clock.t = 55;
  assert.equal(g.state, "held", "acknowledged up to the renewal at 15");
  clock.t = 56;
  assert.equal(g.state, "lost");
});

Deno.test("an acknowledgement of nothing the worker sent does not extend its grant", () => {
  const { g, clock } = grant({ heartbeatIntervalMs: 10_000 });
  g.onStatus("assigned", "r", 1); // the grant, answering the claim sent at 0
  assert.equal(g.state, "held");
  clock.t = 15_000;
  g.onStatus("assigned", "r", 2); // a second grant (the claim read twice): no renewal was sent
  clock.t = 20_001;
  assert.equal(g.state, "lost", "the silence still counts from the claim");
  g.close();
});

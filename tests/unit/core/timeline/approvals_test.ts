import assert from "node:assert/strict";
import {
  answerRefusal,
  type Approval,
  approvalArguments,
  type ApprovalInput,
  Timeline,
  WAITER_STALE_MS,
} from "../../../../core/timeline/mod.ts";
import { tempTimeline } from "./_helpers.ts";

const T0 = new Date("2026-11-25T10:00:00.000Z");
const after = (ms: number) => new Date(T0.getTime() + ms);

const request = (over: Partial<ApprovalInput> = {}): ApprovalInput => ({
  traceId: "a".repeat(32),
  tool: "exec",
  tier: 2,
  arguments: { command: "rm -rf build" },
  requester: "alice",
  channel: "telegram",
  expiresAt: after(60_000),
  ...over,
});

Deno.test("an approval request is stored pending with its arguments and deadline", async () => {
  await using t = await tempTimeline();
  const approval = t.timeline.approvals.create(
    request({ approvalId: "ap1", taskId: "t1", sessionKey: "telegram:1" }),
  );
  assert.deepEqual(approval, {
    id: 1,
    approvalId: "ap1",
    traceId: "a".repeat(32),
    taskId: "t1",
    sessionKey: "telegram:1",
    tool: "exec",
    tier: 2,
    arguments: { command: "rm -rf build" },
    requester: "alice",
    channel: "telegram",
    status: "pending",
    reason: undefined,
    createdAt: T0,
    expiresAt: after(60_000),
    respondedAt: undefined,
    responder: undefined,
    aliveAt: T0,
  });
  const made = t.timeline.approvals.create(request());
  assert.match(made.approvalId, /^[0-9a-f]{16}$/);
  assert.equal(made.taskId, undefined);
  assert.deepEqual(t.timeline.approvals.pending().map((a) => a.approvalId), [
    "ap1",
    made.approvalId,
  ]);
  assert.equal(t.timeline.approvals.get("nope"), undefined);
});

Deno.test("an approval is answered only once; a second answer is refused", async () => {
  await using t = await tempTimeline();
  const approvals = t.timeline.approvals;
  approvals.create(request({ approvalId: "ap1" }));
  t.clock.advance(5000);
  const first = approvals.resolve("ap1", { status: "approved", responder: "owner", reason: "ok" });
  assert.equal(first.ok, true);
  assert.ok(first.ok);
  assert.equal(first.approval.status, "approved");
  assert.equal(first.approval.responder, "owner");
  assert.equal(first.approval.reason, "ok");
  assert.deepEqual(first.approval.respondedAt, after(5000));
  const second = approvals.resolve("ap1", { status: "denied", responder: "owner" });
  assert.deepEqual(second, { ok: false, reason: "answered", approval: first.approval });
  assert.deepEqual(approvals.resolve("nope", { status: "approved" }), {
    ok: false,
    reason: "unknown",
  });
  assert.deepEqual(approvals.pending(), []);
});

Deno.test("an answer after the deadline is refused and the request times out", async () => {
  await using t = await tempTimeline();
  const approvals = t.timeline.approvals;
  approvals.create(request({ approvalId: "ap1" }));
  t.clock.advance(60_000);
  const late = approvals.resolve("ap1", { status: "approved", responder: "owner" });
  assert.equal(late.ok, false);
  assert.ok(!late.ok && late.reason === "expired");
  assert.equal(late.approval.status, "timeout");
  assert.equal(late.approval.reason, "expired");
  assert.equal(late.approval.responder, undefined);
  assert.equal(approvals.resolve("ap1", { status: "denied" }).ok, false);
});

Deno.test("the waiting caller may record its own timeout, even past the deadline", async () => {
  await using t = await tempTimeline();
  const approvals = t.timeline.approvals;
  approvals.create(request({ approvalId: "ap1" }));
  t.clock.advance(61_000);
  const result = approvals.resolve("ap1", { status: "timeout" });
  assert.ok(result.ok);
  assert.equal(result.approval.status, "timeout");
  assert.equal(result.approval.reason, undefined);
});

Deno.test("expirePending times out exactly the requests past their deadline", async () => {
  await using t = await tempTimeline();
  const approvals = t.timeline.approvals;
  approvals.create(request({ approvalId: "soon", expiresAt: after(10_000) }));
  approvals.create(request({ approvalId: "later", expiresAt: after(90_000) }));
  approvals.create(request({ approvalId: "also-soon", expiresAt: after(10_000) }));
  assert.deepEqual(approvals.expirePending(after(9_999)), []);
  const expired = approvals.expirePending(after(10_000));
  assert.deepEqual(expired.map((a) => [a.approvalId, a.status, a.reason]), [
    ["soon", "timeout", "expired"],
    ["also-soon", "timeout", "expired"],
  ]);
  t.clock.advance(100_000);
  assert.deepEqual(approvals.expirePending().map((a) => a.approvalId), ["later"]);
});

Deno.test("at startup the pending requests nobody waits for time out as 'process restarted'", async () => {
  await using t = await tempTimeline();
  const approvals = t.timeline.approvals;
  approvals.create(request({ approvalId: "a1" }));
  approvals.create(request({ approvalId: "a2" }));
  approvals.create(request({ approvalId: "a3" }));
  approvals.create(request({ approvalId: "live" }));
  approvals.resolve("a2", { status: "denied" });
  assert.deepEqual(approvals.get("a1")?.aliveAt, T0);
  t.clock.advance(20_000);
  // Another process still waits for "live" and says so.
  assert.equal(approvals.touch("live"), true);
  assert.equal(approvals.touch("a2"), false, "an answered request has no waiter");
  assert.deepEqual(approvals.get("live")?.aliveAt, after(20_000));
  const timedOut = approvals.timeoutOrphaned(15_000);
  assert.deepEqual(timedOut.map((a) => a.approvalId), ["a1", "a3"]);
  for (const a of timedOut) {
    assert.equal(a.status, "timeout");
    assert.equal(a.reason, "process restarted");
    assert.deepEqual(a.respondedAt, after(20_000));
  }
  assert.equal(approvals.get("a2")?.status, "denied");
  assert.equal(approvals.get("live")?.status, "pending");
  assert.deepEqual(approvals.timeoutOrphaned(15_000), []);
  assert.equal(approvals.resolve("a1", { status: "approved" }).ok, false);
  // Once its waiter falls silent, it is orphaned too.
  t.clock.advance(16_000);
  assert.deepEqual(approvals.timeoutOrphaned(15_000).map((a) => a.approvalId), ["live"]);
});

Deno.test("an answer to a request whose asker stopped waiting times it out: nothing would run", async () => {
  await using t = await tempTimeline();
  const approvals = t.timeline.approvals;
  approvals.create(request({ approvalId: "gone" }));
  approvals.create(request({ approvalId: "live" }));
  t.clock.advance(20_000);
  approvals.touch("live");
  // The killed agent's request: silent for 20 s, its deadline still ahead.
  const late = approvals.resolve("gone", { status: "approved", responder: "cli" }, {
    staleMs: WAITER_STALE_MS,
  });
  assert.ok(!late.ok && late.reason === "orphaned");
  assert.deepEqual([late.approval.status, late.approval.reason], ["timeout", "process restarted"]);
  assert.equal(
    answerRefusal("gone", late.reason),
    "Approval request gone timed out: the kafclaw that asked has stopped, so nothing would run",
  );
  assert.equal(answerRefusal("x", "expired"), "Approval request x has expired");
  assert.equal(answerRefusal("x", "answered"), "Approval request x was already answered");
  assert.equal(answerRefusal("x", "unknown"), "No approval request x");
  const live = approvals.resolve("live", { status: "approved", responder: "cli" }, {
    staleMs: WAITER_STALE_MS,
  });
  assert.ok(live.ok, "a request its asker still waits for is answered");
  assert.equal(live.approval.status, "approved");
});

Deno.test("policy decisions are recorded and read back by trace and page", async () => {
  await using t = await tempTimeline();
  const decisions = t.timeline.decisions;
  const base = {
    tool: "exec",
    tier: 2,
    sender: "alice",
    channel: "telegram",
    messageType: "internal",
    taint: "untrusted",
    reason: "tier_2_requires_approval",
  } as const;
  const first = decisions.record({
    ...base,
    traceId: "t1",
    taskId: "task-1",
    allowed: false,
    requiresApproval: true,
  });
  assert.deepEqual(first, {
    ...base,
    id: 1,
    traceId: "t1",
    taskId: "task-1",
    allowed: false,
    requiresApproval: true,
    createdAt: T0,
  });
  const second = decisions.record({ ...base, traceId: "t1", tier: 0, allowed: true, reason: "x" });
  assert.equal(second.requiresApproval, false);
  assert.equal(second.taskId, undefined);
  decisions.record({ ...base, traceId: "t2", allowed: true });
  assert.deepEqual(decisions.byTrace("t1").map((d) => d.id), [1, 2]);
  const page = decisions.list({ limit: 2 });
  assert.deepEqual(page.items.map((d) => d.id), [3, 2]);
  assert.deepEqual(decisions.list({ before: page.next! }).items.map((d) => d.id), [1]);
  assert.throws(
    () => decisions.record({ ...base, traceId: "t", tier: 3 as 2, allowed: true }),
    /CHECK constraint failed/,
  );
});

Deno.test("two processes' connections answering one request: only the first answer counts", async () => {
  await using t = await tempTimeline();
  using other = Timeline.open(t.path, { now: t.clock.now });
  t.timeline.approvals.create(request({ approvalId: "ap1" }));
  const a = other.approvals.resolve("ap1", { status: "denied", responder: "web" });
  const b = t.timeline.approvals.resolve("ap1", { status: "approved", responder: "telegram" });
  assert.equal(a.ok, true);
  assert.deepEqual(b.ok ? "accepted" : b.reason, "answered");
  assert.equal(t.timeline.approvals.get("ap1")?.status, "denied");
});

Deno.test("long arguments are cut, saying where to read them whole, in the name the user runs", () => {
  const approval = {
    approvalId: "ap9",
    arguments: { command: "x".repeat(200) },
  } as unknown as Approval;
  assert.equal(approvalArguments(approval, 1000), JSON.stringify(approval.arguments));
  assert.match(
    approvalArguments(approval, 20),
    /^\{"command":"xxxxxxxx… \[cut: 214 characters in all; kafclaw approvals show ap9 shows them whole\]$/,
  );
  assert.match(
    approvalArguments(approval, 20, { command: "scripts/kafclaw" }),
    /; scripts\/kafclaw approvals show ap9 shows them whole\]$/,
  );
});

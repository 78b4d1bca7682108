import assert from "node:assert/strict";
import {
  Approvals,
  WAITER_HEARTBEAT_MS,
  WAITER_STALE_MS,
} from "../../../../core/agent/approvals.ts";
import { Guard } from "../../../../core/agent/guard.ts";
import { TurnRefused } from "../../../../core/agent/turn.ts";
import type { ChatMessage, ChatProvider, ChatRequest } from "../../../../core/provider/mod.ts";
import { defineTool, toolOk, ToolRegistry } from "../../../../core/tools/mod.ts";
import { z } from "zod";
import { origin, OWNER } from "../../../_support/turns.ts";
import type { PolicySettings } from "../../../../core/policy/mod.ts";
import { DEFAULT_POLICY } from "../../../_support/policy.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";

function timeline() {
  const t = Timeline.open(":memory:");
  return Object.assign(t, { [Symbol.dispose]: () => t.close() });
}

const ask = {
  traceId: "a".repeat(32),
  sessionKey: "cli:x",
  tool: "deploy",
  tier: 2 as const,
  arguments: { target: "prod" },
  requester: "cli:owner",
  channel: "cli",
  reason: "tier 2",
};
const never = new AbortController().signal;

Deno.test("answers name what happened: approved, unknown, already answered, expired", async () => {
  using t = timeline();
  const approvals = new Approvals(t, { timeoutMs: 60_000, ownerReachable: true, pollMs: 10 });
  const waiting = approvals.request(ask, never);
  const id = t.approvals.pending()[0]!.approvalId;
  assert.equal(approvals.answer(id, true, "owner"), `Approved ${id} (deploy)`);
  assert.deepEqual(await waiting, {
    approved: true,
    approvalId: id,
    status: "approved",
    reason: "approved by the owner",
  });
  assert.equal(approvals.answer(id, false, "owner"), `Approval request ${id} was already answered`);
  assert.equal(approvals.answer("nope", true, "owner"), "No approval request nope");
  const expired = t.approvals.create({ ...ask, expiresAt: new Date(Date.now() - 1000) });
  assert.equal(
    approvals.answer(expired.approvalId, true, "owner"),
    `Approval request ${expired.approvalId} has expired`,
  );
});

Deno.test("a denial keeps the owner's reason; the default poll interval finds the answer", async () => {
  using t = timeline();
  const approvals = new Approvals(t, { timeoutMs: 60_000, ownerReachable: true });
  const waiting = approvals.request(ask, never);
  const id = t.approvals.pending()[0]!.approvalId;
  t.approvals.resolve(id, { status: "denied", responder: "owner", reason: "not today" });
  const out = await waiting;
  assert.equal(out.approved, false);
  assert.equal(out.reason, "not today");
  const second = approvals.request(ask, never);
  const id2 = t.approvals.pending()[0]!.approvalId;
  t.approvals.resolve(id2, { status: "denied", responder: "owner" });
  assert.equal((await second).reason, "denied by the owner");
});

Deno.test("a cancelled turn ends its wait as timed out, saying why; startup recovery counts", async () => {
  using t = timeline();
  const approvals = new Approvals(t, { timeoutMs: 60_000, ownerReachable: true, pollMs: 10 });
  const ac = new AbortController();
  const waiting = approvals.request(ask, ac.signal);
  ac.abort();
  const out = await waiting;
  assert.equal(out.status, "timeout");
  assert.equal(out.reason, "the turn was cancelled");
  t.approvals.create({ ...ask, expiresAt: new Date(Date.now() + 60_000) });
  assert.equal(approvals.recoverAtStartup(), 0, "its waiter said it waits a moment ago");
});

Deno.test("a process starting up leaves another's waiting request alone, and times out an orphan", async () => {
  let now = Date.now();
  const t = Timeline.open(":memory:", { now: () => new Date(now) });
  try {
    const waiter = new Approvals(t, { timeoutMs: 60_000, ownerReachable: true, pollMs: 10 });
    const stop = new AbortController();
    const waiting = waiter.request(ask, stop.signal);
    const live = t.approvals.pending()[0]!.approvalId;
    const orphan = t.approvals.create({ ...ask, expiresAt: new Date(now + 60_000) }).approvalId;
    now += WAITER_STALE_MS + 1;
    // The live waiter says it still waits within its heartbeat.
    await new Promise((r) => setTimeout(r, WAITER_HEARTBEAT_MS + 100));
    const starting = new Approvals(t, { timeoutMs: 60_000, ownerReachable: true });
    assert.equal(starting.recoverAtStartup(), 1);
    assert.equal(t.approvals.get(orphan)?.status, "timeout");
    assert.equal(t.approvals.get(live)?.status, "pending");
    stop.abort();
    assert.equal((await waiting).reason, "the turn was cancelled");
  } finally {
    t.close();
  }
});

function guard(t: Timeline, settings: Partial<PolicySettings> = {}) {
  const approvals = new Approvals(t, { timeoutMs: 200, ownerReachable: true, pollMs: 10 });
  return new Guard({
    timeline: t,
    approvals,
    settings: { ...DEFAULT_POLICY, ...settings },
    secrets: ["s3cr3t-value-123"],
    agentId: "a",
  });
}

/** A provider port that answers each call with the next of `models`, each with `tokens` tokens. */
function answering(models: [string, number][]): ChatProvider {
  return {
    chat: () => {
      const [model, tokens] = models.shift()!;
      return Promise.resolve({
        content: "",
        toolCalls: [],
        finishReason: "stop",
        usage: { promptTokens: tokens, completionTokens: tokens },
        model,
      });
    },
  };
}

Deno.test("the guard: external turns start untrusted, budgets refuse, odd arguments are shown safely", async () => {
  using t = timeline();
  const g = guard(t, {
    dailyBudgetUsd: 0.000001,
    prices: { "openai/gpt": { promptPer1k: 1, completionPer1k: 1 } },
    allowedSenders: ["telegram:1"],
  });
  const inner = {
    provider: answering([["local", 1], ["openai/gpt", 100]]),
    tools: new ToolRegistry().register(defineTool({
      name: "deploy",
      description: "Deploy",
      tier: 2,
      args: z.strictObject({}),
      run: () => Promise.resolve(toolOk("deployed")),
    })),
  };
  const ctx = { sessionKey: "x", workspace: "/nowhere", signal: never };
  const stranger = g.begin({
    sessionKey: "tg:2",
    origin: origin({
      channel: "telegram",
      sender: "2",
      messageType: "external",
      taint: "untrusted",
    }),
    text: "hi",
  }, inner);
  assert.equal(stranger.taint.value, "untrusted");
  const denied = await stranger.tools.run("deploy", "{}", ctx);
  assert.equal(denied.isError, true);
  assert.match(denied.content, /not on the list of allowed senders/);
  const owner = g.begin({ sessionKey: "cli:x", origin: OWNER, text: "go" }, inner);
  // A tool nobody registered runs nothing and decides nothing: the registry names the tools.
  const unknown = await owner.tools.run("launch", "{}", ctx);
  assert.equal(unknown.isError, true);
  assert.match(unknown.content, /launch/);
  assert.equal(t.decisions.list().items.length, 1, "only the stranger's deploy was decided");
  // An unpriced model costs nothing; a priced one spends the day's budget, and the next call stops.
  await owner.provider.chat({ messages: [] });
  await owner.provider.chat({ messages: [] });
  await assert.rejects(
    owner.provider.chat({ messages: [] }),
    (e) => e instanceof TurnRefused && /Today's LLM budget/.test(e.message),
  );
  assert.deepEqual(
    t.usage.costSince(new Date(0)) > 0.000001,
    true,
    "the priced call was recorded with its cost",
  );
  for (const args of ["not json s3cr3t-value-123", "5"]) {
    const waiting = owner.tools.run("deploy", args, ctx);
    const pending = await (async () => {
      for (let i = 0; i < 100 && t.approvals.pending().length === 0; i++) {
        await new Promise((r) => setTimeout(r, 5));
      }
      return t.approvals.pending()[0]!;
    })();
    assert.ok(!JSON.stringify(pending.arguments).includes("s3cr3t-value-123"));
    assert.deepEqual(
      Object.keys(pending.arguments),
      [args === "5" ? "value" : "raw"],
    );
    assert.equal((await waiting).isError, true);
  }
});

Deno.test("the guarded provider sends every message and tool call with its secrets redacted", async () => {
  using t = timeline();
  const key = "sk-proj-4f9Q2kLmN8pR7sT1vW3xY5zA";
  const R = "[REDACTED:openai_key]";
  const clean: ChatMessage = { role: "user", content: "hello" };
  const toolCall = { id: "c1", name: "exec", arguments: '{"cmd":"ls"}' };
  const messages: ChatMessage[] = [
    { role: "system", content: `use ${key}` },
    clean,
    {
      role: "assistant",
      content: null,
      toolCalls: [toolCall, { id: "c2", name: "x", arguments: key }],
    },
    { role: "assistant", content: `my key is ${key}` },
    { role: "assistant", content: "fine", toolCalls: [toolCall] },
    { role: "assistant", content: null },
    { role: "tool", toolCallId: "c2", content: `got ${key} and s3cr3t-value-123` },
  ];
  const sent: ChatRequest[] = [];
  const inner = {
    provider: {
      chat: (request: ChatRequest) => (sent.push(request), answering([["local", 1]]).chat(request)),
    },
    tools: new ToolRegistry(),
  };
  const turn = guard(t).begin({ sessionKey: "cli:x", origin: OWNER, text: "go" }, inner);
  await turn.provider.chat({ messages });
  const out = sent[0]!.messages;
  assert.deepEqual(out, [
    { role: "system", content: `use ${R}` },
    clean,
    {
      role: "assistant",
      content: null,
      toolCalls: [toolCall, { id: "c2", name: "x", arguments: R }],
    },
    { role: "assistant", content: `my key is ${R}` },
    { role: "assistant", content: "fine", toolCalls: [toolCall] },
    { role: "assistant", content: null },
    // A configured secret is redacted by its value.
    { role: "tool", toolCallId: "c2", content: `got ${R} and [REDACTED:configured_secret]` },
  ]);
  assert.equal(out[1], clean, "an unchanged message is the same object");
  assert.equal(out[4], messages[4]);
  assert.equal(out[5], messages[5]);
  assert.equal((out[2] as { toolCalls: unknown[] }).toolCalls[0], toolCall);
});

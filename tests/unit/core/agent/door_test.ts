/**
 * Messages from people through the runtime's door: an approval request goes to the owner
 * on the owner's channel, never to the sender who caused it; the owner's `approve <id>` /
 * `deny <id>` answer it while other sessions keep working; the sender's own `approve` is refused.
 */
import assert from "node:assert/strict";
import {
  type AgentRuntime,
  createAgentRuntime,
  Door,
  jobRunner,
  parentTurn,
  parseApprovalCommand,
  type TurnRequest,
} from "../../../../core/agent/mod.ts";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { type FakeOpenAIOptions, startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { waitFor } from "../../../_support/wait.ts";

const write = {
  toolCalls: [{
    id: "w1",
    name: "write_file",
    arguments: { path: "note.txt", content: "from a stranger\n" },
  }],
};

async function setup(script: FakeOpenAIOptions, send?: (to: string, text: string) => void) {
  const llm = await startFakeOpenAI(script);
  const home = await Deno.makeTempDir({ prefix: "kafclaw-inbound-" });
  const sent: { to: string; text: string }[] = [];
  const config = resolveConfig({
    home,
    env: {
      KAFCLAW_MODEL: "openai/gpt-test",
      OPENAI_BASE_URL: llm.url,
      OPENAI_API_KEY: "sk-test",
      KAFCLAW_POLICY_OWNERS: "chat:owner",
      KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    },
  });
  const runtime: AgentRuntime = await createAgentRuntime(config, {
    sendToOwner: (to, text) => {
      if (send) send(to, text);
      sent.push({ to, text });
      return Promise.resolve();
    },
  });
  return {
    llm,
    runtime,
    sent,
    home,
    async [Symbol.asyncDispose]() {
      await runtime.close();
      await llm[Symbol.asyncDispose]();
      await Deno.remove(home, { recursive: true });
    },
  };
}

const never = new AbortController().signal;
const approvalId = (text: string) => /Approval needed (\S+):/.exec(text)![1]!;

Deno.test("the owner approves on their channel; the stranger who asked is never asked and cannot approve", async () => {
  await using s = await setup({ chat: [write, { text: "Hi there." }, { text: "Written." }] });
  const stranger = s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: "write",
  });
  await waitFor(() => s.sent.length === 1, "the owner is notified");
  assert.equal(s.sent[0]!.to, "chat:owner");
  assert.match(s.sent[0]!.text, /write_file \(tier 1\) .*asked for by chat:stranger/);
  const id = approvalId(s.sent[0]!.text);

  const selfApproval = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: `approve ${id}`,
  });
  assert.deepEqual(selfApproval, {
    kind: "refused",
    content: "Only the owner can answer approval requests.",
  });
  // Another session goes on while the stranger's turn waits.
  const other = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: "hi",
    sessionKey: "chat:owner-thread",
    signal: new AbortController().signal,
  });
  assert.equal(other.content, "Hi there.");
  assert.equal(s.runtime.timeline.approvals.get(id)?.status, "pending");
  assert.ok((await s.runtime.sessions.history("chat:owner-thread", 10)).messages.length > 0);

  const answer = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `/Approve ${id}`,
  });
  assert.deepEqual(answer, { kind: "approval", content: `Approved ${id} (write_file)` });
  const done = await stranger;
  assert.equal(done.content, "Written.");
  assert.equal(
    await Deno.readTextFile(`${s.runtime.sandbox.workspace}/note.txt`),
    "from a stranger\n",
  );
  assert.equal(s.runtime.timeline.approvals.get(id)?.responder, "chat:owner");
  assert.ok(
    s.llm.chatRequests().every((r) => !JSON.stringify(r.body).includes(`approve ${id}`)),
    "approval answers never reach the LLM",
  );
});

Deno.test("the owner's deny stops the call and the model is told", async () => {
  await using s = await setup({ chat: [write, { text: "I could not write it." }] });
  const stranger = s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: "write",
  });
  await waitFor(() => s.sent.length === 1, "the owner is notified");
  const id = approvalId(s.sent[0]!.text);
  const answer = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `deny ${id}`,
  });
  assert.equal(answer.content, `Denied ${id} (write_file)`);
  assert.equal((await stranger).content, "I could not write it.");
  const last = s.llm.chatRequests().at(-1)!.body as {
    messages: { role: string; content: string }[];
  };
  assert.match(last.messages.at(-1)!.content, new RegExp(`request ${id} was denied`));
  await assert.rejects(() => Deno.stat(`${s.runtime.sandbox.workspace}/note.txt`));
  const again = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `approve ${id}`,
  });
  assert.equal(again.content, `Approval request ${id} was already answered`);
});

Deno.test("when no notice reaches an owner, the request is denied at once", async () => {
  await using s = await setup({ chat: [write, { text: "Denied, then." }] }, () => {
    throw new Error("the channel is down");
  });
  const result = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: "write",
  });
  assert.equal(result.content, "Denied, then.");
  const approvals = s.runtime.timeline.approvals;
  assert.equal(approvals.pending().length, 0);
});

Deno.test("approve and deny commands are recognised in any case, with or without a slash", () => {
  assert.deepEqual(parseApprovalCommand("approve ab12"), { approved: true, id: "ab12" });
  assert.deepEqual(parseApprovalCommand(" /DENY x-1 "), { approved: false, id: "x-1" });
  assert.equal(parseApprovalCommand("approve"), undefined);
  assert.equal(parseApprovalCommand("please approve ab12"), undefined);
  assert.equal(parseApprovalCommand("approve ab12 now"), undefined);
});

Deno.test("closing the runtime cancels a turn that waits for an approval, recorded, without a crash", async () => {
  await using s = await setup({ chat: [write] });
  const stranger = s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: "write",
  });
  await waitFor(() => s.sent.length === 1, "the owner is notified");
  const id = approvalId(s.sent[0]!.text);
  const closing = s.runtime.close();
  const result = await stranger;
  await closing;
  assert.equal(result.kind, "turn");
  assert.equal(result.kind === "turn" && result.turn.stopped, "cancelled");
  // Recorded before the timeline closed: open it again to read it.
  const timeline = Timeline.open(`${s.home}/timeline.db`);
  try {
    const approval = timeline.approvals.get(id);
    assert.equal(`${approval?.status}: ${approval?.reason}`, "timeout: the turn was cancelled");
  } finally {
    timeline.close();
  }
  const after = await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: "hi",
  });
  assert.equal(
    after.kind === "turn" && after.turn.stopped,
    "cancelled",
    "a closed agent runs nothing",
  );
});

Deno.test("a message sent from an untrusted turn starts an untrusted turn in the other session", async () => {
  // One router for every request, whatever order the two sessions' calls arrive in.
  const router = (request: Record<string, unknown>) => {
    const messages = request.messages as { role: string; content: string | null }[];
    const last = messages.at(-1)!;
    if (last.role === "user" && last.content === "tell the other session") {
      return {
        toolCalls: [{
          id: "m1",
          name: "message",
          arguments: { session: "cli:other", text: "write the note" },
        }],
      };
    }
    if (last.role === "user" && last.content!.startsWith("[message from session")) {
      return {
        toolCalls: [{
          id: "w1",
          name: "write_file",
          arguments: { path: "note.txt", content: "x" },
        }],
      };
    }
    return { text: last.role === "tool" ? `after: ${last.content}` : "ok" };
  };
  await using s = await setup({ chat: Array(4).fill(router) });
  const stranger = s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: "tell the other session",
  });
  await waitFor(() => s.sent.length === 1, "the owner is asked about the message");
  assert.match(s.sent[0]!.text, /: message \(tier 1\)/);
  await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `approve ${approvalId(s.sent[0]!.text)}`,
  });
  await stranger;
  // The other session's turn is the owner's internal channel, but untrusted: tier 1 asks.
  await waitFor(() => s.sent.length === 2, "the owner is asked about the write");
  assert.match(s.sent[1]!.text, /: write_file \(tier 1\) .*asked for by chat:stranger/);
  await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `deny ${approvalId(s.sent[1]!.text)}`,
  });
  await waitFor(
    () => s.runtime.timeline.approvals.pending().length === 0 && s.llm.chatRequests().length === 4,
    "the other turn ends",
  );
  await assert.rejects(() => Deno.stat(`${s.runtime.sandbox.workspace}/note.txt`));
});

Deno.test("a subagent spawned by an untrusted turn is untrusted too", async () => {
  const router = (request: Record<string, unknown>) => {
    const messages = request.messages as { role: string; content: string | null }[];
    const last = messages.at(-1)!;
    if (last.role === "user" && last.content === "spawn a helper") {
      return {
        toolCalls: [{ id: "s1", name: "sessions_spawn", arguments: { task: "write the note" } }],
      };
    }
    if (last.role === "user" && last.content === "write the note") {
      return {
        toolCalls: [{
          id: "w1",
          name: "write_file",
          arguments: { path: "note.txt", content: "x" },
        }],
      };
    }
    return { text: "done" };
  };
  await using s = await setup({ chat: Array(4).fill(router) });
  const stranger = s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "stranger" },
    text: "spawn a helper",
  });
  await waitFor(() => s.sent.length === 1, "the owner is asked about the spawn");
  await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `approve ${approvalId(s.sent[0]!.text)}`,
  });
  await waitFor(() => s.sent.length === 2, "the owner is asked about the subagent's write");
  assert.match(s.sent[1]!.text, /: write_file \(tier 1\) .*asked for by chat:stranger/);
  await s.runtime.door.enter({
    source: { kind: "channel", channel: "chat", sender: "owner" },
    text: `deny ${approvalId(s.sent[1]!.text)}`,
  });
  assert.equal((await stranger).content, "done");
  await assert.rejects(() => Deno.stat(`${s.runtime.sandbox.workspace}/note.txt`));
});

/** A door over a loop that records what it is asked to run, with `owners` and `allowedSenders`. */
function recordingDoor(
  settings: { owners?: string[]; allowedSenders?: string[] } = {},
  ownerAtTerminal = false,
) {
  const turns: TurnRequest[] = [];
  const answered: string[] = [];
  const door = new Door({
    loop: {
      runTurn: (request) => {
        turns.push(request);
        const usage = { promptTokens: 0, completionTokens: 0 };
        const taint = request.origin.taint;
        return Promise.resolve({ content: "ok", stopped: "answer", iterations: 1, usage, taint });
      },
    },
    approvals: {
      answer: (id, approved, who) => (answered.push(`${id} ${approved} ${who}`), "answered"),
    },
    settings: { owners: settings.owners ?? [], allowedSenders: settings.allowedSenders ?? [] },
    ownerAtTerminal,
  });
  return { door, turns, answered };
}

Deno.test("the door decides once who a turn acts for, by where the message came from", () => {
  const { door } = recordingDoor({ owners: ["chat:me"] });
  const owner = { sender: "owner", messageType: "internal", taint: "trusted" };
  assert.deepEqual(door.origin({ kind: "terminal" }), {
    channel: "cli",
    ...owner,
    ownerReachable: true,
  });
  assert.deepEqual(door.origin({ kind: "scheduler", job: "digest" }), {
    channel: "scheduler",
    ...owner,
    ownerReachable: true, // an owner channel is configured
  });
  assert.deepEqual(door.origin({ kind: "channel", channel: "chat", sender: "me" }), {
    channel: "chat",
    sender: "me",
    messageType: "internal",
    taint: "trusted",
    ownerReachable: true,
  });
  // A stranger is external and untrusted; a channel is never internal by its name alone.
  for (const channel of ["chat", "cli", "scheduler"]) {
    assert.deepEqual(door.origin({ kind: "channel", channel, sender: "x" }), {
      channel,
      sender: "x",
      messageType: "external",
      taint: "untrusted",
      ownerReachable: true,
    });
  }
  // Without owners or a terminal, no owner can be asked about a job's call.
  assert.equal(
    recordingDoor().door.origin({ kind: "scheduler", job: "digest" }).ownerReachable,
    false,
  );
  assert.equal(
    recordingDoor({}, true).door.origin({ kind: "scheduler", job: "digest" }).ownerReachable,
    true,
  );
});

Deno.test("work a turn starts keeps the turn's origin and its trust at that moment", () => {
  const { door } = recordingDoor();
  const stranger = door.origin({ kind: "channel", channel: "chat", sender: "x" });
  const me = door.origin({ kind: "terminal" });
  for (const kind of ["message", "subagent"] as const) {
    assert.deepEqual(
      door.origin({ kind, parent: { sessionKey: "chat:x", origin: stranger, taint: "untrusted" } }),
      { ...stranger, via: kind },
    );
    // The owner's turn that read a web page hands on its taint, not its owner's trust.
    assert.deepEqual(
      door.origin({ kind, parent: { sessionKey: "cli:a", origin: me, taint: "untrusted" } }),
      { ...me, taint: "untrusted", via: kind },
    );
    assert.deepEqual(
      door.origin({ kind, parent: { sessionKey: "cli:a", origin: me, taint: "trusted" } }),
      { ...me, via: kind },
    );
  }
  // A context without a turn (never made by the loop) fails closed.
  const orphan = parentTurn({ sessionKey: "s", workspace: "/w", signal: never, taint: "trusted" });
  assert.deepEqual([orphan.origin.messageType, orphan.taint], ["external", "untrusted"]);
});

Deno.test("another agent's task is the owner's only when vouched, and trusted only when it says so", () => {
  const { door } = recordingDoor({ owners: ["group:g:boss"] });
  const task = (from: string, vouched: boolean, taint: "trusted" | "untrusted" | undefined) =>
    door.origin({ kind: "task", group: "g", from, vouched, taint, scope: { zones: ["ops"] } });
  const pick = (o: { messageType: string; taint: string }) => `${o.messageType}/${o.taint}`;
  assert.equal(pick(task("peer", true, undefined)), "internal/trusted");
  assert.equal(pick(task("peer", true, "untrusted")), "internal/untrusted");
  assert.equal(pick(task("peer", false, undefined)), "external/untrusted");
  assert.equal(pick(task("peer", false, "trusted")), "external/untrusted", "a claim is not trust");
  assert.equal(pick(task("boss", false, "trusted")), "internal/trusted", "an owner identity");
  assert.equal(task("peer", true, undefined).channel, "group:g");
});

Deno.test("the door hands a task's zones and a parent's zones to the turn, and a default session", async () => {
  const { door, turns } = recordingDoor();
  const scope = { zone: "ops", zones: ["ops"] };
  await door.enter({
    source: { kind: "task", group: "g", from: "peer", vouched: false, taint: undefined, scope },
    text: "t",
  });
  const parent = {
    sessionKey: "cli:a",
    origin: door.origin({ kind: "terminal" }),
    taint: "trusted" as const,
    scope,
  };
  await door.enter({ source: { kind: "subagent", parent }, text: "s" });
  await door.enter({ source: { kind: "scheduler", job: "digest" }, text: "j" });
  await door.enter({ source: { kind: "channel", channel: "chat", sender: "x" }, text: "c" });
  await door.enter({ source: { kind: "terminal" }, text: "m" });
  assert.deepEqual(turns.map((t) => [t.sessionKey, t.scope]), [
    ["group:g:peer", scope],
    ["cli:a:subagent", scope],
    ["cron:digest", undefined],
    ["chat:x", undefined],
    ["cli:default", undefined],
  ]);
});

Deno.test("approval answers come only from people: the owner answers, others are refused, work never answers", async () => {
  const { door, turns, answered } = recordingDoor({ owners: ["chat:me"] });
  assert.equal(
    (await door.enter({ source: { kind: "terminal" }, text: "approve a1" })).kind,
    "approval",
  );
  assert.equal(
    (await door.enter({
      source: { kind: "channel", channel: "chat", sender: "me" },
      text: "deny a2",
    }))
      .kind,
    "approval",
  );
  assert.deepEqual(answered, ["a1 true cli", "a2 false chat:me"]);
  const stranger = await door.enter({
    source: { kind: "channel", channel: "chat", sender: "x" },
    text: "approve a3",
  });
  assert.equal(stranger.kind, "refused");
  // A job, a message between sessions or a task saying the words is a turn like any other.
  const me = door.origin({ kind: "terminal" });
  await door.enter({ source: { kind: "scheduler", job: "j" }, text: "approve a4" });
  await door.enter({
    source: { kind: "message", parent: { sessionKey: "cli:a", origin: me, taint: "trusted" } },
    text: "approve a5",
  });
  assert.deepEqual(answered.length, 2);
  assert.deepEqual(turns.map((t) => t.text), ["approve a4", "approve a5"]);
});

Deno.test("a sender not on the allowlist is refused before any turn; the owner never is", async () => {
  const { door, turns } = recordingDoor({ owners: ["chat:me"], allowedSenders: ["chat:friend"] });
  const refused = await door.enter({
    source: { kind: "channel", channel: "chat", sender: "x" },
    text: "hi",
  });
  assert.deepEqual(refused, {
    kind: "refused",
    content: "You are not on this agent's list of allowed senders.",
  });
  await door.enter({ source: { kind: "channel", channel: "chat", sender: "friend" }, text: "a" });
  await door.enter({ source: { kind: "channel", channel: "chat", sender: "me" }, text: "b" });
  await door.enter({ source: { kind: "terminal" }, text: "c" });
  assert.deepEqual(turns.map((t) => t.text), ["a", "b", "c"]);
});

Deno.test("a job goes through the door as the owner's own, in its session; no answer fails the run", async () => {
  const { door, turns } = recordingDoor();
  const runner = jobRunner(door);
  const job = { name: "digest", message: "do digest" } as Parameters<typeof runner>[0];
  const signal = new AbortController().signal;
  const ctx = { signal, trigger: "schedule" as const, slot: undefined, traceId: "" };
  assert.equal(await runner(job, ctx), "ok");
  assert.deepEqual(
    [
      turns[0]!.sessionKey,
      turns[0]!.origin.channel,
      turns[0]!.origin.messageType,
      turns[0]!.signal,
    ],
    ["cron:digest", "scheduler", "internal", signal],
  );
  const limited = jobRunner({
    enter: () =>
      Promise.resolve({
        kind: "turn" as const,
        content: "I stopped after 20 rounds",
        turn: {
          content: "I stopped after 20 rounds",
          stopped: "max_iterations" as const,
          iterations: 20,
          usage: { promptTokens: 0, completionTokens: 0 },
          taint: "trusted" as const,
        },
      }),
  });
  await assert.rejects(limited(job, ctx), { message: "max_iterations: I stopped after 20 rounds" });
  const refused = jobRunner({
    enter: () => Promise.resolve({ kind: "refused" as const, content: "no" }),
  });
  await assert.rejects(refused(job, ctx), { message: "no" });
});

Deno.test("the owner through the gateway's API is the owner, answers approvals, in api:default", async () => {
  const { door, turns, answered } = recordingDoor();
  assert.deepEqual(door.origin({ kind: "api" }), {
    channel: "api",
    sender: "owner",
    messageType: "internal",
    taint: "trusted",
    ownerReachable: true,
  });
  const answer = await door.enter({ source: { kind: "api" }, text: "approve a1" });
  assert.deepEqual(answer, { kind: "approval", content: "answered" });
  assert.deepEqual(answered, ["a1 true api"]);
  await door.enter({ source: { kind: "api" }, text: "hello" });
  assert.equal(turns[0]!.sessionKey, "api:default");
});

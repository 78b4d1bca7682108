/**
 * Messages from people through the runtime's inbound door: an approval request goes to the owner
 * on the owner's channel, never to the sender who caused it; the owner's `approve <id>` /
 * `deny <id>` answer it while other sessions keep working; the sender's own `approve` is refused.
 */
import assert from "node:assert/strict";
import { type AgentRuntime, createAgentRuntime } from "../../../../core/agent/runtime.ts";
import { parseApprovalCommand } from "../../../../core/agent/inbound.ts";
import { resolveConfig } from "../../../../core/config/mod.ts";
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

const approvalId = (text: string) => /Approval needed (\S+):/.exec(text)![1]!;

Deno.test("the owner approves on their channel; the stranger who asked is never asked and cannot approve", async () => {
  await using s = await setup({ chat: [write, { text: "Hi there." }, { text: "Written." }] });
  const stranger = s.runtime.inbound.handle({ channel: "chat", sender: "stranger", text: "write" });
  await waitFor(() => s.sent.length === 1, "the owner is notified");
  assert.equal(s.sent[0]!.to, "chat:owner");
  assert.match(s.sent[0]!.text, /write_file \(tier 1\) .*asked for by chat:stranger/);
  const id = approvalId(s.sent[0]!.text);

  const selfApproval = await s.runtime.inbound.handle({
    channel: "chat",
    sender: "stranger",
    text: `approve ${id}`,
  });
  assert.deepEqual(selfApproval, {
    kind: "refused",
    content: "Only the owner can answer approval requests.",
  });
  // Another session goes on while the stranger's turn waits.
  const other = await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
    text: "hi",
    sessionKey: "chat:owner-thread",
    signal: new AbortController().signal,
  });
  assert.equal(other.content, "Hi there.");
  assert.equal(s.runtime.timeline.approvals.get(id)?.status, "pending");
  assert.ok((await s.runtime.sessions.history("chat:owner-thread", 10)).messages.length > 0);

  const answer = await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
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
  const stranger = s.runtime.inbound.handle({ channel: "chat", sender: "stranger", text: "write" });
  await waitFor(() => s.sent.length === 1, "the owner is notified");
  const id = approvalId(s.sent[0]!.text);
  const answer = await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
    text: `deny ${id}`,
  });
  assert.equal(answer.content, `Denied ${id} (write_file)`);
  assert.equal((await stranger).content, "I could not write it.");
  const last = s.llm.chatRequests().at(-1)!.body as {
    messages: { role: string; content: string }[];
  };
  assert.match(last.messages.at(-1)!.content, new RegExp(`request ${id} was denied`));
  await assert.rejects(() => Deno.stat(`${s.runtime.sandbox.workspace}/note.txt`));
  const again = await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
    text: `approve ${id}`,
  });
  assert.equal(again.content, `Approval request ${id} was already answered`);
});

Deno.test("when no notice reaches an owner, the request is denied at once", async () => {
  await using s = await setup({ chat: [write, { text: "Denied, then." }] }, () => {
    throw new Error("the channel is down");
  });
  const result = await s.runtime.inbound.handle({
    channel: "chat",
    sender: "stranger",
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
  const stranger = s.runtime.inbound.handle({ channel: "chat", sender: "stranger", text: "write" });
  await waitFor(() => s.sent.length === 1, "the owner is notified");
  const id = approvalId(s.sent[0]!.text);
  const timeline = s.runtime.timeline;
  let recorded: string | undefined;
  const closing = s.runtime.loop.close().then(() => {
    recorded = `${timeline.approvals.get(id)?.status}: ${timeline.approvals.get(id)?.reason}`;
  });
  const result = await stranger;
  await closing;
  assert.equal(result.kind, "turn");
  assert.equal(result.kind === "turn" && result.turn.stopped, "cancelled");
  assert.equal(recorded, "timeout: the turn was cancelled");
  const after = await s.runtime.inbound.handle({ channel: "chat", sender: "owner", text: "hi" });
  assert.equal(
    after.kind === "turn" && after.turn.stopped,
    "cancelled",
    "a closed loop runs nothing",
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
  const stranger = s.runtime.inbound.handle({
    channel: "chat",
    sender: "stranger",
    text: "tell the other session",
  });
  await waitFor(() => s.sent.length === 1, "the owner is asked about the message");
  assert.match(s.sent[0]!.text, /: message \(tier 1\)/);
  await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
    text: `approve ${approvalId(s.sent[0]!.text)}`,
  });
  await stranger;
  // The other session's turn is the owner's internal channel, but untrusted: tier 1 asks.
  await waitFor(() => s.sent.length === 2, "the owner is asked about the write");
  assert.match(s.sent[1]!.text, /: write_file \(tier 1\) .*asked for by message:owner/);
  await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
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
  const stranger = s.runtime.inbound.handle({
    channel: "chat",
    sender: "stranger",
    text: "spawn a helper",
  });
  await waitFor(() => s.sent.length === 1, "the owner is asked about the spawn");
  await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
    text: `approve ${approvalId(s.sent[0]!.text)}`,
  });
  await waitFor(() => s.sent.length === 2, "the owner is asked about the subagent's write");
  assert.match(s.sent[1]!.text, /: write_file \(tier 1\) .*asked for by subagent:owner/);
  await s.runtime.inbound.handle({
    channel: "chat",
    sender: "owner",
    text: `deny ${approvalId(s.sent[1]!.text)}`,
  });
  assert.equal((await stranger).content, "done");
  await assert.rejects(() => Deno.stat(`${s.runtime.sandbox.workspace}/note.txt`));
});

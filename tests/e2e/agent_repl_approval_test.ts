/**
 * Approvals at `kafclaw agent`'s terminal, in a pseudo terminal against the fake
 * OpenAI-compatible server: every outcome said on a line of its own (allowed, denied, answered
 * from another terminal, timed out, cancelled with Ctrl-C), never written onto the question's
 * line, and the line typed next is the next turn's message in the fake's request log: no reader
 * of stdin is left behind by a question that ended without an answer here.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclaw, tempHome } from "../_support/cli.ts";
import { inPty, KEY, plain } from "../_support/pty.ts";
import { waitFor } from "../_support/wait.ts";
import { type Approval, Timeline } from "../../core/timeline/mod.ts";
import { agentEnv, sent } from "../_support/repl.ts";

const launcher = new URL("../../scripts/kafclaw", import.meta.url).pathname;

/** A call to write_file: tier 1, above a policy.maxAutoTier of 0, so it needs the owner. */
const writeCall = {
  toolCalls: [{ id: "w1", name: "write_file", arguments: { path: "a.txt", content: "x\n" } }],
};

/** The pending approval requests of `home`'s timeline. */
function pending(home: string): Approval[] {
  try {
    Deno.statSync(`${home}/timeline.db`);
  } catch {
    return [];
  }
  const timeline = Timeline.open(`${home}/timeline.db`);
  try {
    return timeline.approvals.pending();
  } finally {
    timeline.close();
  }
}

/** Runs the agent through one approval and the line after it; returns what the run gave. */
async function approvalRun(
  answer: readonly (readonly [string, string])[],
  extra: Record<string, string> = {},
  elsewhere?: (home: string, env: Record<string, string>) => Promise<void>,
) {
  const home = await tempHome();
  const llm = await startFakeOpenAI({ chat: [writeCall, { text: "first turn over" }] });
  llm.push([{ text: "second turn over" }]);
  const env = agentEnv(home.path, llm, { KAFCLAW_POLICY_MAX_AUTO_TIER: "0", ...extra });
  const [r] = await Promise.all([
    inPty([launcher, "agent"], [
      ["you: ", "write a.txt" + KEY.enter],
      ...answer,
      ["first turn over.*you: ", "the next line" + KEY.enter],
      ["second turn over.*you: ", KEY.ctrlD],
    ], env),
    elsewhere?.(home.path, env),
  ]);
  const written = await Deno.readTextFile(`${home.path}/workspace/a.txt`).catch(() => undefined);
  const result = { ...r, out: plain(r.output), sent: sent(llm), written };
  await llm.close();
  await home[Symbol.asyncDispose]();
  return result;
}

/** The outcome line, as the raw output has it: after a line end or a cleared line, never after the question. */
function outcomeLine(output: string, outcome: string): void {
  const at = output.indexOf(outcome);
  assert.ok(at >= 0, `no "${outcome}" in ${JSON.stringify(output)}`);
  const before = output.slice(0, at).replace(/Approval \S+: $/, "");
  // deno-lint-ignore no-control-regex
  assert.match(before, /(\n|\r\x1b\[K)$/, `"${outcome}" does not start a line`);
}

Deno.test("approval at the terminal: y allows, the call runs, and the next line is the next message", async () => {
  const r = await approvalRun([["Allow this call\\? \\[y/N\\]: ", "y" + KEY.enter]]);
  assert.equal(r.failed, null, r.out);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Approval \S+: allowed\n/);
  assert.equal(r.written, "x\n");
  assert.deepEqual(r.sent.at(-1), "the next line");
});

Deno.test("approval at the terminal: answered from another terminal, said on its own line, and the next line is not eaten", async () => {
  const r = await approvalRun(
    [["Allow this call\\? \\[y/N\\]: ", ""], ["answered from another terminal", ""]],
    {},
    async (home, env) => {
      let id: string | undefined;
      await waitFor(() => (id = pending(home)[0]?.approvalId) !== undefined, "a request");
      const answer = await kafclaw(["approvals", "approve", id!], env);
      assert.equal(answer.code, 0, answer.stderr);
    },
  );
  assert.equal(r.failed, null, r.out);
  assert.equal(r.code, 0, r.out);
  outcomeLine(r.output, "allowed (answered from another terminal)");
  assert.equal(r.written, "x\n");
  assert.deepEqual(
    r.sent.at(-1),
    "the next line",
    "the line typed after the answer is the next message",
  );
});

Deno.test("approval at the terminal: a timeout is said on its own line, and the next line is not eaten", async () => {
  const r = await approvalRun([["Allow this call\\? \\[y/N\\]: ", ""], ["timed out", ""]], {
    KAFCLAW_POLICY_APPROVAL_TIMEOUT_MS: "1000",
  });
  assert.equal(r.failed, null, r.out);
  assert.equal(r.code, 0, r.out);
  outcomeLine(r.output, "timed out (no answer in time)");
  assert.equal(r.written, undefined, "nothing was written without an answer");
  assert.deepEqual(r.sent.at(-1), "the next line");
});

Deno.test("approval at the terminal: Ctrl-C at y/N cancels the turn, and the next line is the next message", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ chat: [writeCall], fallback: "echo" });
  const env = agentEnv(home.path, llm, { KAFCLAW_POLICY_MAX_AUTO_TIER: "0" });
  const r = await inPty([launcher, "agent"], [
    ["you: ", "write a.txt" + KEY.enter],
    ["Allow this call\\? \\[y/N\\]: ", KEY.ctrlC],
    ["cancelled.*you: ", "the next line" + KEY.enter],
    ["echo: the next line.*you: ", KEY.ctrlD],
  ], env);
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  outcomeLine(r.output, "cancelled (Ctrl-C), and the turn with it");
  assert.deepEqual(sent(llm), ["write a.txt", "the next line"]);
  await assert.rejects(Deno.stat(`${home.path}/workspace/a.txt`), Deno.errors.NotFound);
});

Deno.test("approval at the terminal: a line typed ahead while the turn ran is not taken as the answer, and is the next message", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [{ ...writeCall, delayMs: 1500 }, { text: "first turn over" }],
    fallback: "echo",
  });
  const env = agentEnv(home.path, llm, { KAFCLAW_POLICY_MAX_AUTO_TIER: "0" });
  const r = await inPty([launcher, "agent"], [
    ["you: ", "write a.txt" + KEY.enter],
    ["thinking", "typed ahead" + KEY.enter],
    ["Allow this call\\? \\[y/N\\]: ", "y" + KEY.enter],
    ["echo: typed ahead.*you: ", KEY.ctrlD],
  ], env);
  const out = plain(r.output);
  assert.equal(r.failed, null, out);
  assert.equal(r.code, 0, out);
  assert.match(out, /Approval \S+: allowed\n/);
  assert.equal(await Deno.readTextFile(`${home.path}/workspace/a.txt`), "x\n");
  assert.equal(sent(llm).at(-1), "typed ahead");
});

Deno.test("agent -m at a terminal: the approval question is the line editor's, no busy line is drawn over it, Ctrl-C is still a cancel", async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({
    chat: [writeCall, { text: "not written" }, { text: "never", hang: true }],
  });
  const env = agentEnv(home.path, llm, {
    KAFCLAW_POLICY_MAX_AUTO_TIER: "0",
    KAFCLAW_POLICY_APPROVAL_TIMEOUT_MS: "1000",
  });
  // A second unanswered at the question: a busy line drawn over it would show in that time.
  const asked = await inPty([launcher, "agent", "-m", "write a.txt"], [["timed out", ""]], env);
  const out = plain(asked.output);
  assert.equal(asked.failed, null, out);
  assert.equal(asked.code, 0, out);
  const question = out.slice(out.indexOf("Allow this call? [y/N]: "), out.indexOf("timed out"));
  assert.match(question, /^Allow this call\? \[y\/N\]: \nApproval \S+: $/, question);
  assert.match(out, /not written/);

  const cancelled = await inPty([launcher, "agent", "-m", "hang"], [["thinking", KEY.ctrlC]], env);
  assert.equal(cancelled.code, 130, plain(cancelled.output));
  assert.match(plain(cancelled.output), /kafclaw: cancelled/);
});

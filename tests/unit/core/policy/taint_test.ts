import assert from "node:assert/strict";
import { deriveTaint, TurnTaint, WORKSPACE_READ_TOOLS } from "../../../../core/policy/mod.ts";

const filesUntrusted = { workspaceFilesUntrusted: true };
const filesTrusted = { workspaceFilesUntrusted: false };

Deno.test("a turn starts trusted for the owner and untrusted for anyone else", () => {
  const owner = TurnTaint.start({ messageType: "internal" });
  assert.equal(owner.value, "trusted");
  assert.equal(owner.tainted, false);
  assert.equal(owner.reason, undefined);
  const stranger = TurnTaint.start({ messageType: "external" });
  assert.equal(stranger.value, "untrusted");
  assert.equal(stranger.reason, "the message came from someone other than the owner");
  const declaredTrusted = TurnTaint.start({ messageType: "external", declared: "trusted" });
  assert.equal(declaredTrusted.value, "untrusted", "an external message cannot declare trust");
});

Deno.test("an internal message that continues untrusted work starts untrusted", () => {
  assert.equal(TurnTaint.start({ messageType: "internal", declared: "trusted" }).value, "trusted");
  const taint = TurnTaint.start({ messageType: "internal", declared: "untrusted" });
  assert.equal(taint.value, "untrusted");
  assert.equal(taint.reason, "the message continues untrusted work");
});

Deno.test("an untrusted tool result taints the turn for good", () => {
  const taint = TurnTaint.start({ messageType: "internal" });
  taint.afterToolResult("write_file", {}, filesUntrusted);
  taint.afterToolResult("exec", { untrusted: false }, filesUntrusted);
  assert.equal(taint.value, "trusted");
  taint.afterToolResult("web_fetch", { untrusted: true }, filesUntrusted);
  assert.equal(taint.value, "untrusted");
  assert.equal(taint.taint, "untrusted");
  assert.equal(taint.reason, "web_fetch returned untrusted content");
  taint.afterToolResult("mcp_search", { untrusted: true }, filesUntrusted);
  taint.afterToolResult("write_file", {}, filesUntrusted);
  assert.equal(taint.value, "untrusted");
  assert.equal(taint.reason, "web_fetch returned untrusted content", "the first reason stays");
});

Deno.test("reading a workspace file taints the turn unless workspace files are trusted", () => {
  assert.deepEqual(WORKSPACE_READ_TOOLS, ["read_file", "transcribe_audio"]);
  const reads = TurnTaint.start({ messageType: "internal" });
  reads.afterToolResult("read_file", {}, filesUntrusted);
  assert.equal(reads.reason, "read_file read a workspace file");
  const trusting = TurnTaint.start({ messageType: "internal" });
  trusting.afterToolResult("read_file", {}, filesTrusted);
  assert.equal(trusting.value, "trusted");
});

Deno.test("reading an untrusted memory taints the turn; a trusted one does not", () => {
  const taint = TurnTaint.start({ messageType: "internal" });
  taint.afterMemoryRead({ taint: "trusted" });
  taint.afterMemoryRead("trusted");
  assert.equal(taint.value, "trusted");
  taint.afterMemoryRead({ taint: "untrusted" });
  assert.equal(taint.reason, "the turn read an untrusted memory");
  const unknown = TurnTaint.start({ messageType: "internal" });
  unknown.afterMemoryRead(undefined);
  assert.equal(unknown.value, "untrusted", "a chunk without taint fails closed");
});

Deno.test("what a turn makes carries its taint, failing closed on anything unknown", () => {
  const turn = TurnTaint.start({ messageType: "internal" });
  assert.equal(deriveTaint(turn), "trusted");
  turn.markUntrusted("the owner said so");
  assert.equal(deriveTaint(turn), "untrusted");
  assert.equal(deriveTaint("trusted"), "trusted");
  assert.equal(deriveTaint({ taint: "untrusted" }), "untrusted");
  assert.equal(deriveTaint(null), "untrusted");
  assert.equal(deriveTaint("TRUSTED" as never), "untrusted");
  assert.equal(new TurnTaint("bogus" as never).value, "untrusted");
  assert.equal(new TurnTaint("untrusted").reason, "the turn started untrusted");
  assert.equal(
    new TurnTaint("untrusted", "a job of a tainted session").reason,
    "a job of a tainted session",
  );
});

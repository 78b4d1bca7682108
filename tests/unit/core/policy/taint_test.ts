import assert from "node:assert/strict";
import { deriveTaint, TurnTaint } from "../../../../core/policy/mod.ts";

const filesUntrusted = { workspaceFilesUntrusted: true };
const filesTrusted = { workspaceFilesUntrusted: false };
const owner = { ...filesUntrusted, output: "owner" as const };
const workspace = { ...filesUntrusted, output: "workspace" as const };

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
  taint.afterToolResult("write_file", {}, owner);
  taint.afterToolResult("message", { untrusted: false }, owner);
  assert.equal(taint.value, "trusted");
  taint.afterToolResult("recall", { untrusted: true }, owner);
  assert.equal(taint.value, "untrusted");
  assert.equal(taint.taint, "untrusted");
  assert.equal(taint.reason, "recall returned untrusted content");
  taint.afterToolResult("mcp_search", {}, filesUntrusted);
  taint.afterToolResult("write_file", {}, owner);
  assert.equal(taint.value, "untrusted");
  assert.equal(taint.reason, "recall returned untrusted content", "the first reason stays");
});

Deno.test("a tool that does not say where its output comes from taints: from outside, errors too", () => {
  for (const output of [undefined, "outside" as const]) {
    for (const result of [{}, { isError: true }, { untrusted: false }]) {
      const taint = TurnTaint.start({ messageType: "internal" });
      taint.afterToolResult("mcp_search", result, { ...filesTrusted, output });
      assert.equal(taint.value, "untrusted", JSON.stringify([output, result]));
      assert.equal(taint.reason, "mcp_search returned content from outside the owner's control");
    }
  }
});

Deno.test("workspace content taints the turn unless workspace files are trusted", () => {
  const reads = TurnTaint.start({ messageType: "internal" });
  reads.afterToolResult("list_dir", {}, workspace);
  assert.equal(reads.reason, "list_dir showed workspace content");
  const trusting = TurnTaint.start({ messageType: "internal" });
  trusting.afterToolResult("exec", {}, { ...filesTrusted, output: "workspace" });
  assert.equal(trusting.value, "trusted");
  trusting.afterToolResult("exec", { untrusted: true }, { ...filesTrusted, output: "workspace" });
  assert.equal(trusting.value, "untrusted", "a result that says untrusted always taints");
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

import assert from "node:assert/strict";
import { terminalApprover } from "../../../cli/_approve.ts";
import { memoryIo } from "../../../cli/_io.ts";
import { scriptedPrompter } from "../../_support/prompter.ts";

const request = {
  tool: "exec",
  tier: 2 as const,
  arguments: { command: "ls" },
  reason: "unsandboxed exec",
  sessionKey: "cli:default",
};

Deno.test("without a terminal every approval is denied, and the user is told why", async () => {
  const io = memoryIo();
  const approve = terminalApprover({
    io,
    prompter: () => scriptedPrompter([]),
    interactive: false,
  });
  assert.equal(await approve(request), false);
  assert.match(
    io.stderr[0]!,
    /denied exec \(tier 2\): it needs the owner's approval and no terminal/,
  );
});

Deno.test("on a terminal the owner sees the call and answers, one question at a time", async () => {
  const io = memoryIo();
  const prompter = scriptedPrompter(["y", "n"]);
  const approve = terminalApprover({ io, prompter: () => prompter, interactive: true });
  const [a, b] = await Promise.all([
    approve(request),
    approve({ ...request, tool: "update_soul_file" }),
  ]);
  assert.deepEqual([a, b], [true, false]);
  assert.match(
    io.stderr.join("\n"),
    /Approval needed: exec \(tier 2\) — unsandboxed exec\n {2}\{"command":"ls"\}/,
  );
  assert.equal(prompter.questions.length, 2);
});

Deno.test("a prompt that fails counts as a denial", async () => {
  const io = memoryIo();
  const approve = terminalApprover({ io, prompter: () => scriptedPrompter([]), interactive: true });
  assert.equal(await approve(request), false);
});

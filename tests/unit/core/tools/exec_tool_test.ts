import assert from "node:assert/strict";
import {
  execOffMessage,
  execTool,
  UNSANDBOXED_APPROVAL,
} from "../../../../core/tools/exec_tool.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import { SandboxError } from "../../../../core/tools/sandbox/types.ts";
import { testContext } from "./_context.ts";
import { execResult, type ExecScript, FakeSandbox } from "./_fake_sandbox.ts";

const SETTINGS = { timeoutMs: 5000, maxOutputBytes: 4096, unsandboxed: false };

function setup(kind: "bwrap" | "worker", exec?: ExecScript, unsandboxed = false) {
  const sandbox = new FakeSandbox({ kind, ...(exec ? { exec } : {}) });
  const registry = new ToolRegistry().register(execTool(sandbox, { ...SETTINGS, unsandboxed }));
  return { sandbox, registry };
}

Deno.test("exec is tier 2", () => {
  assert.equal(setup("bwrap").registry.tierOf("exec"), 2);
});

Deno.test("exec runs the command in the sandbox with the configured limits", async () => {
  const { sandbox, registry } = setup("bwrap", () => execResult({ stdout: "hi\n" }));
  const ctx = testContext();
  const result = await registry.run("exec", '{"command":"echo hi","working_dir":"src"}', ctx);
  assert.deepEqual(result, { content: "hi\nExit code: 0" });
  const [call] = sandbox.execCalls;
  assert.equal(call?.command, "echo hi");
  assert.equal(call?.options.cwd, "src");
  assert.equal(call?.options.timeoutMs, 5000);
  assert.equal(call?.options.maxOutputBytes, 4096);
  assert.equal(call?.options.signal, ctx.signal);
  assert.equal(registry.get("exec")?.approval, undefined, "a bwrap sandbox needs no approval");
});

Deno.test("exec reports stderr, a failing exit code, a cut output and a time-out", async () => {
  const failing = setup(
    "bwrap",
    () => execResult({ exitCode: 2, stdout: "out", stderr: "bad\n", truncated: true }),
  );
  assert.deepEqual(await failing.registry.run("exec", '{"command":"x"}', testContext()), {
    content: "out\nSTDERR:\nbad\n[output cut at 4096 bytes]\nExit code: 2",
    isError: true,
  });
  const slow = setup("bwrap", () => execResult({ exitCode: null, timedOut: true }));
  assert.deepEqual(await slow.registry.run("exec", '{"command":"sleep 99"}', testContext()), {
    content: "Timed out after 5000 ms; the command was stopped",
    isError: true,
  });
  const killed = setup("bwrap", () => execResult({ exitCode: null }));
  assert.equal(
    (await killed.registry.run("exec", '{"command":"x"}', testContext())).content,
    "Ended by a signal",
  );
});

Deno.test("exec names what the sandbox set aside after the command, and why", async () => {
  const { registry } = setup(
    "bwrap",
    () => execResult({ stdout: "ok\n", setAside: ["sub/.git.kafclaw-disabled-1a2b3c"] }),
  );
  const result = await registry.run("exec", '{"command":"git init sub"}', testContext());
  assert.match(result.content, /^ok\nSet aside after the command, because they would run code/);
  assert.match(result.content, /"sub\/\.git\.kafclaw-disabled-1a2b3c"\nExit code: 0$/);
});

Deno.test("exec without bubblewrap and without unsandboxed mode explains how to enable it", async () => {
  const { sandbox, registry } = setup("worker");
  const result = await registry.run("exec", '{"command":"ls"}', testContext());
  assert.deepEqual(result, { content: execOffMessage(), isError: true });
  assert.match(result.content, /bubblewrap/);
  assert.match(result.content, /tools\.exec\.unsandboxed/);
  assert.equal(sandbox.execCalls.length, 0);
  assert.equal(registry.get("exec")?.approval, undefined, "nothing runs, so nothing is asked");
});

Deno.test("exec off tells the owner the doctor command by the name they ran kafclaw by", async () => {
  const sandbox = new FakeSandbox({ kind: "worker" });
  const registry = new ToolRegistry().register(
    execTool(sandbox, { ...SETTINGS, unsandboxed: false, command: "scripts/kafclaw" }),
  );
  const result = await registry.run("exec", '{"command":"ls"}', testContext());
  assert.match(result.content, /`scripts\/kafclaw doctor` explains what is missing/);
  assert.doesNotMatch(result.content, /`kafclaw doctor`/);
});

Deno.test("unsandboxed exec says every command needs the owner's approval; the policy asks", async () => {
  const { sandbox, registry } = setup("worker", () => execResult({ stdout: "ok" }), true);
  assert.equal(registry.get("exec")?.approval, UNSANDBOXED_APPROVAL);
  assert.match(UNSANDBOXED_APPROVAL, /unsandboxed/);
  // Called, it runs: by then the guard has asked (tests/unit/core/agent/guard_test.ts).
  const result = await registry.run(
    "exec",
    '{"command":"make","working_dir":"app"}',
    testContext(),
  );
  assert.deepEqual(result, { content: "ok\nExit code: 0" });
  assert.equal(sandbox.execCalls.length, 1);
});

Deno.test("a sandbox that refuses exec gives an error result", async () => {
  const { registry } = setup("bwrap", () => {
    throw new SandboxError("bwrap could not create a user namespace", { code: "unavailable" });
  });
  const result = await registry.run("exec", '{"command":"ls"}', testContext());
  assert.deepEqual(result, {
    content: "exec was refused by the sandbox: bwrap could not create a user namespace",
    isError: true,
  });
});

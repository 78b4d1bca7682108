import assert from "node:assert/strict";
import { builtinTools, type BuiltinToolsOptions } from "../../../../core/tools/builtin.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import type { Sandbox } from "../../../../core/tools/sandbox/types.ts";
import { SandboxError } from "../../../../core/tools/sandbox/types.ts";
import { testContext } from "./_context.ts";
import { FakeSandbox } from "./_fake_sandbox.ts";

const EXEC = { timeoutMs: 60000, maxOutputBytes: 65536, unsandboxed: false };
const WEB = { enabled: true, timeoutMs: 30000, maxBytes: 2097152, maxRedirects: 5 };

function options(sandbox: Sandbox, extra: Partial<BuiltinToolsOptions> = {}): BuiltinToolsOptions {
  return { sandbox, exec: EXEC, web: WEB, ...extra };
}

Deno.test("builtinTools offers the file tools, exec and web_fetch, each with its tier", () => {
  const registry = new ToolRegistry().register(...builtinTools(options(new FakeSandbox())));
  assert.deepEqual(registry.names().map((n) => `${n}:${registry.tierOf(n)}`), [
    "read_file:0",
    "write_file:1",
    "edit_file:1",
    "list_dir:0",
    "exec:2",
    "web_fetch:2",
  ]);
});

Deno.test("builtinTools adds message and sessions_spawn when their ports are given, and drops web_fetch when off", () => {
  const tools = builtinTools(options(new FakeSandbox(), {
    web: { ...WEB, enabled: false },
    messages: { send: () => Promise.resolve() },
    subagents: { spawn: () => Promise.resolve({ answer: "", taint: "trusted" }) },
  }));
  const names = tools.map((t) => t.name);
  assert.ok(!names.includes("web_fetch"));
  assert.ok(names.includes("message") && names.includes("sessions_spawn"));
});

Deno.test("every definition is a valid function declaration for the model", () => {
  const tools = builtinTools(options(new FakeSandbox(), {
    messages: { send: () => Promise.resolve() },
    subagents: { spawn: () => Promise.resolve({ answer: "", taint: "trusted" }) },
  }));
  for (const definition of new ToolRegistry().register(...tools).definitions()) {
    assert.match(definition.name, /^[a-zA-Z0-9_-]{1,64}$/);
    assert.ok(definition.description.length > 10, definition.name);
    assert.equal(definition.parameters.type, "object", definition.name);
    assert.equal(definition.parameters.$schema, undefined, definition.name);
    assert.equal(definition.parameters.additionalProperties, false, definition.name);
  }
});

/** A sandbox where everything fails, in every way a dependency can fail. */
function brokenSandbox(kind: "bwrap" | "worker"): Sandbox {
  let n = 0;
  const fail = () => {
    const failures = [
      new SandboxError("helper died", { code: "failed" }),
      new TypeError("undefined is not a function"),
      "a thrown string",
      undefined,
      { weird: true },
    ];
    return Promise.reject(failures[n++ % failures.length]);
  };
  return {
    kind,
    workspace: "/x",
    fs: { readText: fail, writeText: fail, readBytes: fail, writeBytes: fail, list: fail },
    exec: fail,
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

Deno.test("no call crashes the loop: failures of every kind come back as error results", async () => {
  for (const kind of ["bwrap", "worker"] as const) {
    const registry = new ToolRegistry().register(...builtinTools(options(brokenSandbox(kind), {
      exec: { ...EXEC, unsandboxed: true },
      web: { ...WEB, resolve: () => Promise.reject(new Error("no DNS in tests")) },
      messages: { send: () => Promise.reject(new Error("gone")) },
      subagents: { spawn: () => Promise.reject("not an error") },
    })));
    const calls: [string, string][] = [
      ["read_file", '{"path":"a"}'],
      ["write_file", '{"path":"a","content":"b"}'],
      ["edit_file", '{"path":"a","old_text":"x","new_text":"y"}'],
      ["list_dir", "{}"],
      ["exec", '{"command":"ls"}'],
      ["web_fetch", '{"url":"https://example.com/"}'],
      ["web_fetch", '{"url":"gopher://x"}'],
      ["message", '{"session":"s","text":"t"}'],
      ["sessions_spawn", '{"task":"t"}'],
      ["read_file", "not json"],
      ["read_file", '{"path":42}'],
      ["nonexistent", "{}"],
      ["exec", '"just a string"'],
    ];
    for (let round = 0; round < 3; round++) {
      for (const [name, args] of calls) {
        const result = await registry.run(name, args, testContext());
        assert.equal(result.isError, true, `${kind} ${name} ${args}: ${result.content}`);
        assert.equal(typeof result.content, "string");
        assert.ok(result.content.length > 0);
      }
    }
  }
});

import assert from "node:assert/strict";
import { z } from "zod";
import { defineTool, ToolArgs, toolOk } from "../../../../core/tools/define.ts";
import { ToolRegistry } from "../../../../core/tools/registry.ts";
import { SandboxError } from "../../../../core/tools/sandbox/types.ts";
import type { Tool } from "../../../../core/tools/types.ts";
import { testContext } from "./_context.ts";

const echo = defineTool({
  name: "echo",
  description: "Says the text back",
  tier: 0,
  args: z.strictObject({
    text: z.string().describe("What to say"),
    times: z.number().int().min(1).max(3).default(1),
  }),
  run: ({ text, times }) => Promise.resolve(toolOk(text.repeat(times))),
});

function throwing(error: unknown): Tool {
  return defineTool({
    name: "boom",
    description: "Always fails",
    tier: 1,
    args: z.strictObject({}),
    run: () => Promise.reject(error),
  });
}

Deno.test("definitions give each tool's name, description and JSON Schema", () => {
  const registry = new ToolRegistry().register(echo);
  const [definition] = registry.definitions();
  assert.equal(definition?.name, "echo");
  assert.equal(definition?.description, "Says the text back");
  assert.deepEqual(definition?.parameters, {
    type: "object",
    properties: {
      text: { type: "string", description: "What to say" },
      times: { type: "integer", minimum: 1, maximum: 3, default: 1 },
    },
    required: ["text"],
    additionalProperties: false,
  });
});

Deno.test("definitions can be filtered, for example by tier", () => {
  const registry = new ToolRegistry().register(echo, throwing(new Error("x")));
  assert.deepEqual(registry.definitions((t) => t.tier === 0).map((d) => d.name), ["echo"]);
  assert.deepEqual(registry.names(), ["echo", "boom"]);
});

Deno.test("register refuses a name already taken", () => {
  const registry = new ToolRegistry().register(echo);
  assert.throws(
    () => registry.register(echo),
    /Cannot register tool "echo": a tool of that name exists/,
  );
});

Deno.test("a tool taken away is no longer offered or run, and may be registered again", async () => {
  const registry = new ToolRegistry().register(echo);
  registry.unregister("echo", "never-registered");
  assert.deepEqual(registry.names(), []);
  assert.deepEqual(registry.definitions(), []);
  const result = await registry.run("echo", '{"text":"hi"}', testContext());
  assert.equal(result.isError, true);
  registry.register(echo);
  assert.deepEqual(registry.names(), ["echo"]);
});

Deno.test("register refuses a name the function calling API would reject", () => {
  const bad: Tool = { ...echo, name: "has space" };
  assert.throws(() => new ToolRegistry().register(bad), TypeError);
  assert.throws(
    () =>
      defineTool({
        ...echo,
        name: "x".repeat(65),
        args: z.strictObject({}),
        run: () => Promise.resolve(toolOk("")),
      }),
    TypeError,
  );
});

Deno.test("tierOf gives the tier of a known tool and undefined otherwise", () => {
  const registry = new ToolRegistry().register(echo, throwing(new Error("x")));
  assert.equal(registry.tierOf("echo"), 0);
  assert.equal(registry.tierOf("boom"), 1);
  assert.equal(registry.tierOf("nope"), undefined);
});

Deno.test("run validates, applies defaults and runs the tool", async () => {
  const registry = new ToolRegistry().register(echo);
  assert.deepEqual(await registry.run("echo", '{"text":"ab","times":2}', testContext()), {
    content: "abab",
  });
  assert.deepEqual(await registry.run("echo", '{"text":"ab"}', testContext()), { content: "ab" });
});

Deno.test("run answers an unknown tool with an error result naming the tools there are", async () => {
  const result = await new ToolRegistry().register(echo).run("nope", "{}", testContext());
  assert.equal(result.isError, true);
  assert.equal(result.content, 'Unknown tool "nope". Available tools: echo');
});

Deno.test("run answers unparsable JSON with an error result", async () => {
  const result = await new ToolRegistry().register(echo).run("echo", "{text:", testContext());
  assert.equal(result.isError, true);
  assert.match(result.content, /^Cannot parse the arguments of echo as JSON: /);
});

Deno.test("run treats empty arguments as an empty object and refuses non-objects", async () => {
  const registry = new ToolRegistry().register(throwing(new Error("ran")));
  assert.equal((await registry.run("boom", "", testContext())).content, "boom failed: ran");
  const array = await registry.run("boom", "[1]", testContext());
  assert.equal(array.content, "The arguments of boom must be a JSON object, got an array");
  const nul = await registry.run("boom", "null", testContext());
  assert.equal(nul.content, "The arguments of boom must be a JSON object, got null");
});

Deno.test("run answers invalid arguments with each problem, and does not run the tool", async () => {
  let ran = false;
  const spy = defineTool({
    ...echo,
    name: "spy",
    args: z.strictObject({ text: z.string(), times: z.number().int().max(3).optional() }),
    run: () => {
      ran = true;
      return Promise.resolve(toolOk(""));
    },
  });
  const registry = new ToolRegistry().register(spy);
  const result = await registry.run("spy", '{"times":9,"extra":1}', testContext());
  assert.equal(result.isError, true);
  assert.match(result.content, /^Invalid arguments for spy: /);
  assert.match(result.content, /"text": Invalid input: expected string, received undefined/);
  assert.match(result.content, /"times": Too big/);
  assert.match(result.content, /arguments: Unrecognized key: "extra"/);
  assert.equal(ran, false);
});

Deno.test("a tool that throws becomes an error result, never an exception", async () => {
  const registry = new ToolRegistry().register(throwing(new Error("disk on fire")));
  const result = await registry.run("boom", "{}", testContext());
  assert.deepEqual(result, { content: "boom failed: disk on fire", isError: true });
  const odd = await new ToolRegistry().register(throwing("a string")).run(
    "boom",
    "{}",
    testContext(),
  );
  assert.deepEqual(odd, { content: "boom failed: a string", isError: true });
  const nothing = await new ToolRegistry().register(throwing(undefined)).run(
    "boom",
    "{}",
    testContext(),
  );
  assert.deepEqual(nothing, { content: "boom failed: an unknown error", isError: true });
});

Deno.test("a tool that returns no text content becomes an error result", async () => {
  const broken: Tool = { ...echo, run: () => Promise.resolve(undefined as never) };
  const result = await new ToolRegistry().register(broken).run(
    "echo",
    '{"text":"x"}',
    testContext(),
  );
  assert.deepEqual(result, { content: "echo failed: it returned no text content", isError: true });
});

Deno.test("a sandbox refusal says it came from the sandbox; other sandbox errors are failures", async () => {
  const outside = new SandboxError("path leads outside", { code: "outside" });
  const refused = await new ToolRegistry().register(throwing(outside)).run(
    "boom",
    "{}",
    testContext(),
  );
  assert.equal(refused.content, "boom was refused by the sandbox: path leads outside");
  const missing = new SandboxError("no such file: a", { code: "not_found" });
  const failed = await new ToolRegistry().register(throwing(missing)).run(
    "boom",
    "{}",
    testContext(),
  );
  assert.equal(failed.content, "boom failed: no such file: a");
});

Deno.test("run does not start a tool when the turn is already cancelled", async () => {
  const controller = new AbortController();
  controller.abort();
  const result = await new ToolRegistry().register(echo).run(
    "echo",
    '{"text":"x"}',
    testContext({ signal: controller.signal }),
  );
  assert.deepEqual(result, { content: "echo was cancelled before it started", isError: true });
});

Deno.test("long results are cut at maxResultBytes with a note of what was left out", async () => {
  const registry = new ToolRegistry({ maxResultBytes: 300 }).register(echo);
  const result = await registry.run(
    "echo",
    JSON.stringify({ text: "é".repeat(200) }),
    testContext(),
  );
  // 200 two-byte characters: 150 fit in 300 bytes, 100 bytes are left out.
  assert.equal(result.content, `${"é".repeat(150)}\n[truncated 100 bytes]`);
  const cut = await registry.run(
    "echo",
    JSON.stringify({ text: "a" + "é".repeat(200) }),
    testContext(),
  );
  assert.equal(cut.content, `a${"é".repeat(149)}\n[truncated 102 bytes]`);
});

Deno.test("maxResultBytes must be a sensible integer", () => {
  assert.throws(() => new ToolRegistry({ maxResultBytes: 10 }), RangeError);
});

Deno.test("a plain Tool is validated against its JSON Schema parameters", async () => {
  const plain: Tool = {
    name: "plain",
    description: "A tool without zod",
    tier: 2,
    parameters: {
      type: "object",
      properties: { n: { type: "number" } },
      required: ["n"],
      additionalProperties: false,
    },
    run: (args) => Promise.resolve(toolOk(`n=${args.n}`)),
  };
  const registry = new ToolRegistry().register(plain);
  assert.deepEqual(await registry.run("plain", '{"n":2}', testContext()), { content: "n=2" });
  const bad = await registry.run("plain", '{"n":"2"}', testContext());
  assert.match(bad.content, /^Invalid arguments for plain: "n": Invalid input: expected number/);
});

Deno.test("a JSON Schema zod cannot read still gets the object check", async () => {
  const odd: Tool = {
    name: "odd",
    description: "",
    tier: 2,
    parameters: { type: "object", properties: { a: { $ref: "#/nowhere" } } },
    run: () => Promise.resolve(toolOk("ran")),
  };
  const registry = new ToolRegistry().register(odd);
  assert.equal((await registry.run("odd", '{"a":1}', testContext())).content, "ran");
  assert.equal((await registry.run("odd", "3", testContext())).isError, true);
});

Deno.test("a tool whose arguments cannot be checked fails as a result, and is tried again", async () => {
  let builds = 0;
  const broken = defineTool({
    description: "Lists nothing",
    tier: 0,
    args: new ToolArgs("list_dir", (zod) => {
      if (++builds === 1) throw new Error("the schema broke");
      return zod.strictObject({ path: zod.string().default(".") });
    }),
    run: (args) => Promise.resolve(toolOk(args.path)),
  });
  const registry = new ToolRegistry().register(broken);
  assert.deepEqual(await registry.run("list_dir", "{}", testContext()), {
    content: "list_dir failed: its arguments cannot be checked: the schema broke",
    isError: true,
  });
  assert.deepEqual(await registry.run("list_dir", "{}", testContext()), { content: "." });
});

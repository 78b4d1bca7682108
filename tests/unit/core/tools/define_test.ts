/**
 * defineTool: a built-in tool's arguments are declared (toolArgs), their JSON Schema generated
 * ahead and their zod schema built at the first call; a tool defined elsewhere gives its schema.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import {
  defineTool,
  parametersOf,
  schemaOf,
  ToolArgs,
  toolArgs,
  toolOk,
} from "../../../../core/tools/define.ts";
import { listDirTool } from "../../../../core/tools/fs_tools.ts";
import GENERATED from "../../../../core/tools/_tool_parameters.json" with { type: "json" };
import { testContext as ctx } from "./_context.ts";

const echo = (args: z.ZodObject | ToolArgs, name?: string) =>
  defineTool({
    ...(name === undefined ? {} : { name }),
    description: "Says the text back",
    tier: 0,
    args,
    run: (a) => Promise.resolve(toolOk(JSON.stringify(a))),
  });

Deno.test("a built-in tool is offered its generated JSON Schema, and builds its zod schema at the first call", async () => {
  let built = 0;
  const args = new ToolArgs("list_dir", (zod) => {
    built++;
    return zod.strictObject({ path: zod.string().default(".") });
  });
  const tool = echo(args);
  assert.equal(tool.name, "list_dir");
  assert.deepEqual(tool.parameters, GENERATED.list_dir);
  assert.equal(built, 0);
  assert.equal((await tool.run({}, ctx())).content, '{"path":"."}');
  await assert.rejects(() => tool.run({ path: 7 }, ctx()), (e) => e instanceof z.ZodError);
  assert.equal(await schemaOf(tool), await schemaOf(tool));
  assert.equal(built, 1);
  // The real list_dir's schema is the one its JSON Schema was generated from.
  const real = listDirTool({} as never);
  assert.deepEqual(parametersOf((await schemaOf(real))!), real.parameters);
});

Deno.test("a tool defined with its schema built is offered that schema's JSON Schema", async () => {
  const schema = z.strictObject({ text: z.string().describe("What to say") });
  const tool = echo(schema, "echo");
  assert.deepEqual(tool.parameters, {
    type: "object",
    properties: { text: { type: "string", description: "What to say" } },
    required: ["text"],
    additionalProperties: false,
  });
  assert.equal(await schemaOf(tool), schema);
  assert.equal(schemaOf({ ...tool }), undefined);
});

Deno.test("defineTool refuses a bad or missing name, a second name, and arguments not generated", () => {
  const schema = z.strictObject({});
  assert.throws(() => echo(schema, "no spaces"), /Cannot define tool "no spaces": names are 1-64/);
  assert.throws(() => echo(schema), /Cannot define tool "": names are 1-64/);
  const declared = new ToolArgs("list_dir", () => schema);
  assert.throws(
    () => echo(declared, "ls"),
    /^TypeError: Cannot define tool "ls": its arguments name it "list_dir"$/,
  );
  assert.throws(
    () => echo(new ToolArgs("not_generated", () => schema)),
    /"not_generated": its JSON Schema is not generated \(deno run -P=test scripts\/tool_parameters/,
  );
});

Deno.test("toolArgs declares a name once", () => {
  const first = toolArgs("declared_once", (zod) => zod.strictObject({}));
  assert.equal(first.name, "declared_once");
  assert.throws(
    () => toolArgs("declared_once", (zod) => zod.strictObject({})),
    /Tool arguments "declared_once" are declared twice/,
  );
});

/**
 * Tools defined with a zod schema: the schema validates the arguments, types the handler, and gives
 * the model its JSON Schema, so the three never disagree.
 *
 * @module
 */
import { z } from "zod";
import type { Tier, Tool, ToolContext, ToolOutput, ToolResult } from "./types.ts";

/** A tool's arguments: a zod object schema. */
export type ArgsSchema = z.ZodObject;

/** What {@link defineTool} needs. */
export interface ToolSpec<S extends ArgsSchema> {
  readonly name: string;
  readonly description: string;
  readonly tier: Tier;
  /** Why every call needs the owner's approval (see {@link Tool.approval}); most tools: none. */
  readonly approval?: string | undefined;
  /** Where the output comes from (see {@link Tool.output}); default: outside, which taints. */
  readonly output?: ToolOutput | undefined;
  /** The arguments; `.describe()` on each field tells the model what it means. */
  readonly args: S;
  run(args: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
}

/** Valid tool names: what the OpenAI-compatible function calling API accepts. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const SCHEMAS = new WeakMap<Tool, ArgsSchema>();

/**
 * Makes a {@link Tool} from a zod schema and a typed handler. The registry validates calls with
 * the schema itself; the handler parses again, so it is safe when called directly.
 *
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineTool, toolOk } from "./define.ts";
 *
 * const echo = defineTool({
 *   name: "echo",
 *   description: "Says the text back",
 *   tier: 0,
 *   args: z.strictObject({ text: z.string().describe("What to say") }),
 *   run: (args) => Promise.resolve(toolOk(args.text)),
 * });
 * console.assert(echo.parameters.type === "object");
 * ```
 */
export function defineTool<S extends ArgsSchema>(spec: ToolSpec<S>): Tool {
  if (!TOOL_NAME.test(spec.name)) {
    throw new TypeError(`Cannot define tool "${spec.name}": names are 1-64 of a-z, A-Z, 0-9, _, -`);
  }
  const { $schema: _, ...parameters } = z.toJSONSchema(spec.args, { io: "input" });
  const tool: Tool = {
    name: spec.name,
    description: spec.description,
    tier: spec.tier,
    ...(spec.approval ? { approval: spec.approval } : {}),
    ...(spec.output ? { output: spec.output } : {}),
    parameters,
    run: (args, ctx) => spec.run(spec.args.parse(args), ctx),
  };
  SCHEMAS.set(tool, spec.args);
  return tool;
}

/** The zod schema of a tool made by {@link defineTool}, if it was. */
export function schemaOf(tool: Tool): ArgsSchema | undefined {
  return SCHEMAS.get(tool);
}

/** A successful result. */
export function toolOk(content: string): ToolResult {
  return { content };
}

/** A failed result: the model reads the message and may try again. */
export function toolError(content: string): ToolResult {
  return { content, isError: true };
}

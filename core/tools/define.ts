/**
 * Tools defined with a zod schema: the schema validates the arguments, types the handler, and gives
 * the model its JSON Schema, so the three never disagree. A built-in tool's schema is built when
 * the tool is first called ({@link toolArgs}), its JSON Schema generated ahead into
 * `_tool_parameters.json` (by scripts/tool_parameters.ts), so offering tools loads no zod. A tool
 * defined elsewhere (a test's, a plugin's) gives its schema built.
 *
 * @module
 */
import type { z } from "zod";
import GENERATED from "./_tool_parameters.json" with { type: "json" };
import { loadZod, type Zod } from "./_zod.ts";
import type { Tier, Tool, ToolContext, ToolOutput, ToolResult } from "./types.ts";

/** A tool's arguments: a zod object schema. */
export type ArgsSchema = z.ZodObject;

/** A tool's JSON Schema, as the model is given it. */
export type ToolParameters = Readonly<Record<string, unknown>>;

const PARAMETERS: Readonly<Record<string, ToolParameters | undefined>> = GENERATED;

/**
 * The arguments of a built-in tool: its name, and how to build their zod schema, which happens
 * when the tool is first called. Their JSON Schema is generated ahead from the same schema.
 */
export class ToolArgs<S extends ArgsSchema = ArgsSchema> {
  readonly name: string;
  readonly #build: (z: Zod) => S;
  #schema: Promise<S> | undefined;

  constructor(name: string, build: (z: Zod) => S) {
    this.name = name;
    this.#build = build;
  }

  /** Their JSON Schema, as generated (undefined until scripts/tool_parameters.ts writes it). */
  get parameters(): ToolParameters | undefined {
    return PARAMETERS[this.name];
  }

  /** Builds their schema with the zod given (the generator's). */
  build(zod: Zod): S {
    return this.#build(zod);
  }

  /** Their schema, built once, zod loaded first (a build that failed is tried again). */
  schema(): Promise<S> {
    return this.#schema ??= loadZod().then((zod) => this.#build(zod)).catch((error) => {
      this.#schema = undefined;
      throw error;
    });
  }
}

const DECLARED = new Map<string, ToolArgs>();

/**
 * Declares a built-in tool's arguments, at the top level of its module (the generator of
 * `_tool_parameters.json` finds them there); a name declared twice is refused.
 */
export function toolArgs<S extends ArgsSchema>(name: string, build: (z: Zod) => S): ToolArgs<S> {
  if (DECLARED.has(name)) throw new TypeError(`Tool arguments "${name}" are declared twice`);
  const args = new ToolArgs(name, build);
  DECLARED.set(name, args);
  return args;
}

/** Every built-in tool's arguments declared by the modules loaded so far. */
export function declaredToolArgs(): ToolArgs[] {
  return [...DECLARED.values()];
}

/** A zod schema's JSON Schema for the model: what a call may give (its input), no `$schema`. */
export function parametersOf(schema: ArgsSchema): ToolParameters {
  const { $schema: _, ...parameters } = schema.toJSONSchema({ io: "input" });
  return parameters;
}

/** What {@link defineTool} needs. */
export interface ToolSpec<S extends ArgsSchema> {
  /** The name: a built-in tool's is its {@link ToolArgs}' (leave it out). */
  readonly name?: string;
  readonly description: string;
  readonly tier: Tier;
  /** Why every call needs the owner's approval (see {@link Tool.approval}); most tools: none. */
  readonly approval?: string | undefined;
  /** Where the output comes from (see {@link Tool.output}); default: outside, which taints. */
  readonly output?: ToolOutput | undefined;
  /** The arguments, built or declared; `.describe()` on each field tells the model its meaning. */
  readonly args: S | ToolArgs<S>;
  run(args: z.output<S>, ctx: ToolContext): Promise<ToolResult>;
}

/** Valid tool names: what the OpenAI-compatible function calling API accepts. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const SCHEMAS = new WeakMap<Tool, () => Promise<ArgsSchema>>();

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
  const declared = spec.args instanceof ToolArgs ? spec.args : undefined;
  if (declared && spec.name !== undefined) {
    throw new TypeError(
      `Cannot define tool "${spec.name}": its arguments name it "${declared.name}"`,
    );
  }
  const name = declared?.name ?? spec.name ?? "";
  if (!TOOL_NAME.test(name)) {
    throw new TypeError(`Cannot define tool "${name}": names are 1-64 of a-z, A-Z, 0-9, _, -`);
  }
  const built = declared ? undefined : spec.args as S;
  const parameters = built ? parametersOf(built) : declared!.parameters;
  if (parameters === undefined) {
    throw new TypeError(
      `Cannot define tool "${name}": its JSON Schema is not generated ` +
        "(deno run -P=test scripts/tool_parameters.ts --write)",
    );
  }
  const schema = built ? () => Promise.resolve(built) : () => declared!.schema();
  const tool: Tool = {
    name,
    description: spec.description,
    tier: spec.tier,
    ...(spec.approval ? { approval: spec.approval } : {}),
    ...(spec.output ? { output: spec.output } : {}),
    parameters,
    run: async (args, ctx) => spec.run((await schema()).parse(args), ctx),
  };
  SCHEMAS.set(tool, schema);
  return tool;
}

/** The zod schema of a tool made by {@link defineTool} (built when asked), if it was. */
export function schemaOf(tool: Tool): Promise<ArgsSchema> | undefined {
  return SCHEMAS.get(tool)?.();
}

/** A successful result. */
export function toolOk(content: string): ToolResult {
  return { content };
}

/** A failed result: the model reads the message and may try again. */
export function toolError(content: string): ToolResult {
  return { content, isError: true };
}

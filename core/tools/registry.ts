/**
 * The tool registry: what the model is offered and the one place its calls are checked and run.
 * `run` never throws: an unknown tool, bad JSON, invalid arguments or a tool that fails all come
 * back as a result with `isError`, which the model reads and can act on. A tool's error never
 * carries Deno's permission wording: what the process may not reach is said as such (a headless
 * gateway's network and files are narrowed), whichever tool met it.
 *
 * @module
 */
import type { z } from "zod";
import type { ToolDefinition } from "../provider/mod.ts";
import { type ArgsSchema, schemaOf, TOOL_NAME, toolError } from "./define.ts";
import { SandboxError } from "./sandbox/mod.ts";
import { capText } from "./_text.ts";
import { deniedText } from "../permissions/mod.ts";
import { loadedZod, loadZod } from "./_zod.ts";
import type { Tier, Tool, ToolContext, ToolOutput, ToolResult } from "./types.ts";

/** Options of a {@link ToolRegistry}. */
export interface ToolRegistryOptions {
  /** Results longer than this many bytes (UTF-8) are cut, with a note; default 131072. */
  readonly maxResultBytes?: number;
}

/** The default cap on one result sent back to the model. */
export const DEFAULT_MAX_RESULT_BYTES = 131072;

interface Entry {
  readonly tool: Tool;
  /** The argument check, made when the tool is first called. */
  check?: Promise<ArgsSchema | z.ZodType>;
}

/** The argument check of a tool: its zod schema, or one made from its JSON Schema. */
function checkOf(tool: Tool): Promise<ArgsSchema | z.ZodType> {
  return schemaOf(tool) ?? loadZod().then((zod) => fromJsonSchema(zod, tool.parameters));
}

function fromJsonSchema(zod: typeof z, parameters: Readonly<Record<string, unknown>>): z.ZodType {
  try {
    // deno-lint-ignore no-explicit-any
    return zod.fromJSONSchema(parameters as any);
  } catch {
    // A schema zod cannot read (remote refs, exotic keywords): the tool itself checks further.
    return zod.record(zod.string(), zod.unknown());
  }
}

/** Says what is wrong with arguments, one clause per problem, for the model to fix. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => {
    const where = issue.path.length > 0 ? `"${issue.path.join(".")}"` : "arguments";
    return `${where}: ${issue.message}`;
  }).join("; ");
}

/** "was refused by the sandbox" for what the sandbox forbids, "failed" for the rest. */
function failure(error: unknown): string {
  const refused = error instanceof SandboxError &&
    (error.code === "outside" || error.code === "protected" || error.code === "unavailable");
  return refused ? "was refused by the sandbox" : "failed";
}

function errorText(error: unknown): string {
  // A ZodError means zod is loaded: it made the error.
  const zod = loadedZod();
  if (zod && error instanceof zod.ZodError) return describeIssues(error.issues);
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string" && error !== "") return error;
  return "an unknown error";
}

/** The tools of one agent. */
export class ToolRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #maxResultBytes: number;

  /** Makes an empty registry. */
  constructor(options: ToolRegistryOptions = {}) {
    this.#maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
    if (!Number.isInteger(this.#maxResultBytes) || this.#maxResultBytes < 256) {
      throw new RangeError(`maxResultBytes must be an integer >= 256, got ${this.#maxResultBytes}`);
    }
  }

  /** Adds tools; a name already taken (or not a valid function name) is refused with a TypeError. */
  register(...tools: readonly Tool[]): this {
    for (const tool of tools) {
      if (!TOOL_NAME.test(tool.name)) {
        throw new TypeError(
          `Cannot register tool "${tool.name}": names are 1-64 of a-z, A-Z, 0-9, _, -`,
        );
      }
      if (this.#entries.has(tool.name)) {
        throw new TypeError(`Cannot register tool "${tool.name}": a tool of that name exists`);
      }
      this.#entries.set(tool.name, { tool });
    }
    return this;
  }

  /** Takes tools away by name (a part that gave them stopped); unknown names are ignored. */
  unregister(...names: readonly string[]): this {
    for (const name of names) this.#entries.delete(name);
    return this;
  }

  /** The tool of that name. */
  get(name: string): Tool | undefined {
    return this.#entries.get(name)?.tool;
  }

  /** The tier of a tool, for policy; undefined for an unknown name. */
  tierOf(name: string): Tier | undefined {
    return this.#entries.get(name)?.tool.tier;
  }

  /** Why every call of a tool needs the owner's approval ({@link Tool.approval}), if it does. */
  approvalOf(name: string): string | undefined {
    return this.#entries.get(name)?.tool.approval;
  }

  /** Where a tool's output comes from ({@link Tool.output}); undefined: from outside. */
  outputOf(name: string): ToolOutput | undefined {
    return this.#entries.get(name)?.tool.output;
  }

  /** Every tool's name, in registration order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  /** The tools as the model sees them, optionally only those `filter` keeps. */
  definitions(filter?: (tool: Tool) => boolean): ToolDefinition[] {
    const tools = [...this.#entries.values()].map((e) => e.tool);
    return tools.filter((t) => filter?.(t) ?? true).map((t) => ({
      name: t.name,
      description: t.description,
      parameters: t.parameters,
    }));
  }

  /** Runs one call from the model. Never throws. */
  async run(name: string, argumentsJson: string, ctx: ToolContext): Promise<ToolResult> {
    const entry = this.#entries.get(name);
    if (!entry) {
      const known = this.names().join(", ") || "none";
      return toolError(`Unknown tool "${name}". Available tools: ${known}`);
    }
    let raw: unknown;
    try {
      raw = argumentsJson.trim() === "" ? {} : JSON.parse(argumentsJson);
    } catch (error) {
      return toolError(`Cannot parse the arguments of ${name} as JSON: ${errorText(error)}`);
    }
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      const kind = raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw;
      return toolError(`The arguments of ${name} must be a JSON object, got ${kind}`);
    }
    let check: ArgsSchema | z.ZodType;
    try {
      check = await (entry.check ??= checkOf(entry.tool));
    } catch (error) {
      // A schema that cannot be built (or zod that cannot be loaded): tried again at the next call.
      delete entry.check;
      return toolError(`${name} failed: its arguments cannot be checked: ${errorText(error)}`);
    }
    const parsed = check.safeParse(raw);
    if (!parsed.success) {
      return toolError(
        `Invalid arguments for ${name}: ${describeIssues(parsed.error.issues)}. ` +
          `Call it again with arguments that match its parameters`,
      );
    }
    if (ctx.signal.aborted) return toolError(`${name} was cancelled before it started`);
    let result: ToolResult;
    try {
      result = await entry.tool.run(parsed.data as Record<string, unknown>, ctx);
    } catch (error) {
      return toolError(`${name} ${failure(error)}: ${deniedText(errorText(error))}`);
    }
    if (typeof result?.content !== "string") {
      return toolError(`${name} failed: it returned no text content`);
    }
    const content = result.isError ? deniedText(result.content) : result.content;
    return { ...result, content: capText(content, this.#maxResultBytes) };
  }
}

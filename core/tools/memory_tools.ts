/**
 * The memory tools: `remember` (tier 1: it writes the agent's memory) and `recall` (tier 0). The
 * agent layer says, per call, the turn's taint and the zones of its task: what a tainted turn
 * remembers is stored untrusted, recall sees only public memory and those zones, and a recall
 * that returns untrusted memory is marked so, which taints the turn.
 *
 * @module
 */
import { formatSearch, type Memory } from "../memory/mod.ts";
import type { Taint, ZoneFilter } from "../timeline/mod.ts";
import { defineTool, toolArgs, toolOk } from "./define.ts";
import type { Tool, ToolContext } from "./types.ts";

/** The turn a tool call belongs to, as memory needs it. */
export interface MemoryScope {
  /** The turn's taint now. */
  readonly taint: Taint;
  /** The zone new memories go to (the task's zone); undefined for public. */
  readonly zone?: string | undefined;
  /** The zones recall sees besides public (the task's zones). */
  readonly zones: ZoneFilter;
}

/** Options of the memory tools. */
export interface MemoryToolsOptions {
  /** The scope of a call, from its session. */
  scope(ctx: ToolContext): MemoryScope;
  /** Takes secrets out of what `remember` stores (the guard's redactor); default: unchanged. */
  readonly redact?: (text: string) => string;
}

/** The most memories one recall returns. */
export const MAX_RECALL = 20;

const REMEMBER_ARGS = toolArgs("remember", (z) =>
  z.strictObject({
    content: z.string().trim().min(1).max(20_000).describe("What to remember"),
    tags: z.array(z.string().min(1).max(64)).max(16).optional().describe(
      "Short labels that help find it again",
    ),
  }));

/** remember (tier 1): stores a fact as source `user` (permanent), with the turn's taint and zone. */
export function rememberTool(memory: Memory, options: MemoryToolsOptions): Tool {
  return defineTool({
    description: "Store a fact, preference or decision in long-term memory so that it can be " +
      "recalled in later conversations. Write it so that it makes sense on its own.",
    tier: 1,
    // A confirmation of what was stored.
    output: "owner",
    args: REMEMBER_ARGS,
    async run({ content, tags }, ctx) {
      const scope = options.scope(ctx);
      const clean = options.redact ?? ((text: string) => text);
      const result = await memory.remember(clean(content), {
        source: "user",
        tags: (tags ?? []).map(clean),
        taint: scope.taint,
        zone: scope.zone,
      });
      const what = result.created === 0 ? "Already remembered" : "Remembered";
      const parts = result.ids.length === 1 ? "" : ` in ${result.ids.length} parts`;
      return toolOk(`${what}${parts}` + (result.notice ? ` (${result.notice})` : ""));
    },
  });
}

const RECALL_ARGS = toolArgs("recall", (z) =>
  z.strictObject({
    query: z.string().trim().min(1).max(2000).describe("What to look for"),
    limit: z.number().int().min(1).max(MAX_RECALL).optional().describe(
      "Most memories to return (default 8)",
    ),
  }));

/** recall (tier 0): searches memory; untrusted results taint the turn. */
export function recallTool(memory: Memory, options: MemoryToolsOptions): Tool {
  return defineTool({
    description: "Search long-term memory (facts remembered, past conversations, soul files) " +
      "by keywords and meaning.",
    tier: 0,
    // Each memory carries its taint: the result says untrusted when any found one is.
    output: "owner",
    args: RECALL_ARGS,
    async run({ query, limit }, ctx) {
      const scope = options.scope(ctx);
      const result = await memory.search(query, {
        zones: scope.zones,
        signal: ctx.signal,
        ...(limit === undefined ? {} : { limit }),
      });
      const content = formatSearch(query, result);
      return result.taint === "untrusted" ? { content, untrusted: true } : toolOk(content);
    },
  });
}

/** Both memory tools, for the registry. */
export function memoryTools(memory: Memory, options: MemoryToolsOptions): Tool[] {
  return [rememberTool(memory, options), recallTool(memory, options)];
}

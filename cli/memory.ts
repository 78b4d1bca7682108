import { Command } from "commander";
import { join } from "node:path";
import {
  commandName,
  loadConfig,
  paths,
  type ResolvedConfig,
  resolveHome,
} from "../core/config/mod.ts";
import type { Memory, PruneReport, ReindexPlan } from "../core/memory/mod.ts";
import type { Timeline } from "../core/timeline/mod.ts";
import { CliError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";
import { wholeNumber } from "./_numbers.ts";

/** Core memory (SQLite, sqlite-vec), loaded when a memory subcommand runs, not to build it. */
const core = () => import("../core/memory/mod.ts");

/** `kafclaw memory`: search and maintain the agent's memory. */
export function memoryCommand(ctx: CliContext): Command {
  const memory = new Command("memory").description(
    "search and maintain the agent's memory (keywords and, with an embedding model, meaning)",
  );
  memory.command("search")
    .description("search memory (every zone unless --zone names some)")
    .argument("<query...>", "what to look for")
    .option("-n, --limit <n>", "most results (1-100)", wholeNumber(100), undefined)
    .option("--zone <zone>", "see only public memory and this zone (repeatable)", collect, [])
    .option("--json", "print as JSON")
    .action(async (words: string[], opts: { limit?: number; zone: string[]; json?: boolean }) => {
      if (opts.zone.length > 0) {
        // The check task submit --zone makes; loaded only when a zone is named.
        const { zoneId } = await import("./_zone_id.ts");
        for (const zone of opts.zone) zoneId(zone, "--zone");
      }
      const query = words.join(" ");
      await withMemory(ctx, async (mem) => {
        const result = await mem.search(query, {
          zones: opts.zone.length > 0 ? opts.zone : "all",
          ...(opts.limit === undefined ? {} : { limit: opts.limit }),
        });
        const { formatSearch, searchJson } = await core();
        const text = opts.json
          ? JSON.stringify(searchJson(result), null, 2)
          : formatSearch(query, result);
        ctx.io.out(text);
      });
    });
  memory.command("status")
    .description("show how memory searches, what it holds and how far its vectors are")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      await withMemory(ctx, async (mem) => {
        const status = mem.status();
        const { formatStatus, statusJson } = await core();
        ctx.io.out(
          opts.json
            ? JSON.stringify(statusJson(status), null, 2)
            : formatStatus(status, commandName(ctx.env())),
        );
      });
    });
  memory.command("reindex")
    .description("embed every chunk again with the configured embedding model (after a change)")
    .option("-y, --yes", "do it (without it, only say what it would do)")
    .option("--batch-size <n>", "chunks per embedding request (1-2048)", wholeNumber(2048), 32)
    .option("--json", "print as JSON")
    .action(async (opts: { yes?: boolean; batchSize: number; json?: boolean }) => {
      await withMemory(ctx, async (mem) => {
        const bar = Deno.stderr.isTerminal() ? new ProgressBar() : undefined;
        const result = await mem.reindex({
          confirm: opts.yes === true,
          batchSize: opts.batchSize,
          ...(bar ? { onProgress: (done: number, total: number) => bar.draw(done, total) } : {}),
        }).finally(() => bar?.end());
        if (opts.json) {
          ctx.io.out(JSON.stringify((await core()).reindexJson(result), null, 2));
        } else {
          ctx.io.out(
            result.done
              ? `Embedded ${result.embedded} chunk(s) with ${result.plan.model}; search uses vectors again`
              : planText(result.plan),
          );
        }
      });
    });
  memory.command("prune")
    .description(
      "delete memories past their age (conversation 30 d, tool 14 d, group 60 d) and above the cap",
    )
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const { pruneJson } = await core();
      await withMemory(ctx, (mem) => {
        const report = mem.prune();
        ctx.io.out(opts.json ? JSON.stringify(pruneJson(report), null, 2) : pruneText(report));
      });
    });
  return memory;
}

/** Opens the memory of the configured KAFCLAW_HOME, runs `fn`, closes it. */
async function withMemory(ctx: CliContext, fn: (memory: Memory) => unknown): Promise<void> {
  const config = await load(ctx.env());
  const { memoryFromConfig, openWithVectors } = await core();
  let timeline: Timeline;
  let memory: Memory;
  try {
    const opened = openWithVectors(paths(config).timeline, {
      sqliteVec: { extractDir: join(config.home, "lib") },
    });
    timeline = opened.timeline;
    memory = memoryFromConfig(timeline, config, { vectors: opened.vectors });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) throw error;
    throw new CliError(`Cannot open the memory: ${(error as Error).message}`, { cause: error });
  }
  try {
    await fn(memory);
  } finally {
    timeline.close();
  }
}

function load(env: Readonly<Record<string, string>>): Promise<ResolvedConfig> {
  return loadConfig({ env, home: resolveHome(env) });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** What a re-index would do, and how to do it. */
export function planText(plan: ReindexPlan): string {
  const lines = [
    `Re-indexing would embed ${plan.toEmbed} of ${plan.total} chunk(s) with ${plan.model} ` +
    (plan.dimension === undefined
      ? "(its vector size is taken from its first answer)."
      : `(${plan.dimension} dimensions).`),
  ];
  if (
    plan.indexDimension !== undefined && plan.dimension !== undefined &&
    plan.indexDimension !== plan.dimension
  ) {
    lines.push(`It drops the index of ${plan.indexDimension}-dimensional vectors first.`);
  }
  if (plan.foreign > 0) {
    lines.push(`It replaces the vectors of ${plan.foreign} chunk(s) made by another model.`);
  }
  lines.push(
    plan.toEmbed === 0
      ? "Nothing to do."
      : "Every chunk is sent to the embedding model; run again with --yes to do it.",
  );
  return lines.join("\n");
}

/** What a prune removed. */
export function pruneText(report: PruneReport): string {
  const expired = Object.entries(report.expired);
  const total = expired.reduce((sum, [, n]) => sum + n, 0);
  const detail = expired.length === 0
    ? ""
    : ` (${expired.map(([k, n]) => `${k} ${n}`).join(", ")})`;
  return `Deleted ${total} expired chunk(s)${detail} and ${report.overCap} above the cap; ` +
    `${report.remaining} left`;
}

/** The text of a progress bar: `[#####-----]  50% 5/10 chunks`. */
export function progressBar(done: number, total: number, width = 30): string {
  const share = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(share * width);
  const percent = String(Math.round(share * 100)).padStart(3);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${done}/${total} chunks`;
}

/** A progress bar redrawn in place on a terminal's stderr. */
class ProgressBar {
  readonly #encoder = new TextEncoder();
  #drawn = false;

  draw(done: number, total: number): void {
    this.#drawn = true;
    Deno.stderr.writeSync(this.#encoder.encode(`\r${progressBar(done, total)}`));
  }

  end(): void {
    if (this.#drawn) Deno.stderr.writeSync(this.#encoder.encode("\n"));
  }
}

/**
 * `kafclaw approvals`: the owner's answers to pending tool approvals, for every agent of this
 * home: its own, and those of the other agents of agents.list, each in its own home's timeline
 * (a gateway runs them all), named by their id.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig, paths, swarmAgents } from "../core/config/mod.ts";
import type { Approval } from "../core/timeline/mod.ts";
import { wire } from "../core/wire/mod.ts";
import {
  answerRefusal,
  approvalArguments,
  Timeline,
  WAITER_STALE_MS,
} from "../core/timeline/mod.ts";

/** How much of a call's arguments `approvals list` shows before it says where to read the rest. */
const LIST_ARGUMENT_CHARS = 500;
import { CliError, UsageError } from "./_errors.ts";
import { commandName, hint } from "./_hint.ts";
import type { CliContext } from "./_context.ts";

/** A timeline of one of this home's agents; `agent` names it when it is not the home's own. */
interface AgentTimeline {
  readonly agent: string | undefined;
  readonly timeline: Timeline;
}

/** The timelines of this home's agents, its own first: close them with {@link closeAll}. */
async function openAll(ctx: CliContext): Promise<AgentTimeline[]> {
  const config = await loadConfig({ env: ctx.env() });
  const all: AgentTimeline[] = [{
    agent: undefined,
    timeline: Timeline.open(paths(config).timeline),
  }];
  for (const other of swarmAgents(config).filter((a) => !a.lead)) {
    // An agent that never ran has no requests, and is given no database here.
    const file = paths(other.config).timeline;
    if (await Deno.stat(file).then(() => true, () => false)) {
      all.push({ agent: other.id, timeline: Timeline.open(file) });
    }
  }
  return all;
}

function closeAll(all: readonly AgentTimeline[]): void {
  for (const { timeline } of all) timeline.close();
}

/** The timeline that holds request `id`, else the home's own. */
function holding(all: readonly AgentTimeline[], id: string): AgentTimeline {
  return all.find(({ timeline }) => timeline.approvals.get(id) !== undefined) ?? all[0]!;
}

/** ` (agent <id>)` for a request of another agent of the home. */
const whose = (agent: string | undefined) => agent === undefined ? "" : ` (agent ${agent})`;

function answer(ctx: CliContext, id: string, approved: boolean): Promise<void> {
  return openAll(ctx).then((all) => {
    const { timeline, agent } = holding(all, id);
    try {
      const r = timeline.approvals.resolve(id, {
        status: approved ? "approved" : "denied",
        responder: "cli",
      }, { staleMs: WAITER_STALE_MS });
      if (!r.ok) {
        throw r.reason === "unknown"
          ? new UsageError(
            `No approval request ${id} (${
              hint(ctx.env(), "approvals list")
            } shows the pending ones)`,
          )
          : new CliError(answerRefusal(id, r.reason));
      }
      ctx.io.out(
        `${approved ? "Approved" : "Denied"} ${id}: ${r.approval.tool} (tier ${r.approval.tier})` +
          whose(agent),
      );
    } finally {
      closeAll(all);
    }
  });
}

/** `kafclaw approvals list|approve|deny`: the owner's answers to pending tool approvals. */
export function approvalsCommand(ctx: CliContext): Command {
  const approvals = new Command("approvals")
    .description("list pending tool approvals and answer them");
  approvals.command("list")
    .description("list the pending approval requests")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const all = await openAll(ctx);
      try {
        const pending: (Approval & { agent?: string })[] = all.flatMap(({ agent, timeline }) =>
          timeline.approvals.pending().map((a) => agent === undefined ? a : { ...a, agent })
        );
        if (opts.json) return ctx.io.out(JSON.stringify(pending.map(wire), null, 2));
        if (pending.length === 0) return ctx.io.out("No pending approvals");
        const command = commandName(ctx.env());
        for (const a of pending) {
          ctx.io.out(
            `${a.approvalId}  ${a.tool} (tier ${a.tier})  from ${a.requester}${
              whose(a.agent)
            }  until ` +
              `${a.expiresAt.toISOString()}\n    ${
                approvalArguments(a, LIST_ARGUMENT_CHARS, { command })
              }`,
          );
        }
      } finally {
        closeAll(all);
      }
    });
  approvals.command("show")
    .description("show one request whole: every argument of the call, exactly")
    .argument("<id>")
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const all = await openAll(ctx);
      try {
        const { agent, timeline } = holding(all, id);
        const a = timeline.approvals.get(id);
        if (!a) {
          throw new UsageError(
            `No approval request ${id} (${hint(ctx.env(), "approvals list")} shows them)`,
          );
        }
        if (opts.json) {
          return ctx.io.out(
            JSON.stringify(wire(agent === undefined ? a : { ...a, agent }), null, 2),
          );
        }
        ctx.io.out(
          `${a.approvalId}  ${a.tool} (tier ${a.tier})  ${a.status}${whose(agent)}\n` +
            `  asked for by ${a.requester} on ${a.channel}, ${a.createdAt.toISOString()}` +
            `, until ${a.expiresAt.toISOString()}\n` +
            `  arguments (${JSON.stringify(a.arguments).length} characters):\n` +
            `${JSON.stringify(a.arguments, null, 2)}`,
        );
      } finally {
        closeAll(all);
      }
    });
  approvals.command("approve").description("allow a pending call").argument("<id>")
    .action((id: string) => answer(ctx, id, true));
  approvals.command("deny").description("refuse a pending call").argument("<id>")
    .action((id: string) => answer(ctx, id, false));
  return approvals;
}

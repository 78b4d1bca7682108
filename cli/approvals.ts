import { Command } from "commander";
import { loadConfig, paths } from "../core/config/mod.ts";
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

async function open(ctx: CliContext): Promise<Timeline> {
  return Timeline.open(paths(await loadConfig({ env: ctx.env() })).timeline);
}

function answer(ctx: CliContext, id: string, approved: boolean): Promise<void> {
  return open(ctx).then((timeline) => {
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
        `${approved ? "Approved" : "Denied"} ${id}: ${r.approval.tool} (tier ${r.approval.tier})`,
      );
    } finally {
      timeline.close();
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
      const timeline = await open(ctx);
      try {
        const pending = timeline.approvals.pending();
        if (opts.json) return ctx.io.out(JSON.stringify(pending, null, 2));
        if (pending.length === 0) return ctx.io.out("No pending approvals");
        const command = commandName(ctx.env());
        for (const a of pending) {
          ctx.io.out(
            `${a.approvalId}  ${a.tool} (tier ${a.tier})  from ${a.requester}  until ` +
              `${a.expiresAt.toISOString()}\n    ${
                approvalArguments(a, LIST_ARGUMENT_CHARS, { command })
              }`,
          );
        }
      } finally {
        timeline.close();
      }
    });
  approvals.command("show")
    .description("show one request whole: every argument of the call, exactly")
    .argument("<id>")
    .option("--json", "print as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const timeline = await open(ctx);
      try {
        const a = timeline.approvals.get(id);
        if (!a) {
          throw new UsageError(
            `No approval request ${id} (${hint(ctx.env(), "approvals list")} shows them)`,
          );
        }
        if (opts.json) return ctx.io.out(JSON.stringify(a, null, 2));
        ctx.io.out(
          `${a.approvalId}  ${a.tool} (tier ${a.tier})  ${a.status}\n` +
            `  asked for by ${a.requester} on ${a.channel}, ${a.createdAt.toISOString()}` +
            `, until ${a.expiresAt.toISOString()}\n` +
            `  arguments (${JSON.stringify(a.arguments).length} characters):\n` +
            `${JSON.stringify(a.arguments, null, 2)}`,
        );
      } finally {
        timeline.close();
      }
    });
  approvals.command("approve").description("allow a pending call").argument("<id>")
    .action((id: string) => answer(ctx, id, true));
  approvals.command("deny").description("refuse a pending call").argument("<id>")
    .action((id: string) => answer(ctx, id, false));
  return approvals;
}

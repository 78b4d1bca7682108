/**
 * `kafclaw group join` in the foreground: the agent is a member (announce, heartbeats, the roster
 * in SQLite, and, on the owner's machine, a sponsor of newcomers) until SIGINT or SIGTERM; then
 * it sends its signed `leave` and stops, within a bounded time. A signal while it still joins
 * (Kafka retried, a sponsor awaited) stops it at once (cli/_starting.ts).
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../core/config/mod.ts";
import { GroupAudit, joinGroup, LEAVE_TIMEOUT_MS, type Membership } from "../core/group/mod.ts";
import type { Subscription, Transport } from "../core/transport/mod.ts";
import { Cancelled, failure, Terminated, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";
import { kafkaErrorText } from "./_errors.ts";
import { STOP_SIGNALS, type StopSignal, unlessStopped } from "./_starting.ts";

/** How long a join stopped midway may take to end, leaving the group if it joined. */
const START_GRACE_MS = 2_000;

/** Errors of the join the user fixes (config, the invite): a usage error, exit 2. */
const USER_ERRORS = new Set(["GroupSetupError", "OnboardRejected"]);

/** Runs the membership until a stop signal; see the module documentation. */
export async function runMember(
  ctx: CliContext,
  config: ResolvedConfig,
  agentId: string,
  transport: Transport,
  options: {
    readonly json: boolean;
    /** A gated group's invite, for a newcomer (`--invite`). */
    readonly invite?: string;
    /** Told once the agent is a member (config then remembers it). */
    readonly joined?: () => Promise<void>;
  },
): Promise<void> {
  const group = config.group.name;
  const { Timeline } = await import("../core/timeline/mod.ts");
  const timeline = Timeline.open(paths(config).timeline);
  // A join stopped midway may still be at work (its roster read) until the process ends: the
  // timeline stays open for it.
  let joinLeftRunning = false;
  const stop = Promise.withResolvers<string>();
  const signalled = Promise.withResolvers<StopSignal>();
  const listeners = STOP_SIGNALS.map((signal) =>
    [signal, () => {
      signalled.resolve(signal);
      stop.resolve(signal);
    }] as const
  );
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  let membership: Membership;
  let sponsor: Subscription | undefined;
  // Records the membership drops, and each newcomer the sponsor (on the owner's machine)
  // refuses, go on the group's audit topic; those of the join itself wait for it to open.
  const audit = new GroupAudit({
    agentId,
    group,
    warn: (message) => ctx.io.err(`kafclaw: ${message}`),
  });
  try {
    try {
      const joining = joinGroup(config, {
        agentId,
        transport,
        timeline,
        load: () => ({ running: 0, capacity: 0 }),
        ...(options.invite === undefined ? {} : { invite: options.invite }),
        onDropped: audit.dropped,
        onRejected: audit.rejected,
        // A heartbeat that cannot be sent, or the leave.
        warn: (line) => ctx.io.err(`kafclaw: ${line}`),
        onRevoked: (line) => {
          ctx.io.err(`kafclaw: ${line}; it leaves the group`);
          stop.resolve("revoked");
        },
        onAsking: (line) => ctx.io.err(`kafclaw: ${line}`),
      });
      // A stop signal while it joins (Kafka retried, a sponsor awaited) ends it at once.
      ({ membership, sponsor } = await unlessStopped(joining, signalled.promise, {
        doing: `joining group "${group}"`,
        close: (joined) =>
          Promise.all([joined.membership.leave(LEAVE_TIMEOUT_MS), joined.sponsor?.close()]),
        graceMs: START_GRACE_MS,
      }));
      const member = membership;
      audit.open((records) => member.send(records));
    } catch (error) {
      if (error instanceof Cancelled || error instanceof Terminated) {
        joinLeftRunning = true;
        throw error;
      }
      const message = kafkaErrorText(error);
      throw USER_ERRORS.has((error as Error).name)
        ? new UsageError(message)
        : failure(error, message);
    }
    await options.joined?.();
    if (membership.security === "open") {
      ctx.io.err(
        `kafclaw: WARNING: group "${group}" runs in open mode: records are not signed, and anyone ` +
          "who can write to its topics can speak as any agent",
      );
    }
    const count = membership.members().length;
    ctx.io.out(
      options.json
        ? JSON.stringify({ event: "joined", group, agent_id: agentId, members: count })
        : `in group "${group}" as "${agentId}" (${count} member(s)${
          sponsor ? ", sponsoring newcomers" : ""
        }); Ctrl-C leaves`,
    );
    const signal = await stop.promise;
    const started = Date.now();
    const told = await membership.leave(LEAVE_TIMEOUT_MS);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      sponsor?.close(),
      new Promise((resolve) => timer = setTimeout(resolve, LEAVE_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
    const ms = Date.now() - started;
    ctx.io.out(
      options.json
        ? JSON.stringify({ event: "left", group, agent_id: agentId, signal, ms, told })
        : told
        ? `left group "${group}" (${signal}, ${ms} ms)`
        : `stopped (${signal}, ${ms} ms); group "${group}" was not told that "${agentId}" left`,
    );
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    if (!joinLeftRunning) timeline.close();
  }
}

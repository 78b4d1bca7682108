/**
 * `kafclaw gateway`: the agent as a long-lived process (core/gateway) until SIGINT or SIGTERM,
 * then a stop within a bounded time that leaves the group. Configured by config.json and the
 * environment alone (KAFCLAW_GROUP_ENABLED, KAFCLAW_GROUP_NAME, KAFCLAW_GROUP_KAFKA_BROKERS,
 * KAFCLAW_GROUP_AGENT_ID, KAFCLAW_GROUP_SECURITY, KAFCLAW_GROUP_OWNER_PUBLIC_KEY, ...). It
 * follows config.json for group.skills while it runs (`kafclaw group skills add`), without a
 * restart (_gateway_reload.ts).
 *
 * @module
 */
import { Command, InvalidArgumentError } from "commander";
import { type Mode, MODES, type ResolvedConfig, withModeHost } from "../core/config/mod.ts";
import type { JobRunReport } from "../core/scheduler/mod.ts";
import { wire } from "../core/wire/mod.ts";
import type { ChannelHost } from "../channels/mod.ts";
import { runLine } from "./cron.ts";
import { cliRuntime } from "./_runtime.ts";
import { noticeAsker, oneAtATime, terminalAsker } from "./_approve.ts";
import { apiOwner } from "../web/mod.ts";
import { followSkills } from "./_gateway_reload.ts";
import { openFrontDoor } from "./_front_door.ts";
import { openDashboard } from "./_open.ts";
import { Cancelled, CliError, kafkaErrorText, Terminated, UsageError } from "./_errors.ts";
import { kafkaNews } from "./_kafka_line.ts";
import { holdsWholeNetwork } from "../core/permissions/mod.ts";
import type { CliContext } from "./_context.ts";
import { trustedConfig } from "./_trusted_config.ts";
import { STOP_SIGNALS, type StopSignal, unlessStopped } from "./_starting.ts";

/** How long a gateway stopped while it starts may take to end, leaving the group if it joined. */
const START_GRACE_MS = 2_000;

/** Errors of core that a user fixes in config or in the group, not bugs: one line, exit 1. */
const GROUP_ERRORS = new Set([
  "AgentRunsError",
  "GroupTopicsError",
  "KafkaSettingsError",
  "OnboardRejected",
  "SponsorSilent",
  "TopicConfigError",
]);

/** `kafclaw gateway`: run the agent until stopped. */
export function gatewayCommand(ctx: CliContext): Command {
  return new Command("gateway")
    .description(
      "run the agent as a long-lived process: group membership and tasks, the chat channels, " +
        "the scheduler, the delivery worker; Ctrl-C or SIGTERM stops it, leaving the group",
    )
    .option("--mode <mode>", `${MODES.join(", ")} (default: decided from config)`, mode)
    .option("--json", "print what happens as JSON lines")
    .option(
      "--open",
      "open the dashboard in the browser, logged in (a one-time code, not the token)",
    )
    .action(async (opts: { mode?: Mode; json?: boolean; open?: boolean }) => {
      const config = withModeHost(await trustedConfig(ctx), opts.mode);
      const { Swarm } = await import("../core/gateway/mod.ts");
      const say = (line: string) => ctx.io.err(`kafclaw: ${line}`);
      const channels = await hostChannels(config, say);
      const stop = Promise.withResolvers<StopSignal>();
      const startedAt = Date.now();
      const listeners = STOP_SIGNALS.map((s) => [s, () => stop.resolve(s)] as const);
      for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
      try {
        let swarm;
        let up = false;
        const turns = oneAtATime();
        try {
          const starting = Swarm.start(config, {
            ...(opts.mode === undefined ? {} : { mode: opts.mode }),
            // With chat channels, approvals go to the owners' chats. Otherwise the agents of
            // agents.list ask on one terminal, in turn, each naming itself; without a terminal the
            // owner answers through the API (or `kafclaw approvals`): a request waits for that
            // answer instead of being denied for want of an owner.
            createRuntime: (c) => {
              if (channels) {
                return cliRuntime(ctx, c, {
                  sendToOwner: channels.sendToOwner,
                  chats: channels.chats,
                });
              }
              const askOwner = terminalAsker({
                io: ctx.io,
                prompter: ctx.prompter,
                interactive: Deno.stdin.isTerminal(),
                command: config.command,
                agent: config.agents.list.length > 0 ? c.group.agentId : undefined,
                turns,
              });
              return cliRuntime(ctx, c, {
                askOwner: askOwner ?? noticeAsker({
                  say,
                  command: config.command,
                  agent: config.agents.list.length > 0 ? c.group.agentId : undefined,
                  wait: apiOwner,
                }),
              });
            },
            say,
            onKafka: (change) => say(kafkaNews(change, config.command)),
            ...(channels ? { deliver: channels.deliver } : {}),
            onRun: (report) => {
              // With --json every line of stdout is an event: a run, as the API answers it.
              ctx.io.out(
                opts.json ? JSON.stringify({ event: "job_run", ...wire(report) }) : runLine(report),
              );
              if (channels) jobToOwners(channels, report).catch((e) => say(e.message));
            },
            // A rebalance of a work group is news to an operator; the first join is not, nor
            // those of the start, when the agents of agents.list join the same groups in turn.
            onJoin: (groupId, joins) => {
              if (joins === 1 || !up) return;
              ctx.io.out(
                opts.json
                  ? JSON.stringify({ event: "rebalanced", group_id: groupId, joins })
                  : `consumer group ${groupId} rebalanced (join ${joins})`,
              );
            },
          });
          // A stop signal while it starts (Kafka retried, a sponsor awaited) ends it at once.
          swarm = await unlessStopped(starting, stop.promise, {
            doing: "starting the gateway",
            close: (started) => started.stop(),
            graceMs: START_GRACE_MS,
          });
        } catch (error) {
          const name = (error as Error).name;
          if (name === "GroupSetupError") throw new UsageError((error as Error).message);
          if (GROUP_ERRORS.has(name)) throw new CliError((error as Error).message);
          // Kafka out of reach is said as every command says it (cli/mod.ts).
          if (name === "KafkaUnreachableError") throw error;
          if (name?.startsWith("KafkaJS")) {
            throw new CliError(`Cannot start the gateway: ${kafkaErrorText(error)}`);
          }
          throw error;
        }
        up = true;
        const gateway = swarm.lead;
        const { agentId, group } = gateway;
        const agents = swarm.gateways.map((g) => g.agentId);
        const members = gateway.membership.members().length;
        if (gateway.membership.security === "open" && gateway.kafka) {
          say(
            `WARNING: group "${group}" runs in open mode: records are not signed, and anyone ` +
              "who can write to its topics can speak as any agent",
          );
        }
        if (gateway.mode === "headless" && holdsWholeNetwork()) {
          say(
            "WARNING: this headless gateway may reach any host: only the launcher " +
              "(scripts/kafclaw, deno task run-headless) narrows its network to its ports, the " +
              "brokers and the LLM and channel hosts; a compiled binary cannot (README, Permissions)",
          );
        }
        // The chat channels speak for the lead agent. Their start asks the chat services (a Bot
        // API out of reach is waited for): a stop signal meanwhile ends it, leaving the group.
        try {
          if (channels) {
            await unlessStopped(channels.start(gateway.runtime), stop.promise, {
              doing: "starting the chat channels",
              close: () => channels.stop(),
              graceMs: START_GRACE_MS,
            });
          }
        } catch (error) {
          await swarm.stop();
          if (error instanceof Cancelled || error instanceof Terminated) throw error;
          throw new CliError((error as Error).message);
        }
        const door = await openFrontDoor(config, swarm, startedAt, {
          warn: say,
          ...(channels ? { channels: () => channels.status() } : {}),
        }).catch(
          async (error) => {
            await channels?.stop();
            await swarm.stop();
            throw error;
          },
        );
        ctx.io.out(
          opts.json
            ? JSON.stringify({
              event: "started",
              mode: gateway.mode,
              group,
              agent_id: agentId,
              agents,
              kafka: gateway.kafka,
              members,
              sponsoring: gateway.sponsoring,
              skills: gateway.tasks.skills.offered(),
              host: door.host,
              port: door.port,
              dashboard_port: door.dashboardPort,
            })
            : `gateway running (${gateway.mode}) as ${
              agents.map((id) => `"${id}"`).join(", ")
            } in group "${group}" ` +
              `${gateway.kafka ? "over Kafka" : "in this process"}, ${members} member(s)` +
              `${gateway.sponsoring ? ", sponsoring newcomers" : ""}; API on ` +
              `${door.host}:${door.port}, dashboard on ${door.dashboardPort}; Ctrl-C stops`,
        );
        if (opts.open) openDashboard(door, say);
        const following = followSkills(config, {
          env: ctx.env,
          offer: (next) => swarm.offerSkills(next),
          say,
        });
        const signal = await stop.promise;
        following[Symbol.dispose]();
        const started = Date.now();
        await door.close();
        await channels?.stop();
        const late = await swarm.stop();
        const ms = Date.now() - started;
        // Those whose leave could not be sent (a line said so): the others take them for gone later.
        const untold = swarm.gateways.filter((g) => !g.told).map((g) => g.agentId);
        const left = untold.length === 0
          ? `left group "${group}"`
          : `group "${group}" was not told that ${untold.map((id) => `"${id}"`).join(", ")} left`;
        ctx.io.out(
          opts.json
            ? JSON.stringify({
              event: "stopped",
              signal,
              ms,
              late,
              group,
              agent_id: agentId,
              untold,
            })
            : `gateway stopped (${signal}, ${ms} ms)${
              late.length ? `; did not end in time: ${late.join(", ")}` : ""
            }; ${left}`,
        );
      } finally {
        for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
      }
    });
}

/** The chat channels config enables, or undefined when none is (their code is then not loaded). */
async function hostChannels(config: ResolvedConfig, say: (line: string) => void) {
  if (!Object.values(config.channels).some((c) => c.enabled)) return undefined;
  const { ChannelHost } = await import("../channels/mod.ts");
  try {
    return await ChannelHost.fromConfig(config, { warn: say });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A scheduled run's result, or its failure, to the owners on their chat channels. */
function jobToOwners(channels: ChannelHost, report: JobRunReport): Promise<number> {
  if (report.status === "cancelled" || !report.recorded) return Promise.resolve(0);
  const text = report.answer !== undefined
    ? `[${report.job}] ${report.answer}`
    : `[${report.job}] failed: ${report.error ?? report.status}`;
  const at = (report.slot ?? report.startedAt).toISOString();
  return channels.notifyOwners(`cron:${report.job}:${at}`, text);
}

function mode(value: string): Mode {
  if (!(MODES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`one of ${MODES.join(", ")}`);
  }
  return value as Mode;
}

/**
 * `kafclaw status`: the mode, agent, group health and uptime of this KAFCLAW_HOME's gateway, from
 * the running gateway's API (with the home's token) when one runs here, else what the config says,
 * with `running: false`.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig, type ResolvedConfig, resolveMode, swarmAgents } from "../core/config/mod.ts";
import { VERSION } from "../core/version.ts";
import type { GatewayStatus } from "../web/mod.ts";
import type { CliContext } from "./_context.ts";
import { callGateway, type GatewayAnswer, type HomeGateway, homeGateway } from "./_home_gateway.ts";

/** What `kafclaw status --json` prints. */
type Status =
  | (GatewayStatus & { readonly running: true; readonly pid: number; readonly api: string })
  | {
    readonly running: false;
    readonly version: string;
    readonly mode: string;
    readonly agent_id: string;
    readonly group: { readonly enabled: boolean; readonly name: string };
    readonly orchestrator: { readonly enabled: boolean };
    /** The agents of agents.list a gateway would run here, the lead first (none: the one agent). */
    readonly agents: readonly { readonly agent_id: string; readonly lead: boolean }[];
    /** Why the mode cannot run as configured, or why a gateway that seems to run did not answer. */
    readonly problem?: string;
    /** A gateway that runs here but could not be asked (no token for it, or a refused one). */
    readonly unasked?: { readonly pid: number; readonly api: string };
  };

/** `kafclaw status`: show the mode, the agent, the group's health and the uptime. */
export function statusCommand(ctx: CliContext): Command {
  return new Command("status")
    .description(
      "show the mode, the agent, the group's health and the uptime of this home's gateway " +
        "(what the config says when none runs)",
    )
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const config = await loadConfig({ env: ctx.env() });
      const status = await statusOf(config);
      ctx.io.out(opts.json ? JSON.stringify(status) : text(status));
    });
}

async function statusOf(config: ResolvedConfig): Promise<Status> {
  const gateway = await homeGateway(config);
  let problem: string | undefined;
  let unasked: { pid: number; api: string } | undefined;
  if (gateway !== undefined) {
    const asked = await ask(gateway);
    if (asked.kind === "status") return asked.status;
    problem = asked.problem;
    if (asked.kind === "refused") unasked = { pid: gateway.pid, api: gateway.api };
  }
  const decided = resolveMode(config);
  problem ??= decided.ok ? undefined : decided.error;
  return {
    running: false,
    version: VERSION,
    mode: decided.mode,
    agent_id: config.group.enabled
      ? config.group.agentId ?? "(group.agentId not set)"
      : listed(config)[0]?.agent_id ?? config.group.agentId ?? "local",
    group: { enabled: config.group.enabled, name: config.group.name },
    orchestrator: { enabled: decided.mode === "full" || decided.mode === "headless" },
    agents: listed(config),
    ...(problem === undefined ? {} : { problem }),
    ...(unasked === undefined ? {} : { unasked }),
  };
}

/**
 * The running gateway's status, or why it could not be had (`refused`: it runs, unasked; `odd`:
 * it answered something else than its status).
 */
type Asked =
  | { readonly kind: "status"; readonly status: Status }
  | Exclude<GatewayAnswer, { readonly kind: "answer" }>
  | { readonly kind: "odd"; readonly problem: string };

/** Asks the running gateway for its status ({@link Asked}). */
async function ask(gateway: HomeGateway): Promise<Asked> {
  const answer = await callGateway(gateway, "/api/v1/status");
  if (answer.kind !== "answer") return answer;
  if (answer.status !== 200 || answer.body === undefined) {
    return { kind: "odd", problem: `the gateway at ${gateway.api} answered ${answer.status}` };
  }
  const { pid, api } = gateway;
  return {
    kind: "status",
    status: { running: true, pid, api, ...answer.body as GatewayStatus },
  };
}

/** agents.list as a gateway runs it, the lead first. */
function listed(config: ResolvedConfig): { agent_id: string; lead: boolean }[] {
  return swarmAgents(config).map((a) => ({ agent_id: a.id, lead: a.lead }));
}

function text(s: Status): string {
  const lines: [string, string][] = [];
  if (s.running) {
    lines.push(["gateway", `running (pid ${s.pid}) at ${s.api}, up ${uptime(s.uptime_seconds)}`]);
    lines.push(["mode", s.mode], ["agent", s.agent_id]);
    const g = s.group;
    lines.push([
      "group",
      `${g.name}: ${
        g.health === "local"
          ? "in this process (no Kafka)"
          : g.health === "left"
          ? "left (not a member until it joins again)"
          : `${g.health}, ${g.live} of ${g.members} members live`
      }`,
    ]);
    const o = s.orchestrator;
    lines.push([
      "orchestrator",
      o.active
        ? `active${o.role ? ` as ${o.role}, ${o.nodes ?? 0} node(s) known` : ""}`
        : `not active${o.reason ? ` (${o.reason})` : ""}`,
    ]);
    // Several agents (agents.list): one line each.
    for (const a of s.agents?.length > 1 ? s.agents : []) {
      lines.push([
        a.lead ? "agents" : "",
        `${a.agent_id}${a.lead ? " (lead)" : ""}: ${a.model}, ${a.status}, ` +
        `${a.tasks.running}/${a.tasks.capacity} tasks, skills ${a.skills.join(",") || "-"}, ` +
        `workspace ${a.workspace}`,
      ]);
    }
  } else {
    lines.push([
      "gateway",
      s.unasked === undefined
        ? "not running"
        : `running (pid ${s.unasked.pid}) at ${s.unasked.api}, not asked (see problem)`,
    ], ["mode", `${s.mode} (from config)`]);
    lines.push(["agent", s.agent_id]);
    lines.push([
      "group",
      s.group.enabled ? `${s.group.name} over Kafka` : `${s.group.name} in this process`,
    ]);
    lines.push(["orchestrator", s.orchestrator.enabled ? "enabled" : "off"]);
    if (s.agents.length > 1) {
      lines.push([
        "agents",
        s.agents.map((a) => `${a.agent_id}${a.lead ? " (lead)" : ""}`).join(", "),
      ]);
    }
    if (s.problem !== undefined) lines.push(["problem", s.problem]);
  }
  lines.push(["version", s.version]);
  return lines.map(([k, v]) => `${k.padEnd(13)}${v}`).join("\n");
}

function uptime(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor(seconds / 60) % 60} min`;
}

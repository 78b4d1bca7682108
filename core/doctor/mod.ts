/**
 * `kafclaw doctor`: checks of the installation, each with what it found and, when something is
 * wrong, what to do. This build checks the configuration, KAFCLAW_HOME's permissions, the LLM
 * provider (of the default agent), the policy (sensitivity routes that can be reached, budgets
 * that can see what models cost), the mode, the sandbox, the stdio MCP servers (mcp.ts), and
 * what is stored (free space, the database's integrity, session files: storage.ts); later steps
 * add the Kafka group checks. A check that cannot run (a full disk) is a failed check, never a
 * crash.
 *
 * @module
 */
import {
  checkConfigTrust,
  ConfigError,
  loadConfig,
  paths,
  type ResolvedConfig,
  resolveHome,
  resolveMode,
  UntrustedConfigError,
} from "../config/mod.ts";
import { agentProfile } from "../agent/mod.ts";
import { unreachableRoutes } from "../agent/mod.ts";
import { costOf } from "../policy/mod.ts";
import { createChatProvider, ProviderNotConfiguredError } from "../provider/mod.ts";
import {
  addressSpaceBytes,
  DEFAULT_SANDBOX_LIMITS,
  memoryBound,
  probeSandbox,
  type SandboxProbe,
} from "../tools/sandbox/mod.ts";
import { diskFullError, showBytes } from "../timeline/mod.ts";
import { databaseCheck, diskCheck, sessionsCheck } from "./storage.ts";
import { mcpChecks, type McpWrapperFactory } from "./mcp.ts";
import { workspaceSecretsCheck } from "./workspace_secrets.ts";

/** How a check came out. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One check's outcome. */
export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly hint?: string;
}

/** Ports of the doctor, replaceable in tests. */
export interface DoctorDeps {
  readonly env: Readonly<Record<string, string>>;
  readonly probe?: (scratchDir: string) => Promise<SandboxProbe>;
  /** Prepares the wrapper of sandboxed MCP servers (default: bubblewrap's). */
  readonly mcpWrapper?: McpWrapperFactory;
}

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).mode! & 0o777;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function homeChecks(config: ResolvedConfig): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const home = await modeOf(config.home);
  if (home === undefined) {
    out.push({
      check: "home",
      status: "warn",
      detail: `${config.home} does not exist yet`,
      hint: `run ${config.command} onboard`,
    });
  } else if (home & 0o077) {
    out.push({
      check: "home",
      status: "fail",
      detail: `${config.home} is readable by others (mode ${home.toString(8)})`,
      hint: `chmod 700 ${config.home}`,
    });
  } else {
    out.push({ check: "home", status: "ok", detail: `${config.home} (mode ${home.toString(8)})` });
  }
  const file = await modeOf(paths(config).config);
  try {
    await checkConfigTrust(paths(config).config);
  } catch (error) {
    if (!(error instanceof UntrustedConfigError)) throw error;
    // Others could have written it: agent and cron refuse it.
    out.push({ check: "config file", status: "fail", detail: error.problem, hint: error.fix });
    return out;
  }
  if (file !== undefined && file & 0o077) {
    out.push({
      check: "config file",
      status: "fail",
      detail: `${paths(config).config} is readable by others (mode ${
        file.toString(8)
      }); it may hold keys`,
      hint: `chmod 600 ${paths(config).config}`,
    });
  }
  return out;
}

/** The default agent's models, in the order they are tried. */
function modelChain(config: ResolvedConfig): string[] {
  const profile = agentProfile(config);
  return createChatProvider(config, { model: profile.model, fallbacks: profile.fallbacks })
    .chain.map((e) => `${e.provider}/${e.model}`);
}

function providerCheck(config: ResolvedConfig): CheckResult {
  try {
    const id = agentProfile(config).id;
    const chain = modelChain(config).join(", then ");
    return {
      check: "provider",
      status: "ok",
      detail: id === undefined ? `models: ${chain}` : `agent ${id}: models: ${chain}`,
    };
  } catch (error) {
    if (!(error instanceof ProviderNotConfiguredError)) throw error;
    return {
      check: "provider",
      status: "fail",
      detail: error.message,
      hint: `run ${config.command} onboard`,
    };
  }
}

function policyCheck(config: ResolvedConfig): CheckResult {
  const p = config.policy;
  const unreachable = unreachableRoutes(config).map((r) =>
    `rule ${JSON.stringify(r.rule)} routes to ${r.routeTo}: ${r.error.message}`
  );
  if (unreachable.length > 0) {
    return {
      check: "policy",
      status: "fail",
      detail: `${unreachable.join("; ")} (the agent refuses to start)`,
      hint: "configure that provider, or change the rule's routeTo in policy.sensitivity",
    };
  }
  const budgeted = p.dailyBudgetUsd > 0 || p.monthlyBudgetUsd > 0;
  let models: string[] = [];
  try {
    models = modelChain(config);
  } catch {
    // The provider check reports it.
  }
  const unpriced = models.filter((model) =>
    !costOf({ model, promptTokens: 1, completionTokens: 1 }, p.prices).priced
  );
  if (budgeted && unpriced.length > 0) {
    return {
      check: "policy",
      status: "warn",
      detail: `a budget is set but ${unpriced.join(", ")} ${
        unpriced.length === 1 ? "has" : "have"
      } no price in policy.prices, so ${
        unpriced.length === 1 ? "its" : "their"
      } calls cost 0 and the budget never stops them`,
      hint: `add prices: ${config.command} config set policy.prices ` +
        `'{"provider/model": {"promptPer1k": …, "completionPer1k": …}}'`,
    };
  }
  const rules = p.sensitivity.length;
  return {
    check: "policy",
    status: "ok",
    detail: `${rules} sensitivity rule${rules === 1 ? "" : "s"}; ${
      budgeted ? "budgets priced" : "no budget"
    }; owners: ${p.owners.length ? p.owners.join(", ") : "the terminal only"}`,
  };
}

function modeCheck(config: ResolvedConfig): CheckResult {
  const mode = resolveMode(config);
  return mode.ok
    ? { check: "mode", status: "ok", detail: `${mode.mode}: ${mode.reason}` }
    : { check: "mode", status: "fail", detail: mode.error };
}

/**
 * Which memory limit applies to a command. No cgroup is used, so it is the process limit times
 * each process's address space (see core/tools/sandbox/options.ts), plus /tmp and /dev/shm.
 */
function memoryLimit(config: ResolvedConfig): string {
  const { memoryBytes, processes } = config.tools.exec;
  const limits = { ...DEFAULT_SANDBOX_LIMITS, memoryBytes, processes };
  return `memory: a command holds at most ${showBytes(memoryBound(limits))} in all ` +
    `(${processes} processes and threads x ${showBytes(addressSpaceBytes(limits))} of address ` +
    "space each, plus /tmp and /dev/shm; per-process limits, no cgroup; memfd and System V " +
    "shared memory refused)";
}

async function sandboxCheck(config: ResolvedConfig, deps: DoctorDeps): Promise<CheckResult> {
  const run = `${config.home}/run`;
  await Deno.mkdir(run, { recursive: true, mode: 0o700 });
  const probe = await (deps.probe ?? ((dir) => probeSandbox({ scratchDir: dir })))(run);
  if (probe.available) {
    return { check: "sandbox", status: "ok", detail: `${probe.reason}; ${memoryLimit(config)}` };
  }
  const unsandboxed = config.tools.exec.unsandboxed;
  return {
    check: "sandbox",
    status: "warn",
    detail: `${probe.reason}; exec is ${
      unsandboxed ? "unsandboxed, with approval for every command" : "off"
    }`,
    ...(probe.hint ? { hint: probe.hint } : {}),
  };
}

/** Runs every check. A configuration that does not load is itself the one failed check. */
export async function runDoctor(deps: DoctorDeps): Promise<CheckResult[]> {
  let config: ResolvedConfig;
  try {
    resolveHome(deps.env);
    config = await loadConfig({ env: deps.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ check: "config", status: "fail", detail: error.message }];
  }
  const results: CheckResult[] = [];
  // Each check runs even when another could not: one that throws is a failed check.
  const check = async (
    name: string,
    run: () => CheckResult | CheckResult[] | Promise<CheckResult | CheckResult[]>,
  ) => {
    try {
      results.push(...[await run()].flat());
    } catch (error) {
      const reason = (diskFullError(error, config.home) ?? error as Error).message;
      results.push({ check: name, status: "fail", detail: `cannot check: ${reason}` });
    }
  };
  await check("config", async () => {
    const hasFile = (await modeOf(paths(config).config)) !== undefined;
    return {
      check: "config",
      status: config.warnings.length ? "warn" : "ok",
      detail: config.warnings.length
        ? config.warnings.join("; ")
        : hasFile
        ? `${paths(config).config} loads`
        : "no config file yet: defaults and environment",
    };
  });
  await check("home", () => homeChecks(config));
  await check("provider", () => providerCheck(config));
  await check("policy", () => policyCheck(config));
  await check("mode", () => modeCheck(config));
  await check("sandbox", () => sandboxCheck(config, deps));
  await check("mcp", () => mcpChecks(config, deps.mcpWrapper));
  await check("disk", () => diskCheck(config));
  await check("database", () => databaseCheck(config));
  await check("sessions", () => sessionsCheck(config));
  await check("workspace secrets", () => workspaceSecretsCheck(config));
  return results;
}

/** The report as text, one check a line, hints indented below. */
export function formatDoctor(results: readonly CheckResult[]): string {
  const lines = results.flatMap((r) => [
    `${r.status.padEnd(4)}  ${r.check.padEnd(11)}  ${r.detail}`,
    ...(r.hint ? [`      ${"".padEnd(11)}  → ${r.hint}`] : []),
  ]);
  const failed = results.filter((r) => r.status === "fail").length;
  lines.push(failed ? `${failed} check(s) failed` : "no check failed");
  return lines.join("\n");
}

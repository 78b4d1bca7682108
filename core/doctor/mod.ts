/**
 * `kafclaw doctor`: checks of the installation, each with what it found and, when something is
 * wrong, what to do. This build checks the configuration, KAFCLAW_HOME (there, private, writable:
 * home.ts), the LLM provider of the default agent and a call to each of its models and to the
 * embedding model (provider.ts), the policy (sensitivity routes that can be reached, budgets
 * that can see what models cost), the mode, the sandbox, the stdio MCP servers (mcp.ts), and
 * what is stored (free space, the database's integrity, session files: storage.ts), the
 * group's brokers and topics (group.ts), and the chat channels enabled (channels.ts). A check that cannot run (a full disk) is a failed check,
 * never a crash. Doctor creates nothing: the probes' scratch folders are removed after them.
 *
 * @module
 */
import {
  ConfigError,
  loadConfig,
  paths,
  type ResolvedConfig,
  resolveHome,
  resolveMode,
} from "../config/mod.ts";
import { unreachableRoutes } from "../agent/mod.ts";
import { costOf } from "../policy/mod.ts";
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
import { homeChecks, modeOf } from "./home.ts";
import { applyFixes, type FixResult } from "./fix.ts";

export { type FixResult, formatFixes } from "./fix.ts";
import { handOverCheck } from "./hand_over.ts";
import { channelChecks } from "./channels.ts";
import { memoryCheck, modelChain, modelChecks, providerCheck } from "./provider.ts";

/** How a check came out; `skip`: not made, and why (doctor --offline). */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";

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
  /** How long each call to a model may wait (default 15 s). */
  readonly probeTimeoutMs?: number;
  /** How long the group's brokers have to answer (default 10 s). */
  readonly groupTimeoutMs?: number;
  /** How long each HTTP MCP server has to answer `initialize` (default 10 s). */
  readonly mcpTimeoutMs?: number;
  /** Contact nothing over the network: those checks are `skip` lines that say so. */
  readonly offline?: boolean;
}

/** The line of a check that `--offline` does not make. */
function offlineSkip(check: string, what: string): CheckResult {
  return { check, status: "skip", detail: `${what} not contacted (--offline)` };
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
    models = modelChain(config).map((e) => e.ref);
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
  // The probe's scratch folder (in KAFCLAW_HOME, where the launcher lets kafclaw write) is
  // removed after it; a missing KAFCLAW_HOME is not created for it.
  if (await modeOf(config.home) === undefined) {
    return {
      check: "sandbox",
      status: "warn",
      detail: `not checked: the probe needs ${config.home}, which does not exist`,
    };
  }
  let probe: SandboxProbe;
  try {
    probe = await (deps.probe ?? ((dir) => probeSandbox({ scratchDir: dir })))(config.home);
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    return {
      check: "sandbox",
      status: "warn",
      detail: `not checked: the probe needs a scratch folder in ${config.home}, which cannot ` +
        "be written (see home)",
    };
  }
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

/**
 * `doctor --fix`: applies the safe fixes (fix.ts) and resolves what was done; nothing when the
 * configuration does not load (the checks then say why).
 */
export async function fixDoctor(
  deps: Pick<DoctorDeps, "env" | "offline" | "groupTimeoutMs">,
): Promise<FixResult[]> {
  let config: ResolvedConfig;
  try {
    config = await loadConfig({ env: deps.env });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [];
  }
  const fixed = await applyFixes(config);
  // A group's topic configs need its brokers: loaded (with Kafka's client) only then.
  if (config.group.enabled && !deps.offline) {
    const { fixGroupTopics } = await import("./topic_fix.ts");
    fixed.push(...await fixGroupTopics(config, deps.groupTimeoutMs));
  }
  return fixed;
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
  const offline = deps.offline === true;
  await check(
    "model",
    () =>
      offline ? offlineSkip("model", "the models are") : modelChecks(config, deps.probeTimeoutMs),
  );
  await check(
    "memory",
    () =>
      offline && config.memory.embedding.enabled
        ? offlineSkip("memory", "the embedding model is")
        : memoryCheck(config, deps.probeTimeoutMs),
  );
  await check("policy", () => policyCheck(config));
  await check("mode", () => modeCheck(config));
  // Kafka's client is loaded only when there is a group to check: it reads the environment on
  // import, which `kafclaw --help` may not.
  await check("group", async () => {
    if (!config.group.enabled) return [];
    if (offline) {
      return offlineSkip("group", `the brokers ${config.group.kafkaBrokers.join(",")} are`);
    }
    const { groupChecks } = await import("./group.ts");
    return await groupChecks(config, deps.groupTimeoutMs);
  });
  await check("channels", () => channelChecks(config, { offline, timeoutMs: deps.probeTimeoutMs }));
  await check("sandbox", () => sandboxCheck(config, deps));
  await check("hand-over", () => handOverCheck(config));
  await check("mcp", () =>
    mcpChecks(config, deps.mcpWrapper, {
      offline,
      ...(deps.mcpTimeoutMs === undefined ? {} : { httpTimeoutMs: deps.mcpTimeoutMs }),
    }));
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
  const skipped = results.filter((r) => r.status === "skip").length;
  lines.push(
    (failed ? `${failed} check(s) failed` : "no check failed") +
      (skipped ? `; ${skipped} not made (--offline: nothing on the network is contacted)` : ""),
  );
  return lines.join("\n");
}

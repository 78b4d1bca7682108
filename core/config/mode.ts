/**
 * The operating mode, decided from the configuration (or given by `gateway --mode`) and checked
 * against what that mode needs.
 *
 * @module
 */
import { DEFAULT_COMMAND } from "./command.ts";
import type { ValueSource } from "./errors.ts";
import { shortSecret } from "./network_secret.ts";
import type { DeepReadonly } from "./resolve.ts";
import type { Config } from "./schema.ts";

/** The modes, from the smallest footprint to the largest (ARCHITECTURE.md, Modes). */
export const MODES = ["standalone", "group", "full", "headless"] as const;

/** One of {@link MODES}. */
export type Mode = typeof MODES[number];

/** The keys the mode depends on, and the name its errors suggest commands with (default `kafclaw`). */
export type ModeInputs = DeepReadonly<Pick<Config, "gateway" | "group" | "orchestrator">> & {
  readonly command?: string;
  /** KAFCLAW_HOME and the workspace: a headless gateway keeps to the first (resolved config). */
  readonly home?: string;
  readonly paths?: { readonly workspace: string };
};

/** The mode and why, or the mode asked for and why it cannot run as configured. */
export type ModeResult =
  | { readonly ok: true; readonly mode: Mode; readonly reason: string }
  | { readonly ok: false; readonly mode: Mode; readonly error: string };

/** True for loopback addresses: localhost, 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  return h === "localhost" || h === "::1" || /^127(?:\.\d{1,3}){3}$/.test(h);
}

/**
 * Decides the mode. Without an override: headless when the gateway binds anything but loopback
 * (0.0.0.0 included), full when group and orchestrator are enabled, group when the group is,
 * else standalone. An override (`--mode`) is taken as asked, except that a non-loopback bind is
 * always headless. Then checks the mode's needs: headless needs gateway.authToken (not a short one:
 * network_secret.ts) and a workspace
 * inside KAFCLAW_HOME (when the inputs name both: the launcher grants it no file outside); group
 * and full need group.kafkaBrokers.
 *
 * @example
 * ```ts
 * import { resolveMode } from "./mode.ts";
 * const config = {
 *   gateway: { host: "0.0.0.0" },
 *   group: { enabled: false, kafkaBrokers: [] },
 *   orchestrator: { enabled: false },
 * } as unknown as Parameters<typeof resolveMode>[0];
 * const result = resolveMode(config);
 * console.assert(!result.ok && result.mode === "headless");
 * ```
 */
export function resolveMode(config: ModeInputs, override?: Mode): ModeResult {
  const command = config.command ?? DEFAULT_COMMAND;
  const host = config.gateway.host;
  const exposed = !isLoopback(host);
  let mode: Mode;
  let reason: string;
  if (override) {
    if (override !== "headless" && exposed) {
      return {
        ok: false,
        mode: override,
        error: `--mode ${override} cannot listen on gateway.host ${host}: ` +
          `a non-loopback address is headless mode (use 127.0.0.1, or --mode headless)`,
      };
    }
    mode = override;
    reason = `--mode ${override}`;
  } else if (exposed) {
    mode = "headless";
    reason = `gateway.host ${host} is not a loopback address`;
  } else if (config.group.enabled && config.orchestrator.enabled) {
    mode = "full";
    reason = "group.enabled and orchestrator.enabled";
  } else if (config.group.enabled) {
    mode = "group";
    reason = "group.enabled";
  } else {
    mode = "standalone";
    reason = "group.enabled is false";
  }
  if (mode === "headless") {
    const token = config.gateway.authToken;
    if (!token) {
      return {
        ok: false,
        mode,
        error: `Invalid config: headless mode (${reason}) requires gateway.authToken: ` +
          `set KAFCLAW_GATEWAY_AUTH_TOKEN or run ${command} config set gateway.authToken <token>`,
      };
    }
    const short = shortSecret("gateway.authToken", token);
    if (short !== undefined) {
      return { ok: false, mode, error: `Invalid config: in headless mode (${reason}), ${short}` };
    }
  }
  const workspace = config.paths?.workspace;
  const home = config.home;
  if (
    mode === "headless" && home !== undefined && workspace !== undefined &&
    !workspace.startsWith(`${home.replace(/\/+$/, "")}/`)
  ) {
    return {
      ok: false,
      mode,
      error:
        `Invalid config: headless mode (${reason}) keeps its files in KAFCLAW_HOME (${home}), ` +
        `but paths.workspace is ${workspace}: move the workspace inside it, or unset ` +
        "paths.workspace",
    };
  }
  if ((mode === "group" || mode === "full") && config.group.kafkaBrokers.length === 0) {
    return {
      ok: false,
      mode,
      error: `Invalid config: ${mode} mode (${reason}) requires group.kafkaBrokers: ` +
        `set KAFCLAW_GROUP_KAFKA_BROKERS or run ${command} config set group.kafkaBrokers host:9092`,
    };
  }
  return { ok: true, mode, reason };
}

/** Where a headless gateway listens when `gateway.host` is not set: every interface. */
export const HEADLESS_HOST = "0.0.0.0";

/**
 * Where a gateway started with `--mode` `mode` listens: `host` (gateway.host), except that
 * headless with no host `set` listens on {@link HEADLESS_HOST}. The gateway (`withModeHost`) and
 * the launcher's narrowed network (network.ts) both ask it.
 */
export function modeHost<H>(host: H, set: boolean, mode: string | undefined): H | string {
  return mode === "headless" && !set ? HEADLESS_HOST : host;
}

/**
 * The config a gateway started with `--mode` `override` runs on. Headless is the server others
 * reach (ARCHITECTURE.md, Modes): asked for with `--mode headless` and no `gateway.host` set (in
 * the environment or config.json), it listens on {@link HEADLESS_HOST}, not the loopback default;
 * a host that is set is kept (a reverse proxy on the same machine), and so is every other mode's.
 *
 * @example
 * ```ts
 * import { withModeHost } from "./mode.ts";
 * const config = {
 *   gateway: { host: "127.0.0.1" },
 *   sources: new Map([["gateway.host", { kind: "default" }]]),
 * } as unknown as Parameters<typeof withModeHost>[0];
 * console.assert(withModeHost(config, "headless").gateway.host === "0.0.0.0");
 * console.assert(withModeHost(config, "full") === config);
 * ```
 */
export function withModeHost<
  C extends {
    readonly gateway: { readonly host: string };
    readonly sources: ReadonlyMap<string, ValueSource>;
  },
>(config: C, override: Mode | undefined): C {
  const set = config.sources.get("gateway.host")?.kind !== "default";
  const host = modeHost(config.gateway.host, set, override);
  return host === config.gateway.host
    ? config
    : { ...config, gateway: { ...config.gateway, host } };
}

/**
 * The running gateway's front door (web/): its token (the configured one, required in headless
 * mode; else the home's generated one), its two servers, and the home's record of where they
 * listen, which `kafclaw status` reads.
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import type { Gateway, Swarm } from "../core/gateway/mod.ts";
import {
  type ChannelState,
  ListenError,
  localToken,
  NO_ORCHESTRATOR,
  removeRunFile,
  startFrontDoor,
  statusOf,
  writeRunFile,
} from "../web/mod.ts";
import { CliError } from "./_errors.ts";

/** The front door as the gateway command holds it. */
export interface OpenFrontDoor {
  readonly host: string;
  readonly port: number;
  readonly dashboardPort: number;
  /** A one-time code the dashboard trades for the token (`--open`). */
  loginCode(): string;
  /** Stops both servers and removes the home's record of them. */
  close(): Promise<void>;
}

/** The token of the gateway of `config`'s home in `mode` (headless: the configured one only). */
export async function gatewayToken(
  config: Pick<ResolvedConfig, "gateway" | "home">,
  mode: Gateway["mode"],
): Promise<string> {
  const configured = config.gateway.authToken;
  if (configured !== undefined && configured !== "") return configured;
  // resolveMode refuses headless without a token before anything starts.
  if (mode === "headless") throw new TypeError("headless mode without gateway.authToken");
  return await localToken(config.home);
}

/**
 * Starts the front door of `swarm` (its lead gateway speaks for it), up since `startedAt`; a port
 * it cannot use is one line.
 */
export async function openFrontDoor(
  config: ResolvedConfig,
  swarm: Swarm,
  startedAt: number,
  options: {
    readonly warn?: (line: string) => void;
    /** The chat channels' states (the gateway's channel host), shown in the status. */
    readonly channels?: () => Readonly<Record<string, ChannelState>>;
  } = {},
): Promise<OpenFrontDoor> {
  const gateway = swarm.lead;
  const token = await gatewayToken(config, gateway.mode);
  const status = statusOf(gateway, {
    startedAt,
    model: config.model.name,
    agents: () => swarm.members(),
    ...(options.channels ? { channels: options.channels } : {}),
    orchestrator: () => {
      const node = gateway.orchestrator;
      if (node === undefined) return NO_ORCHESTRATOR;
      return { active: true, role: node.self.role, nodes: node.table.nodes().length };
    },
  });
  let door;
  try {
    door = await startFrontDoor(config, {
      token,
      status,
      parts: { gateway, config },
      warn: options.warn,
      events: gateway.runtime.timeline.events,
    });
  } catch (error) {
    if (error instanceof ListenError) throw new CliError(error.message);
    throw error;
  }
  const { host, port, dashboardPort } = door;
  try {
    await writeRunFile(config.home, { pid: Deno.pid, host, port, dashboard_port: dashboardPort });
  } catch (error) {
    await door.close();
    throw error;
  }
  return {
    host,
    port,
    dashboardPort,
    loginCode: () => door.loginCode(),
    async close() {
      await removeRunFile(config.home);
      await door.close();
    },
  };
}

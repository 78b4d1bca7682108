/**
 * Starts the front door: the API on `gateway.port` and the dashboard on `gateway.dashboardPort`,
 * both on `gateway.host` (port 0: a free port each, which {@link FrontDoor} reports).
 *
 * @module
 */
import type { ApiLimits, ApiParts, TimelineSource } from "./api/mod.ts";
import { apiApp, dashboardApp } from "./app.ts";
import { ksharkReportsDir, type ResolvedConfig } from "../core/config/mod.ts";
import { LoginCodes, ReportViews } from "./dashboard/mod.ts";
import { hostNames, originsOf } from "./guard.ts";
import type { GatewayStatus } from "./status.ts";

/** The running servers. */
export interface FrontDoor extends AsyncDisposable {
  /** The address both listen on. */
  readonly host: string;
  /** The bound port of the API. */
  readonly port: number;
  /** The bound port of the dashboard. */
  readonly dashboardPort: number;
  /** A one-time code that the dashboard trades for the token (`kafclaw gateway --open`). */
  loginCode(): string;
  /** Stops both, letting requests under way finish within `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/** A front door that cannot listen (the port is taken, or not allowed): one line, said as is. */
export class ListenError extends Error {
  override name = "ListenError";
}

/** What {@link startFrontDoor} serves. */
export interface FrontDoorOptions {
  /** The bearer token of both servers. */
  readonly token: string;
  /** The body of `/api/v1/status`. */
  readonly status: () => GatewayStatus;
  /** The running gateway behind the API's other endpoints. */
  readonly parts?: ApiParts | undefined;
  /** Where an endpoint's failure is told. */
  readonly warn?: ((line: string) => void) | undefined;
  /** The API's limits (default: web/api's DEFAULT_LIMITS). */
  readonly limits?: ApiLimits | undefined;
  /** The timeline's events, for `/api/v1/timeline` (default: the gateway's, from `parts`). */
  readonly events?: TimelineSource | undefined;
}

/**
 * Starts both servers with `token` as the bearer token and `status` as `/api/v1/status`'s body.
 * Throws a {@link ListenError} when either cannot listen (and then neither runs).
 */
export async function startFrontDoor(
  config: Pick<ResolvedConfig, "gateway">,
  options: FrontDoorOptions,
): Promise<FrontDoor> {
  const { host } = config.gateway;
  const names = machineNames();
  const codes = new LoginCodes();
  const reportViews = new ReportViews();
  const home = options.parts?.config.home;
  const reports = home === undefined
    ? undefined
    : { dir: ksharkReportsDir(home), views: reportViews };
  // Both ports first: the API lets in the dashboard's origin, the dashboard's page names the API.
  const api = listen(host, config.gateway.port, "API");
  let dashboard;
  try {
    dashboard = listen(host, config.gateway.dashboardPort, "dashboard");
  } catch (error) {
    await api.server.shutdown();
    throw error;
  }
  const apiPort = api.server.addr.port;
  const dashboardPort = dashboard.server.addr.port;
  const dashboardHosts = hostNames(host, dashboardPort, { names });
  const { token } = options;
  // Aborted at close: the live streams end, so the shutdown need not wait for open dashboards.
  const closing = new AbortController();
  const app = apiApp({
    token,
    hosts: hostNames(host, apiPort, { names }),
    origins: originsOf(dashboardHosts),
    status: options.status,
    parts: options.parts,
    warn: options.warn,
    limits: options.limits,
    events: options.events,
    stream: { closing: closing.signal },
    reportViews,
  });
  api.serve((request, info) => app.fetch(request, { remoteAddr: info.remoteAddr }));
  dashboard.serve(dashboardApp({ token, hosts: dashboardHosts, apiPort, codes, reports }).fetch);
  const close = async (timeoutMs = 2_000) => {
    closing.abort();
    const abort = AbortSignal.timeout(timeoutMs);
    const shutdown = Promise.all([api.server.shutdown(), dashboard.server.shutdown()]);
    await Promise.race([shutdown, new Promise((done) => abort.addEventListener("abort", done))]);
  };
  return {
    host,
    port: apiPort,
    dashboardPort,
    loginCode: () => codes.issue(),
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** Listens on host:port, answering 503 until `serve` is given the handler; a failure is a ListenError. */
function listen(host: string, port: number, what: string) {
  let handler: Deno.ServeHandler<Deno.NetAddr> = () => new Response(null, { status: 503 });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: host, port, onListen: () => {} },
      (request, info) => handler(request, info),
    );
  } catch (error) {
    throw new ListenError(`Cannot listen on ${host}:${port} for the ${what}: ${why(error)}`);
  }
  return {
    server,
    serve(fetch: Deno.ServeHandler<Deno.NetAddr>) {
      handler = fetch;
    },
  };
}

function why(error: unknown): string {
  if (error instanceof Deno.errors.AddrInUse) return "the port is in use";
  if (error instanceof Deno.errors.AddrNotAvailable) return "no such address on this machine";
  if (error instanceof Deno.errors.PermissionDenied) return "the system does not allow it";
  if (error instanceof Deno.errors.NotCapable) return "this process may not listen there";
  return (error as Error).message.split("\n")[0] ?? "unknown error";
}

/** The machine's own names (its host name, its interfaces' addresses), for a wildcard bind. */
function machineNames(): string[] {
  const names: string[] = [];
  try {
    names.push(Deno.hostname());
  } catch { /* not allowed to know: only the loopback names then */ }
  try {
    for (const i of Deno.networkInterfaces()) names.push(i.address.replace(/%.*$/, ""));
  } catch { /* as above */ }
  return names;
}

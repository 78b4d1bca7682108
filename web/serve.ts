/**
 * Starts the front door: the API on `gateway.port` and the dashboard on `gateway.dashboardPort`,
 * both on `gateway.host` (port 0: a free port each, which {@link FrontDoor} reports).
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import type { ApiLimits, ApiParts } from "./api/mod.ts";
import { apiApp, dashboardApp } from "./app.ts";
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
}

/**
 * Starts both servers with `options`. Throws a {@link ListenError} when either cannot listen (and
 * then neither runs). The API lets in the dashboard's origin (CORS).
 */
export async function startFrontDoor(
  config: Pick<ResolvedConfig, "gateway">,
  options: FrontDoorOptions,
): Promise<FrontDoor> {
  const { host } = config.gateway;
  const names = machineNames();
  // The dashboard first: the API lets in its origin, so needs its port.
  const dashboard = listen(
    host,
    config.gateway.dashboardPort,
    "dashboard",
    (port) => dashboardApp({ token: options.token, hosts: hostNames(host, port, { names }) }).fetch,
  );
  let api;
  try {
    api = listen(host, config.gateway.port, "API", (port) => {
      const app = apiApp({
        token: options.token,
        hosts: hostNames(host, port, { names }),
        origins: originsOf(hostNames(host, dashboard.addr.port, { names })),
        status: options.status,
        parts: options.parts,
        warn: options.warn,
        limits: options.limits,
      });
      return (request, info) => app.fetch(request, { remoteAddr: info.remoteAddr });
    });
  } catch (error) {
    await dashboard.shutdown();
    throw error;
  }
  const apiServer = api;
  const close = async (timeoutMs = 2_000) => {
    const abort = AbortSignal.timeout(timeoutMs);
    const shutdown = Promise.all([apiServer.shutdown(), dashboard.shutdown()]);
    await Promise.race([shutdown, new Promise((done) => abort.addEventListener("abort", done))]);
  };
  return {
    host,
    port: apiServer.addr.port,
    dashboardPort: dashboard.addr.port,
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** Serves `handler` (made once the port is known) on host:port; a failure is a ListenError. */
function listen(
  host: string,
  port: number,
  what: string,
  handler: (port: number) => Deno.ServeHandler<Deno.NetAddr>,
): Deno.HttpServer<Deno.NetAddr> {
  let serve: Deno.ServeHandler<Deno.NetAddr> = () => new Response(null, { status: 503 });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: host, port, onListen: () => {} }, (r, info) => serve(r, info));
  } catch (error) {
    throw new ListenError(`Cannot listen on ${host}:${port} for the ${what}: ${why(error)}`);
  }
  serve = handler(server.addr.port);
  return server;
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

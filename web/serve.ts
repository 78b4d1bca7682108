/**
 * Starts the front door: the API on `gateway.port` and the dashboard on `gateway.dashboardPort`,
 * both on `gateway.host` (port 0: a free port each, which {@link FrontDoor} reports).
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import { apiApp, dashboardApp } from "./app.ts";
import { hostNames } from "./guard.ts";
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

/**
 * Starts both servers with `token` as the bearer token and `status` as `/api/v1/status`'s body.
 * Throws a {@link ListenError} when either cannot listen (and then neither runs).
 */
export async function startFrontDoor(
  config: Pick<ResolvedConfig, "gateway">,
  options: { readonly token: string; readonly status: () => GatewayStatus },
): Promise<FrontDoor> {
  const { host } = config.gateway;
  const names = machineNames();
  const api = listen(
    host,
    config.gateway.port,
    "API",
    (port) =>
      apiApp({
        token: options.token,
        hosts: hostNames(host, port, { names }),
        status: options.status,
      })
        .fetch,
  );
  let dashboard;
  try {
    dashboard = listen(
      host,
      config.gateway.dashboardPort,
      "dashboard",
      (port) =>
        dashboardApp({ token: options.token, hosts: hostNames(host, port, { names }) }).fetch,
    );
  } catch (error) {
    await api.shutdown();
    throw error;
  }
  const close = async (timeoutMs = 2_000) => {
    const abort = AbortSignal.timeout(timeoutMs);
    const shutdown = Promise.all([api.shutdown(), dashboard.shutdown()]);
    await Promise.race([shutdown, new Promise((done) => abort.addEventListener("abort", done))]);
  };
  return {
    host,
    port: api.addr.port,
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
  handler: (port: number) => (request: Request) => Response | Promise<Response>,
): Deno.HttpServer<Deno.NetAddr> {
  let serve: (request: Request) => Response | Promise<Response> = () =>
    new Response(null, { status: 503 });
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: host, port, onListen: () => {} }, (r) => serve(r));
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

/**
 * This KAFCLAW_HOME's running gateway as the CLI reaches it: where it listens (`gateway.run.json`)
 * and the home's token (`gateway.authToken`, else `gateway.token`), and one call to its API on
 * that address. `kafclaw status` asks it for its status; `kafclaw group leave` and `group join`
 * act through it while it runs (cli/_group_gateway.ts). Only the home's files are read here: the
 * API's modules stay unloaded.
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import { readRunFile, readToken } from "../web/home/mod.ts";

/** A gateway that gateway.run.json says runs in this home. */
export interface HomeGateway {
  readonly pid: number;
  readonly port: number;
  /** Its API's origin, `http://host:port`, a wildcard bind turned into loopback. */
  readonly api: string;
  /** The home's token for it, when the home has one. */
  readonly token: string | undefined;
}

/** What a call to the gateway came to. */
export type GatewayAnswer =
  /** It answered (any status but 401); `body` is its JSON, or undefined when it sent none. */
  | { readonly kind: "answer"; readonly status: number; readonly body: unknown }
  /** Nothing answers at its address: the run file is left from a gateway that stopped. */
  | { readonly kind: "gone"; readonly problem: string }
  /** A gateway answers, but this home has no token for it, or it refused the token. */
  | { readonly kind: "refused"; readonly problem: string }
  /** A change (a POST) was not answered in time: the gateway may still be making it. */
  | { readonly kind: "late"; readonly problem: string };

/** How long the running gateway has to answer a question (a GET). */
const ASK_MS = 3_000;
/** How long it has to make a change (a POST): a join connects to the brokers first. */
const CHANGE_MS = 90_000;

/** The gateway gateway.run.json names, or undefined when there is no such file. */
export async function homeGateway(config: ResolvedConfig): Promise<HomeGateway | undefined> {
  const run = await readRunFile(config.home);
  if (run === undefined) return undefined;
  // A wildcard bind answers on loopback too; the Host header then names a loopback address.
  const host = run.host === "0.0.0.0" ? "127.0.0.1" : run.host === "::" ? "[::1]" : run.host;
  const api = `http://${
    host.includes(":") && !host.startsWith("[") ? `[${host}]` : host
  }:${run.port}`;
  const token = config.gateway.authToken || await readToken(config.home);
  return { pid: run.pid, port: run.port, api, token };
}

/** Calls `path` of `gateway`'s API with the home's token (a POST with no body, or a GET). */
export async function callGateway(
  gateway: HomeGateway,
  path: string,
  method: "GET" | "POST" = "GET",
): Promise<GatewayAnswer> {
  const { api, token } = gateway;
  if (!token) {
    // Whether one runs there at all: its health answers without a token.
    const alive = await fetch(`${api}/healthz`, { signal: AbortSignal.timeout(ASK_MS) })
      .then((r) => (void r.body?.cancel(), r.ok), () => false);
    if (!alive) return gone(api);
    return {
      kind: "refused",
      problem: `a gateway runs at ${api}, but this home has no token for it: set ` +
        "KAFCLAW_GATEWAY_AUTH_TOKEN to the token it runs with (gateway.authToken)",
    };
  }
  let response: Response;
  try {
    response = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(method === "GET" ? ASK_MS : CHANGE_MS),
    });
  } catch (error) {
    if (method === "POST" && (error as Error).name === "TimeoutError") {
      return {
        kind: "late",
        problem: `the gateway at ${api} did not answer within ${CHANGE_MS / 1000} s ` +
          "(it may still be at it: kafclaw status tells)",
      };
    }
    return gone(api);
  }
  if (response.status === 401) {
    await response.body?.cancel();
    return { kind: "refused", problem: `the gateway at ${api} refused this home's token` };
  }
  const body = await response.json().catch(() => undefined);
  return { kind: "answer", status: response.status, body };
}

/** A gateway that stopped without removing its file (killed): nothing runs there now. */
function gone(api: string): GatewayAnswer {
  return {
    kind: "gone",
    problem: `no gateway answers at ${api} (gateway.run.json is left from one that stopped)`,
  };
}

/** The `{error: {code, message}}` of an API answer, when it is one. */
export function apiError(body: unknown): { code: string; message: string } | undefined {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  if (typeof error?.code !== "string" || typeof error.message !== "string") return undefined;
  return { code: error.code, message: error.message };
}

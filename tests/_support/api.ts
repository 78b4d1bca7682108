/**
 * The gateway's API over a real gateway in this process (gateway_memory.ts: its own home, its own
 * fake LLM), driven through `app.request()`: `call` sends the token and the API's Host.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import assert from "node:assert/strict";
import { apiApp, hostNames, originsOf, statusOf } from "../../web/mod.ts";
import { type ApiLimits, apiOwner } from "../../web/api/mod.ts";
import type { ReportViews } from "../../web/dashboard/mod.ts";
import { type GatewayOf, gatewayOf } from "./gateway_memory.ts";
import { waitFor } from "./wait.ts";

/** The token of the test APIs. */
export const API_TOKEN = "api-test-token-0123456789abcdefghijklmn";
/** The Host of the test APIs. */
export const API_HOST = "127.0.0.1:18790";
/** The dashboard's origin of the test APIs. */
export const DASHBOARD_ORIGIN = "http://127.0.0.1:18791";

/** A call's options: a method, a JSON body, headers to add or (undefined) to leave out. */
export interface CallInit {
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string | undefined>;
}

/** An API over a gateway made by `gatewayOf(env, options)`, whose owner answers through the API. */
export async function apiOf(
  env: Record<string, string> = {},
  options: GatewayOf & { readonly limits?: ApiLimits; readonly reportViews?: ReportViews } = {},
) {
  const made = await gatewayOf(env, {
    ...options,
    runtime: { askOwner: apiOwner, ...options.runtime },
  });
  const config = await resolvePrepared({ home: made.home, env: made.env });
  const warnings: string[] = [];
  const app = apiApp({
    token: API_TOKEN,
    hosts: hostNames("127.0.0.1", 18790),
    origins: originsOf(hostNames("127.0.0.1", 18791)),
    status: statusOf(made.gateway, { startedAt: Date.now() }),
    parts: { gateway: made.gateway, config },
    limits: options.limits,
    reportViews: options.reportViews,
    warn: (line) => warnings.push(line),
  });
  /** Sends one request to `path` with the token, unless `headers` says otherwise. */
  const call = (path: string, init: CallInit = {}) => {
    const headers: Record<string, string> = {};
    const given = {
      host: API_HOST,
      authorization: `Bearer ${API_TOKEN}`,
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    };
    for (const [k, v] of Object.entries(given)) if (v !== undefined) headers[k] = v;
    return app.request(`http://${API_HOST}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      headers,
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
  };
  return {
    ...made,
    app,
    call,
    warnings,
    /** The JSON of a call that must answer `status`. */
    async json(path: string, init: CallInit = {}, status = 200) {
      const response = await call(path, init);
      const text = await response.text();
      if (response.status !== status) {
        throw new Error(`${path}: expected ${status}, got ${response.status}: ${text}`);
      }
      return JSON.parse(text);
    },
  };
}

/**
 * Sends a group task to agent `to` through `api` (`POST /api/v1/group/tasks`) and waits until it
 * is completed; its record as `GET /api/v1/group/tasks/{id}` answers it.
 */
export async function groupTaskAnswered(
  api: TestApi,
  to: string,
  content: string,
): Promise<{ task_id: string; status: string; response_content?: string; worker_id?: string }> {
  const sent = await api.json("/api/v1/group/tasks", { body: { content, to: { agent: to } } }, 202);
  let task = { task_id: sent.task_id as string, status: "" };
  await waitFor(
    async () => {
      task = await api.json(`/api/v1/group/tasks/${sent.task_id}`);
      return task.status === "completed";
    },
    `${to}'s answer`,
    { state: () => task },
  );
  return task;
}

/** An API made by {@link apiOf}. */
export type TestApi = Awaited<ReturnType<typeof apiOf>>;

/** The events of an SSE body, in order. */
export function sseEvents(text: string): { event: string; data: unknown }[] {
  return text.split("\n\n").filter((block) => block.trim() !== "").map((block) => {
    const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
    const data = block.split("\n").filter((l) => l.startsWith("data:"))
      .map((l) => l.replace(/^data: ?/, "")).join("\n");
    return { event, data: data === "" ? undefined : JSON.parse(data) };
  });
}

/** Data the API passes through, whose keys are not its own: payloads, arguments, config keys. */
const DATA = new Set([
  "request",
  "arguments",
  "attributes",
  "expertise",
  "metadata",
  "identity",
  "values",
]);

/** Asserts that every key of `value` (but those inside {@link DATA}) is snake_case. */
export function assertSnakeCase(value: unknown, where: string): void {
  if (Array.isArray(value)) return value.forEach((v) => assertSnakeCase(v, where));
  if (value === null || typeof value !== "object") return;
  for (const [key, inner] of Object.entries(value)) {
    assert.match(key, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, `${where}: ${key}`);
    if (!DATA.has(key)) assertSnakeCase(inner, `${where} ${key}`);
  }
}

/**
 * The gateway's API under load (`deno task bench --filter api`, some 15 s): a load generator of
 * 16 concurrent loopback clients sends `GET /api/v1/status` for a fixed 5 s to the front door of a
 * standalone gateway (real sockets, the token checked, the whole middleware chain), and the same
 * to a bare `Deno.serve` answering the same JSON, measured alongside as the baseline; `/healthz`
 * (no guard) shows the middleware's share. The per-client rate limit is raised out of the way for
 * the run (one loopback client would otherwise be held to 50 requests a second): what is measured
 * is the cost of serving, not the limit. Prints requests/s, p50, p99 and errors per endpoint.
 */
import { createAgentRuntime } from "../../core/agent/mod.ts";
import { resolveConfig } from "../../core/config/mod.ts";
import { Gateway } from "../../core/gateway/mod.ts";
import { DEFAULT_LIMITS, startFrontDoor, statusOf } from "../../web/mod.ts";
import { type Load, load, loadRow } from "./_load.ts";

const SECONDS = 5;
const CLIENTS = 16;
const TOKEN = "bench-token-0123456789abcdefghijklmnopq";

const home = await Deno.makeTempDir({ prefix: "kafclaw-bench-api-" });
const env = {
  KAFCLAW_HOME: home,
  KAFCLAW_MODEL: "openai/gpt-test",
  // Never called: the status endpoint reaches no model.
  OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
  OPENAI_API_KEY: "sk-bench",
  KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
};
const config = resolveConfig({ home, env });
const gateway = await Gateway.start(config, { createRuntime: (c) => createAgentRuntime(c, {}) });
const door = await startFrontDoor(
  { gateway: { ...config.gateway, port: 0, dashboardPort: 0 } },
  {
    token: TOKEN,
    status: statusOf(gateway, { startedAt: Date.now() }),
    parts: { gateway, config },
    limits: { ...DEFAULT_LIMITS, burst: 1e9, perSecond: 1e9 },
  },
);
const body = JSON.stringify(statusOf(gateway, { startedAt: Date.now() })());
const bare = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: () => {} },
  () => new Response(body, { headers: { "content-type": "application/json" } }),
);

const runs = new Map<string, Load>();
const auth = { authorization: `Bearer ${TOKEN}` };
const measure = (name: string, url: string, headers: Record<string, string> = {}) =>
  Deno.bench(name, { group: "api load", n: 1, warmup: 0 }, async () => {
    runs.set(name, await load(url, { headers, clients: CLIENTS, seconds: SECONDS }));
  });

measure("bare Deno.serve, same JSON", `http://127.0.0.1:${bare.addr.port}/`);
measure("GET /api/v1/status", `http://127.0.0.1:${door.port}/api/v1/status`, auth);
measure("GET /healthz (no guard)", `http://127.0.0.1:${door.port}/healthz`);

globalThis.addEventListener("unload", () => {
  if (runs.size === 0) return;
  console.log(`\napi load: ${CLIENTS} loopback clients, ${SECONDS} s each, this machine, this run`);
  console.log("| endpoint | requests/s | p50 | p99 | errors |");
  console.log("| --- | --- | --- | --- | --- |");
  for (const [name, run] of runs) console.log(loadRow(name, run));
  // The servers and the gateway end with this process; closing them here would race the unload.
  void door.close();
  void bare.shutdown();
  void gateway.stop();
  Deno.removeSync(home, { recursive: true });
});

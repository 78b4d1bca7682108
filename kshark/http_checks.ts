/**
 * Schema Registry (`GET /subjects`) and REST proxy (`GET /topics`) reachability, when the
 * settings name them (`schema.registry.url`, `rest.proxy.url`), with `basic.auth.user.info`
 * when given.
 *
 * @module
 */
import { type CheckContext, reason, timed } from "./check.ts";

/** Checks one HTTP service by a GET of `path` under its URL. */
export async function checkHttp(
  ctx: CheckContext,
  service: { name: string; url: string; path: string },
): Promise<void> {
  const url = new URL(
    service.path.replace(/^\//, ""),
    service.url.endsWith("/") ? service.url : `${service.url}/`,
  );
  const shown = `${url.origin}${url.pathname}`;
  const base = { component: service.name, target: shown, layer: "L7-HTTP" } as const;
  ctx.starting(`${service.name} ${shown}`);
  const auth = ctx.settings.httpAuth;
  const headers: Record<string, string> = { accept: "application/json" };
  if (auth) headers.authorization = `Basic ${btoa(auth)}`;
  try {
    const { value: res, ms } = await timed(ctx, ctx.timeouts.kafkaMs, `GET ${shown}`, async () => {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(ctx.timeouts.kafkaMs) });
      await res.body?.cancel();
      return res;
    });
    if (res.ok) {
      ctx.add({
        ...base,
        status: "OK",
        detail: `GET ${url.pathname}: HTTP ${res.status} in ${ms} ms`,
        ms,
      });
      return;
    }
    const denied = res.status === 401 || res.status === 403;
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `GET ${url.pathname}: HTTP ${res.status} ${res.statusText}`,
      hint: denied
        ? "check basic.auth.user.info (user:password) for this service"
        : `check that ${service.url} is the ${service.name}'s base URL`,
      ms,
    });
  } catch (error) {
    ctx.add({
      ...base,
      status: "FAIL",
      detail: `GET ${url.pathname} failed: ${reason(error)}`,
      hint: `check that the ${service.name} runs at ${service.url} and is reachable from here`,
    });
  }
}

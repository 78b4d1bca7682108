/**
 * The dashboard's routes on `gateway.dashboardPort`: its single-page app (app/, bundled with
 * Preact and htm into `_bundle.ts` by `deno task dashboard`, so a compiled binary serves it and
 * nothing is fetched from elsewhere at run time) and the trade of a one-time login code for the
 * token (codes.ts). The page and its scripts hold nothing of the agent's and need no token; the
 * Host and Origin checks still apply (a rebound name gets nothing). Every call for data goes to
 * the API port with the token, which the page keeps for its tab.
 *
 * @module
 */
import { Hono } from "hono";
import { placeGuard } from "../guard.ts";
import { sizeLimit } from "../api/mod.ts";
import { APP_CSS, APP_JS, INDEX_HTML } from "./_bundle.ts";
import { readReport, REPORT_CSP } from "../kshark_reports.ts";
import type { LoginCodes, ReportViews } from "./codes.ts";

export { LoginCodes, OneTimeCodes, ReportViews } from "./codes.ts";

/** What the dashboard's routes need. */
export interface DashboardOptions {
  /** The gateway's token, handed to a page that brings a good login code. */
  readonly token: string;
  /** The Host values that name the dashboard's server. */
  readonly hosts: ReadonlySet<string>;
  /** The API's port, on the same host names. */
  readonly apiPort: number;
  /** The login codes `--open` issues; absent, every code is refused. */
  readonly codes?: LoginCodes;
  /** The kshark reports' folder and the view codes the API issues for them; absent, none shown. */
  readonly reports?: { readonly dir: string; readonly views: ReportViews } | undefined;
}

/** The largest body the dashboard reads (a login code's); more is a 413 before it is read. */
const MAX_BODY = 1024;

/** The dashboard's routes; see the module doc. */
export function dashboardRoutes(options: DashboardOptions): Hono {
  const app = new Hono();
  app.use("*", placeGuard({ hosts: options.hosts }));
  // Its routes are open to whoever passes the Host check: never read a body without a bound.
  app.use("*", sizeLimit(MAX_BODY));
  const page = INDEX_HTML.replace("%API_PORT%", String(options.apiPort));
  const apiOrigins = [...options.hosts].map((host) =>
    `http://${host.replace(/:\d+$/, `:${options.apiPort}`)}`
  );
  const headers = {
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      // The kshark report's frame (/kshark/<code>), under a policy of its own.
      "frame-src 'self'",
      `connect-src 'self' ${apiOrigins.join(" ")}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
  };
  const asset = (body: string, type: string) => () =>
    new Response(body, { headers: { ...headers, "content-type": type } });
  app.get("/", asset(page, "text/html; charset=utf-8"));
  app.get("/app.js", asset(APP_JS, "text/javascript; charset=utf-8"));
  app.get("/app.css", asset(APP_CSS, "text/css; charset=utf-8"));
  app.get("/kshark/:code", async (c) => {
    const name = options.reports?.views.take(c.req.param("code"));
    const page = name === undefined ? undefined : await readReport(options.reports!.dir, name);
    if (page === undefined) {
      return c.json({
        error: { code: "not_found", message: "the view code is spent, expired, or unknown" },
      }, 404);
    }
    return new Response(page, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": REPORT_CSP,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": "no-store",
      },
    });
  });
  app.post("/login/code", async (c) => {
    const refuse = (message: string) => c.json({ error: { code: "bad_code", message } }, 401);
    const text = await c.req.text();
    let code: unknown;
    try {
      code = (JSON.parse(text) as { code?: unknown })?.code;
    } catch {
      return c.json({ error: { code: "bad_request", message: "body: not JSON" } }, 400);
    }
    if (typeof code !== "string" || code === "") {
      return c.json({ error: { code: "bad_request", message: "body.code: a string" } }, 400);
    }
    if (!options.codes?.redeem(code)) {
      return refuse("the login code is spent, expired, or not one this gateway gave");
    }
    c.header("cache-control", "no-store");
    return c.json({ token: options.token });
  });
  return app;
}

/**
 * The kshark reports this gateway can show (web/kshark_reports.ts: the pages `kafclaw kshark`
 * keeps in `$KAFCLAW_HOME/kshark/`): the list, newest first with each run's verdict, and a
 * one-time view code for one of them, which the dashboard's origin serves once in a sandboxed
 * frame (`/kshark/<code>`, within a minute). In every mode: kshark checks any Kafka, not only a
 * group's.
 *
 * @module
 */
import { z } from "zod";
import { listReports, readReport, REPORT_NAME } from "../kshark_reports.ts";
import type { ReportViews } from "../dashboard/mod.ts";
import { NotFound } from "./errors.ts";
import { type ApiRoutes, param } from "./routes.ts";

const NAME = z.string().regex(REPORT_NAME, {
  message: "a report's file name: letters, digits, '.', '_' or '-', ending in .html",
});

/** Mounts the kshark endpoints over the reports of `dir`, viewed through `views`. */
export function mountKshark(
  routes: ApiRoutes,
  options: { readonly dir: string; readonly views: ReportViews },
): void {
  const { dir, views } = options;
  routes.add({
    method: "get",
    path: "/api/v1/kshark/reports",
    summary: "The kshark reports kept in KAFCLAW_HOME, newest first",
    tag: "kshark",
  }, async (c) => c.json({ dir, items: await listReports(dir) }));
  routes.add({
    method: "post",
    path: "/api/v1/kshark/reports/:name/view",
    summary: "A one-time code that shows one report on the dashboard's origin",
    tag: "kshark",
  }, async (c) => {
    const name = param(c, "name", NAME);
    if (await readReport(dir, name) === undefined) throw new NotFound(`No kshark report ${name}`);
    const code = views.issueFor(name);
    return c.json({ name, path: `/kshark/${code}`, expires_in_seconds: 60 });
  });
}

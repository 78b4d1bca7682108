/**
 * The kshark reports through the API and the dashboard: the API lists the pages kept in
 * `$KAFCLAW_HOME/kshark/` (newest first, with their verdicts) and nothing else of that folder;
 * a view code it gives shows one page once on the dashboard's origin, under a policy that lets
 * the page run and load nothing.
 */
import assert from "node:assert/strict";
import { apiOf } from "../../_support/api.ts";
import { dashboardApp, hostNames, ReportViews } from "../../../web/mod.ts";

const PAGE = (verdict: string) =>
  `<!DOCTYPE html><html><head><style>p{color:red}</style></head><body><p>${verdict}</p></body></html>`;

/** Writes the page and JSON of a run that started at `startedAt` with `fail` failures. */
async function report(dir: string, stem: string, startedAt: string, fail: number) {
  await Deno.writeTextFile(`${dir}/${stem}.html`, PAGE(fail > 0 ? "FAIL" : "OK"));
  const total = { ok: 3, warn: 0, fail, skip: 1 };
  await Deno.writeTextFile(
    `${dir}/${stem}.json`,
    JSON.stringify({ tool: "kshark", startedAt, summary: { total } }),
  );
}

async function withReports() {
  const views = new ReportViews();
  const api = await apiOf({}, { reportViews: views });
  const dir = `${api.home}/kshark`;
  await Deno.mkdir(dir);
  await report(dir, "kshark-older", "2026-12-01T08:00:00.000Z", 2);
  await report(dir, "kshark-newer", "2026-12-05T08:00:00.000Z", 0);
  // None of these is a report the gateway shows.
  await Deno.writeTextFile(`${api.home}/secret.txt`, "not for the browser");
  await Deno.symlink(`${api.home}/secret.txt`, `${dir}/linked.html`);
  await Deno.mkdir(`${dir}/folder.html`);
  await Deno.writeTextFile(`${dir}/notes.txt`, "not a report");
  const dashboard = dashboardApp({
    token: "unused-token-0123456789abcdefghijkl",
    hosts: hostNames("127.0.0.1", 18791),
    apiPort: 18790,
    reports: { dir, views },
  });
  const fromDashboard = (path: string) =>
    dashboard.request(`http://127.0.0.1:18791${path}`, { headers: { host: "127.0.0.1:18791" } });
  return { api, dir, fromDashboard, [Symbol.asyncDispose]: () => api[Symbol.asyncDispose]() };
}

Deno.test("the API lists the kept kshark reports, newest first, and nothing else there", async () => {
  await using rig = await withReports();
  const listed = await rig.api.json("/api/v1/kshark/reports");
  assert.equal(listed.dir, rig.dir);
  assert.deepEqual(
    listed.items.map((r: { name: string; started_at: string; total: { fail: number } }) => [
      r.name,
      r.started_at,
      r.total.fail,
    ]),
    [
      ["kshark-newer.html", "2026-12-05T08:00:00.000Z", 0],
      ["kshark-older.html", "2026-12-01T08:00:00.000Z", 2],
    ],
  );
});

Deno.test("a home without reports lists none", async () => {
  await using api = await apiOf();
  assert.deepEqual((await api.json("/api/v1/kshark/reports")).items, []);
});

Deno.test("a view code shows one report once on the dashboard's origin, sandboxed", async () => {
  await using rig = await withReports();
  const view = await rig.api.json("/api/v1/kshark/reports/kshark-newer.html/view", {
    method: "POST",
  });
  assert.match(view.path, /^\/kshark\/[\w-]{43}$/);
  const shown = await rig.fromDashboard(view.path);
  assert.equal(shown.status, 200);
  assert.equal(await shown.text(), PAGE("OK"));
  const policy = shown.headers.get("content-security-policy") ?? "";
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /(^|; )sandbox($|;)/);
  assert.doesNotMatch(policy, /script-src|connect-src/);
  assert.equal(shown.headers.get("cache-control"), "no-store");
  // Spent: the same code again, or a made-up one, shows nothing.
  assert.equal((await rig.fromDashboard(view.path)).status, 404);
  assert.equal((await rig.fromDashboard(`/kshark/${"A".repeat(43)}`)).status, 404);
  // The dashboard's page may frame its own origin, and nothing else.
  const page = await rig.fromDashboard("/");
  assert.match(page.headers.get("content-security-policy") ?? "", /frame-src 'self';/);
});

Deno.test("no view code is given for a link, a folder, a path or a missing report", async () => {
  await using rig = await withReports();
  const view = (name: string) =>
    rig.api.call(`/api/v1/kshark/reports/${name}/view`, { method: "POST" });
  for (const name of ["linked.html", "folder.html", "missing.html"]) {
    const response = await view(name);
    assert.equal(response.status, 404, name);
    assert.equal((await response.json()).error.code, "not_found");
  }
  for (const name of ["..%2Fconfig.json", "notes.txt", ".hidden.html"]) {
    const response = await view(name);
    assert.equal(response.status, 400, name);
    assert.match((await response.json()).error.message, /path parameter "name"/);
  }
});

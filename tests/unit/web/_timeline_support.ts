/** What the web tests share: the apps, and the dashboard's own SSE parser (the one it runs). */
export { apiApp, dashboardApp, hostNames } from "../../../web/mod.ts";
// @ts-types="./_sse.d.ts"
export { parseSse } from "../../../web/dashboard/app/api.js";

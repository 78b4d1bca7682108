/**
 * The dashboard's group, memory, scheduler, settings and kshark pages in a real browser (headless
 * Chromium through puppeteer-core) against real `kafclaw gateway` processes: a standalone one, and
 * two of a group on the real broker. Each test saves a screenshot under `.tmp/dashboard/`.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startFakeOpenAI } from "../../fakes/openai_server.ts";
import { kafclaw, tempHome } from "../../_support/cli.ts";
import { launchChromium, screenshot, startGateway } from "../../_support/dashboard.ts";
import { testBrokers } from "../../_support/broker.ts";
import { gateway, tails } from "../../_support/gateway_group.ts";
import { produceUndecodable } from "../../_support/undecodable.ts";
import { agentInbox } from "../../../core/protocol/mod.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const WAIT = { timeout: 30_000 };

/** The text of the element at `selector`, once there is one. */
async function textOf(page: Page, selector: string): Promise<string> {
  const element = await page.waitForSelector(selector, WAIT);
  return await element!.evaluate((e) => e.textContent ?? "");
}

/** Opens the dashboard at `#/route` on `port` and logs in with the token of `home`. */
async function openPage(page: Page, port: number, route: string, home: string) {
  await page.goto(`http://127.0.0.1:${port}/#/${route}`);
  await page.waitForSelector("input[name=token]", WAIT);
  await page.type("input[name=token]", (await Deno.readTextFile(`${home}/gateway.token`)).trim());
  await page.click("button[type=submit]");
  await page.waitForSelector(`main[data-page=${route}]`, WAIT);
}

Deno.test("the group page of a standalone gateway says there is no group", opts, async () => {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
  await using gw = await startGateway(home.path, llm.url);
  await using browser = await launchChromium();
  const page = await browser.newPage();
  await openPage(page, gw.dashboardPort, "group", home.path);
  assert.match(await textOf(page, ".empty h3"), /No group: this gateway runs standalone/);
  assert.match(await textOf(page, ".empty p"), /group or\s+full mode/);
  assert.equal(await page.$("svg.group-graph"), null);
  await screenshot(page, "group-standalone");
});

Deno.test(
  "the group page shows the roster, the hierarchy and zones as a graph, topics and audit",
  opts,
  async () => {
    const group = uniqueName("gwdash").replaceAll("-", "");
    const open = { KAFCLAW_GROUP_SECURITY: "open", KAFCLAW_ORCHESTRATOR_ENABLED: "true" };
    await using ann = await gateway(group, "ann", {
      ...open,
      KAFCLAW_ORCHESTRATOR_ROLE: "orchestrator",
    });
    await using ben = await gateway(group, "ben", {
      ...open,
      KAFCLAW_ORCHESTRATOR_PARENT_ID: "ann",
    });
    const made = await kafclaw(["group", "init", "--json"], ann.env);
    assert.equal(made.code, 0, made.stderr);
    await Promise.all([ann.start(), ben.start()]);
    const zone = await kafclaw(["zone", "create", "lab", "--name", "Lab"], ann.env);
    assert.equal(zone.code, 0, zone.stderr);
    const started = JSON.parse(ann.child!.stdout.split("\n").find((l) => l.includes('"started"'))!);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await openPage(page, started.dashboard_port, "group", ann.home);
    const state = () => tails([ann, ben]);
    const liveness = (id: string) =>
      page.$eval(`tr[data-member=${id}] [data-liveness]`, (e) => e.getAttribute("data-liveness"))
        .catch(() => undefined);
    await waitFor(
      async () => (await liveness("ann")) === "active" && (await liveness("ben")) === "active",
      "ann and ben active on the roster",
      { state, timeoutMs: 60_000 },
    );
    // The graph: a box per agent, ben below ann, the zone with a dashed line to its member.
    await waitFor(
      async () =>
        await page.$(`svg.group-graph path.gedge-hierarchy[data-from=ann][data-to=ben]`) !==
          null &&
        await page.$(`svg.group-graph path.gedge-member[data-from="zone:lab"][data-to=ann]`) !==
          null,
      "ann -> ben and the zone lab -> ann drawn",
      { state, timeoutMs: 60_000 },
    );
    const boxes = await page.$$eval(
      "svg.group-graph g.gnode",
      (all) => all.map((g) => `${g.getAttribute("data-kind")}:${g.getAttribute("data-node")}`),
    );
    assert.deepEqual(boxes.sort(), ["agent:ann", "agent:ben", "zone:lab", "zone:public"]);
    assert.match(await textOf(page, 'g.gnode[data-node="lab"]'), /Lab.*zone, private/);
    // Laid out: ben's box is below ann's, none overlap.
    const ys = await page.$$eval(
      "svg.group-graph g.gnode[data-kind=agent] rect",
      (all) =>
        Object.fromEntries(
          all.map((r) => [r.parentElement!.getAttribute("data-node"), Number(r.getAttribute("y"))]),
        ),
    );
    assert.ok(ys.ben > ys.ann, JSON.stringify(ys));
    assert.match(await textOf(page, "[data-fact=requests]"), new RegExp(`group\\.${group}\\.`));
    assert.match(await textOf(page, "[data-fact=Group]"), new RegExp(group));
    // A batch ann cannot read on her own inbox: audited, and listed on the page.
    await produceUndecodable(testBrokers(), agentInbox(group, "ann"), ["x-1"]);
    let audited: string[] = [];
    await waitFor(
      async () => {
        audited = await page.$$eval(".audit li", (all) => all.map((li) => li.textContent ?? ""));
        return audited.some((text) => text.includes("undecodable batch"));
      },
      "the group's audit event on the page",
      { state: () => ({ audited, ...state() }), timeoutMs: 30_000 },
    );
    await screenshot(page, "group");
  },
);

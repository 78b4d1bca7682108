/**
 * The dashboard's group, memory, scheduler and settings pages in a real browser (headless
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
  "the group page shows the roster, the hierarchy and zones as a graph, topics and audit; a worker's traces page, the tasks it worked on",
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

    // Leaving from the page takes ann out (ben sees her go), and joining again brings her back.
    await page.click("button[data-member-change=leave]");
    await waitFor(
      async () => (await textOf(page, "[data-fact=Left]")).startsWith("yes"),
      "the page to say ann left",
      { state, timeoutMs: 30_000 },
    );
    await page.waitForSelector("button[data-member-change=join]", { timeout: 30_000 });
    // Its leave was sent: the page says it left, and no more (told, GET /api/v1/group).
    assert.equal(await textOf(page, "[data-fact=Left]"), "yes: this agent has left the group");
    assert.match(await textOf(page, "[data-note=left]"), /Out of the group/);
    // Its node is gone with it: the drawing says why, and shows no stale hierarchy.
    assert.match(await textOf(page, "[data-note=orchestrator]"), /ann has left group/);
    await waitFor(
      async () => (await page.$("svg.group-graph g.gnode[data-kind=agent]")) === null,
      "no stale boxes of agents in the drawing",
      { state, timeoutMs: 30_000 },
    );
    await screenshot(page, "group-left");
    await page.click("button[data-member-change=join]");
    await waitFor(
      async () =>
        (await textOf(page, "[data-fact=Left]")) === "no" &&
        (await liveness("ann")) === "active",
      "ann a member again, active on her roster",
      { state, timeoutMs: 60_000 },
    );
    await page.waitForSelector("button[data-member-change=leave]", { timeout: 30_000 });

    // A task ann sends ben is listed on ben's traces page among those he worked on, with who
    // asked and how it ended; its link opens the task's trace.
    const sent = await kafclaw(
      ["task", "submit", "Add 2 and 2", "--to", "ben", "--wait", "--json"],
      ann.env,
    );
    assert.equal(sent.code, 0, sent.stderr);
    const taskId = (JSON.parse(sent.stdout) as { task_id: string }).task_id;
    const bens = JSON.parse(ben.child!.stdout.split("\n").find((l) => l.includes('"started"'))!);
    const benPage = await browser.newPage();
    await openPage(benPage, bens.dashboard_port, "traces", ben.home);
    const row = `table.worked tr[data-worked="${taskId}"]`;
    await benPage.waitForSelector(row, WAIT);
    assert.match(await textOf(benPage, row), /Add 2 and 2\s*completed\s*from ann/);
    await (await benPage.$(`${row} a`))!.click();
    await benPage.waitForSelector("svg.trace-graph g.node", WAIT);
    await screenshot(benPage, "traces-worked");
  },
);

/** A standalone gateway in a new home against a fake LLM, and a browser logged in at `route`. */
async function standalone(
  route: string,
  llm: Parameters<typeof startFakeOpenAI>[0] = { fallback: { text: "hi" } },
) {
  const home = await tempHome();
  const fake = await startFakeOpenAI(llm);
  const gw = await startGateway(home.path, fake.url);
  const browser = await launchChromium();
  const page = await browser.newPage();
  const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
  await openPage(page, gw.dashboardPort, route, home.path);
  return {
    home: home.path,
    page,
    gw,
    /** Calls the gateway's API with its token. */
    api: async (path: string, init: { method?: string; body?: unknown } = {}) => {
      const response = await fetch(`http://127.0.0.1:${gw.port}${path}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
      return { status: response.status, body: await response.json() };
    },
    async [Symbol.asyncDispose]() {
      await browser[Symbol.asyncDispose]();
      await gw[Symbol.asyncDispose]();
      await fake.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

/** A browser test of the page at `route` of a standalone gateway whose fake LLM is `llm`. */
function pageTest(
  name: string,
  route: string,
  body: (rig: Awaited<ReturnType<typeof standalone>>) => Promise<void>,
  llm?: Parameters<typeof startFakeOpenAI>[0],
) {
  Deno.test(name, opts, async () => {
    await using rig = await standalone(route, llm);
    await body(rig);
  });
}

/** Replaces the value of the input at `selector` with `text`, as a person types it. */
async function fill(page: Page, selector: string, text: string) {
  await page.waitForSelector(selector, WAIT);
  await page.$eval(selector, (e) => {
    (e as unknown as { value: string }).value = "";
  });
  await page.type(selector, text);
}

pageTest("the memory page finds what the agent remembered", "memory", async (rig) => {
  const turn = await rig.api("/api/v1/chat", { body: { message: "Remember my cat's name" } });
  assert.equal(turn.status, 200, JSON.stringify(turn.body));
  const { page } = rig;
  assert.match(await textOf(page, "[data-fact=Chunks]"), /^\d+ \(at most \d+\)$/);
  await fill(page, "input[name=q]", "Ziggy");
  await page.click(".search button[type=submit]");
  const hit = await textOf(page, ".hit");
  assert.match(hit, /The owner's cat is called Ziggy and likes tuna\./);
  assert.match(hit, /score 0\.\d{4}/);
  await screenshot(page, "memory");
  // A search that finds nothing says so.
  await fill(page, "input[name=q]", "zebra");
  await page.click(".search button[type=submit]");
  assert.match(await textOf(page, ".empty"), /No memory matches “zebra”/);
}, {
  chat: [{
    toolCalls: [{
      id: "r1",
      name: "remember",
      arguments: { content: "The owner's cat is called Ziggy and likes tuna." },
    }],
  }],
  fallback: { text: "Noted." },
});

pageTest(
  "the scheduler page adds a job, shows a refused schedule, runs a job now and deletes it",
  "scheduler",
  async (rig) => {
    const { page } = rig;
    assert.match(await textOf(page, ".empty h3"), /No job/);
    await fill(page, ".new-job input[name=name]", "brief");
    await fill(page, ".new-job input[name=schedule]", "every tuesday");
    await fill(page, ".new-job textarea[name=message]", "Say good morning");
    await page.click(".new-job button[type=submit]");
    assert.match(await textOf(page, ".new-job .error"), /Invalid job/);
    assert.deepEqual((await rig.api("/api/v1/scheduler/jobs")).body.items, []);
    await fill(page, ".new-job input[name=schedule]", "0 8 * * MON-FRI");
    await page.click(".new-job button[type=submit]");
    assert.match(await textOf(page, "li.job[data-job=brief] h3"), /brief\s+0 8 \* \* MON-FRI/);
    assert.equal(await page.$(".new-job .error"), null);
    await page.click("li.job[data-job=brief] button[data-action=run]");
    assert.match(
      await textOf(page, "li.job[data-job=brief] .run-report"),
      /Ran now: succeeded\s*Good morning from the fake model\./,
    );
    await waitFor(
      async () => (await textOf(page, "li.job[data-job=brief]")).includes("1 run(s)"),
      "the run counted on the page",
    );
    await screenshot(page, "scheduler");
    await page.click("li.job[data-job=brief] button[data-action=delete]");
    await page.click("li.job[data-job=brief] button[data-action=confirm-delete]");
    assert.match(await textOf(page, ".empty h3"), /No job/);
    assert.deepEqual((await rig.api("/api/v1/scheduler/jobs")).body.items, []);
  },
  {
    fallback: { text: "Good morning from the fake model." },
  },
);

pageTest(
  "the settings page shows the running values and writes a key, showing the API's refusals",
  "settings",
  async (rig) => {
    const { page } = rig;
    const row = "tr[data-key='group.maxDelegationDepth']";
    assert.match(await textOf(page, `${row} td`), /^3$/);
    await fill(page, "input[name=filter]", "maxDelegation");
    await waitFor(async () => (await page.$$("table.settings tr")).length === 1, "one row left");
    await page.click(`${row} button[data-edit]`);
    await fill(page, ".change input[name=value]", "99");
    await page.click(".change button[type=submit]");
    assert.match(await textOf(page, ".change .error"), /group\.maxDelegationDepth.*16/);
    const config = () => Deno.readTextFile(`${rig.home}/config.json`).catch(() => "{}");
    assert.doesNotMatch(await config(), /maxDelegationDepth/);
    // A secret is not written through the API, and the page says why.
    await fill(page, ".change input[name=key]", "group.kafkaSaslPassword");
    await fill(page, ".change input[name=value]", "hunter2");
    await page.click(".change button[type=submit]");
    assert.match(await textOf(page, ".change .error"), /is a secret.*\(not_writable\)/);
    await fill(page, ".change input[name=key]", "group.maxDelegationDepth");
    await fill(page, ".change input[name=value]", "5");
    await page.click(".change button[type=submit]");
    assert.match(
      await textOf(page, ".change .saved"),
      /group\.maxDelegationDepth = 5 is in .*config\.json; it\s+takes effect when the gateway starts again/,
    );
    assert.equal(await page.$(".change .error"), null);
    assert.equal(JSON.parse(await config()).group.maxDelegationDepth, 5);
    await screenshot(page, "settings");
  },
);

pageTest(
  "the kshark page shows the reports kshark kept, in a sandboxed frame that runs nothing",
  "kshark",
  async (rig) => {
    const { page } = rig;
    assert.match(await textOf(page, ".empty h3"), /No kshark report yet/);
    // A run against a port nobody listens on: it fails, and its report is kept in the home.
    const run = await kafclaw(
      ["kshark", "--broker", "127.0.0.1:1", "--test-connection", "--timeout", "10s"],
      { KAFCLAW_HOME: rig.home, NO_COLOR: "1" },
    );
    assert.equal(run.code, 1, run.stderr);
    const kept = [...Deno.readDirSync(`${rig.home}/kshark`)].map((e) => e.name).sort();
    assert.equal(kept.length, 2, kept.join(" "));
    assert.match(kept[0]!, /^kshark-.*\.html$/);
    assert.equal(Deno.statSync(`${rig.home}/kshark/${kept[0]}`).mode! & 0o777, 0o600);
    // The page lists it on its next refresh (or a reload), newest first, and shows it.
    await page.reload();
    assert.match(await textOf(page, ".kshark-reports li .verdict"), /^FAIL$/);
    const frame = await page.waitForSelector("iframe.kshark-report", WAIT);
    assert.equal(await frame!.evaluate((f) => f.getAttribute("sandbox")), "");
    const src = await frame!.evaluate((f) => f.getAttribute("src") ?? "");
    assert.match(src, /^\/kshark\/[\w-]{43}$/);
    const content = await frame!.contentFrame();
    await content.waitForSelector("td.FAIL", WAIT);
    assert.match(await content.$eval("body", (b) => b.textContent ?? ""), /127\.0\.0\.1:1/);
    // Its own inline style applies (its policy allows that and nothing else).
    assert.equal(
      await content.evaluate(`getComputedStyle(document.querySelector("td.FAIL")).color`),
      "rgb(207, 34, 46)",
    );
    await screenshot(page, "kshark");
    // The view code was spent by the frame: the same address again is refused.
    const again = await fetch(`http://127.0.0.1:${rig.gw.dashboardPort}${src}`);
    assert.equal(again.status, 404);
    await again.body?.cancel();
  },
);

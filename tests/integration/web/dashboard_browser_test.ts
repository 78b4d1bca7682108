/**
 * The dashboard in a real browser (headless Chromium through puppeteer-core) against a real
 * `kafclaw gateway` and the fake LLM: the login refuses a wrong token and keeps the right one for
 * the tab (and drops one the gateway stops taking); the overview shows the running agent; a turn
 * of `kafclaw agent` beside the gateway appears on the timeline live, over SSE, without a reload;
 * `--open` logs in through the one-time code; a write waiting for the owner is approved on the
 * approvals page, and runs; the overview shows the chat channels' states, and the budgets used
 * today ("No budget set" without one). Each test saves a screenshot under `.tmp/dashboard/`.
 */
import assert from "node:assert/strict";
import type { Page } from "puppeteer-core";
import { startFakeOpenAI } from "../../fakes/openai_server.ts";
import { startFakeTelegram } from "../../fakes/telegram_server.ts";
import { kafclaw, tempHome } from "../../_support/cli.ts";
import {
  fakeOpener,
  holdAnswers,
  launchChromium,
  screenshot,
  startGateway,
} from "../../_support/dashboard.ts";
import { gatewayEnv, telegramEnv } from "../../_support/gateway_env.ts";
import { waitFor } from "../../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const WAIT = { timeout: 30_000 };

/** The text of the element at `selector`, once there is one. */
async function textOf(page: Page, selector: string): Promise<string> {
  const element = await page.waitForSelector(selector, WAIT);
  return await element!.evaluate((e) => e.textContent ?? "");
}

/** A call to the gateway's API on `port` with `token`: GET, or POST of `body` as JSON. */
function callApi(port: number, token: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** Logs in through the login form with `token`. */
async function logIn(page: Page, token: string) {
  await page.waitForSelector("input[name=token]", WAIT);
  await page.$eval("input[name=token]", (e) => {
    (e as unknown as { value: string }).value = "";
  });
  await page.type("input[name=token]", token);
  await page.click("button[type=submit]");
}

Deno.test(
  "the login takes only the gateway's token, and the overview shows the agent",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
    await using gateway = await startGateway(home.path, llm.url);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/`);
    await logIn(page, "not-the-token-of-this-gateway-at-all-000");
    assert.match(await textOf(page, ".login .error"), /not this gateway's token/);
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    await logIn(page, token);
    assert.equal(await textOf(page, "[data-fact=Agent]"), "local");
    assert.equal(await textOf(page, "[data-fact=Mode]"), "standalone");
    assert.equal(await textOf(page, "[data-fact=Model]"), "openai / gpt-test");
    assert.match(await textOf(page, "[data-health]"), /^\s*local/);
    assert.match(await textOf(page, "[data-budget=none]"), /No budget set/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("kafclaw.token")), token);
    await screenshot(page, "overview");
    // A reload keeps the tab logged in; a new tab of another session does not have the token.
    await page.reload();
    assert.equal(await textOf(page, "[data-fact=Agent]"), "local");
    const other = await (await browser.createBrowserContext()).newPage();
    await other.goto(`http://127.0.0.1:${gateway.dashboardPort}/`);
    await other.waitForSelector("input[name=token]", WAIT);
    // A token the gateway no longer takes sends the tab back to the login, saying why.
    await page.evaluate(() =>
      sessionStorage.setItem("kafclaw.token", "a-token-of-another-gateway-0000")
    );
    await page.reload();
    assert.match(await textOf(page, ".login .error"), /no longer takes this tab's token/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem("kafclaw.token")), null);
  },
);

Deno.test(
  "the overview shows each budget the policy sets with what a turn used of it today",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      fallback: { text: "hi", usage: { promptTokens: 300, completionTokens: 100 } },
    });
    await using gateway = await startGateway(home.path, llm.url, {
      env: {
        KAFCLAW_POLICY_DAILY_TOKEN_LIMIT: "10000",
        KAFCLAW_POLICY_DAILY_BUDGET_USD: "0.6",
        KAFCLAW_POLICY_PRICES: JSON.stringify({
          "openai/*": { promptPer1k: 1, completionPer1k: 2 },
        }),
      },
    });
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    const chat = await callApi(gateway.port, token, "/api/v1/chat", { message: "hello" });
    assert.equal(chat.status, 200, await chat.text());
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/`);
    await logIn(page, token);
    const used = (name: string) => textOf(page, `[data-budget=${name}] .budget-used`);
    assert.equal(await used("daily_tokens"), "400 / 10,000");
    // 300 tokens at $1 and 100 at $2 per 1000: $0.50 of $0.60, past 80%.
    assert.equal(await used("daily_usd"), "$0.50 / $0.60");
    const meter = await page.$eval(
      "[data-budget=daily_usd] meter",
      (m) => [m.getAttribute("value"), m.getAttribute("max")],
    );
    assert.deepEqual(meter, ["0.5", "0.6"]);
    assert.equal(await page.$("[data-budget=none]"), null);
    await screenshot(page, "overview-budgets");
  },
);

Deno.test(
  "the overview shows each chat channel the gateway runs and whether it is connected",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
    await using telegram = await startFakeTelegram();
    const channels = {
      ...telegramEnv(telegram),
    };
    await using gateway = await startGateway(home.path, llm.url, { env: channels });
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    const status = await (await callApi(gateway.port, token, "/api/v1/status")).json();
    assert.deepEqual(Object.keys(status.channels), ["telegram"]);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/`);
    await logIn(page, token);
    await page.waitForFunction(
      `document.querySelector("[data-fact=telegram]")?.textContent.startsWith("connected")`,
      WAIT,
    );
    await screenshot(page, "overview-channels");
    // A gateway without channels says so instead of an empty card.
    await using plain = await tempHome();
    await using other = await startGateway(plain.path, llm.url);
    await page.goto(`http://127.0.0.1:${other.dashboardPort}/`);
    await logIn(page, (await Deno.readTextFile(`${plain.path}/gateway.token`)).trim());
    assert.match(await textOf(page, "[data-card=channels] p"), /No chat channel is enabled/);
  },
);

Deno.test(
  "a turn beside the gateway appears on the timeline live, without a reload",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "the fake model answers" } });
    await using gateway = await startGateway(home.path, llm.url);
    await using browser = await launchChromium();
    const page = await browser.newPage();
    // The first page of events reaches the browser only after the turn came over the stream, as
    // on a busy machine: what came live must stay when that (older) page arrives.
    const firstPage = await holdAnswers(page, "/api/v1/timeline?limit=50");
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/#/timeline`);
    await logIn(page, (await Deno.readTextFile(`${home.path}/gateway.token`)).trim());
    await page.waitForSelector("[data-stream=live]", WAIT);
    const message = `hello from the browser test ${crypto.randomUUID().slice(0, 8)}`;
    const turn = await kafclaw(["agent", "-m", message], gatewayEnv(home.path, llm));
    assert.equal(turn.code, 0, turn.stderr);
    // Marked fresh: it came over the stream, not with the page's first load.
    const freshRow = `[...document.querySelectorAll(".event.fresh")]
      .some((e) => e.textContent.includes(${JSON.stringify(message)}))`;
    await page.waitForFunction(freshRow, WAIT);
    await page.waitForFunction(`document.querySelectorAll(".event.fresh").length >= 2`, WAIT);
    firstPage.release();
    await page.waitForSelector("[data-list=loaded]", WAIT);
    assert.ok(await page.evaluate(freshRow), "the live rows stay when the first page arrives");
    const rows = await page.$$eval(".event.fresh", (all) => all.map((e) => e.textContent ?? ""));
    assert.match(rows.find((row) => row.includes(message)) ?? "", /INBOUND/);
    await screenshot(page, "timeline-live");
    // The filter asks the API again, and the live stream follows it: the list is loaded once it
    // holds INBOUND events alone (an empty list while the page loads does not count).
    await page.select("select[name=kind]", "INBOUND");
    await page.click(".filters button[type=submit]");
    const kinds = () => page.$$eval(".event .kind", (all) => all.map((k) => k.textContent));
    const loaded = () => page.$$eval("[data-list=loaded]", (all) => all.length === 1);
    await waitFor(
      async () => {
        const shown = await kinds();
        return await loaded() && shown.length > 0 && shown.every((kind) => kind === "INBOUND");
      },
      "only INBOUND events",
    );
    // An event's own trace, from its details: the turn's events, and only they.
    await page.click(".event[data-id] .event-head");
    await (await page.waitForSelector("[data-narrow=trace]", WAIT))!.click();
    await page.waitForFunction(
      `document.querySelector("input[name=trace]").value.length === 32`,
      WAIT,
    );
    const trace = await page.$eval(
      "input[name=trace]",
      (e) => (e as unknown as { value: string }).value,
    );
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    const listed =
      await (await fetch(`http://127.0.0.1:${gateway.port}/api/v1/timeline?trace=${trace}`, {
        headers: { authorization: `Bearer ${token}` },
      })).json();
    assert.ok(listed.items.length >= 2, JSON.stringify(listed.items));
    await waitFor(
      async () => await loaded() && (await kinds()).length === listed.items.length,
      "the trace's events alone",
    );
    assert.ok((await kinds()).includes("LLM"));
    await screenshot(page, "timeline-trace");
  },
);

Deno.test(
  "--open logs the browser in through a one-time code, which leaves the address",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
    const { bin, opened } = await fakeOpener(home.path);
    await using _gateway = await startGateway(home.path, llm.url, {
      args: ["--open"],
      pathFirst: bin,
    });
    let url = "";
    await waitFor(
      async () => (url = await Deno.readTextFile(opened).catch(() => "")) !== "",
      "--open",
    );
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(url);
    assert.equal(await textOf(page, "[data-fact=Agent]"), "local");
    assert.ok(!page.url().includes("code="), page.url());
    await screenshot(page, "open");
    // The code is spent: the same link again asks for the token.
    const again = await browser.newPage();
    await again.goto(url);
    assert.match(await textOf(again, ".login .error"), /login link did not work/);
  },
);

Deno.test(
  "a tool call waiting for the owner is approved on the approvals page, and runs",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      chat: [{
        toolCalls: [{
          id: "w1",
          name: "write_file",
          arguments: { path: "p.txt", content: "yes\n" },
        }],
      }],
      fallback: { text: "Written." },
    });
    await using gateway = await startGateway(home.path, llm.url, {
      env: { KAFCLAW_POLICY_MAX_AUTO_TIER: "0" },
    });
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/#/approvals`);
    await logIn(page, token);
    assert.match(await textOf(page, ".empty"), /No approval waits/);
    // A turn through the API whose write waits for the owner.
    const turn = fetch(`http://127.0.0.1:${gateway.port}/api/v1/chat`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "write p.txt" }),
    });
    assert.match(await textOf(page, ".approval h3"), /write_file/);
    assert.match(await textOf(page, ".approval .raw"), /"path": "p.txt"/);
    await screenshot(page, "approval-pending");
    await page.click("button[data-answer=approve]");
    const answer = await (await turn).json();
    assert.equal(answer.content, "Written.");
    assert.equal(await Deno.readTextFile(`${home.path}/workspace/p.txt`), "yes\n");
    assert.match(await textOf(page, ".empty"), /No approval waits/);
    await screenshot(page, "approval-done");
  },
);

Deno.test(
  "chat streams the agent's answer into the page, Stop ends a turn, and the session is kept",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      chat: [
        // The first answer streams its first words, then never ends: what shows came streamed.
        { text: "Thinking about Peru", hang: true },
        { text: "The capital of Peru is Lima.", chunks: ["The capital ", "of Peru ", "is Lima."] },
      ],
    });
    await using gateway = await startGateway(home.path, llm.url);
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/#/chat`);
    await logIn(page, token);
    await page.waitForSelector("textarea[name=message]", WAIT);
    const answer = ".bubble-assistant:last-child .text";

    await page.type("textarea[name=message]", "Where is the capital of Peru?");
    await page.click(".chat-form button[type=submit]");
    // The words the model sent so far show while its turn still runs.
    await page.waitForSelector(".bubble-assistant[data-state=streaming]", WAIT);
    await page.waitForFunction(
      `document.querySelector(${JSON.stringify(answer)})?.textContent.includes("Thinking about")`,
      WAIT,
    );
    await screenshot(page, "chat-streaming");
    await page.click("button[data-stop]");
    await page.waitForSelector(".bubble-assistant[data-state=stopped]", WAIT);
    await waitFor(() => llm.abandonedStreams().length === 1, "the model's stream given up");

    await page.type("textarea[name=message]", "And now, please?");
    await page.click(".chat-form button[type=submit]");
    await page.waitForSelector(".bubble-assistant:last-child[data-state=done]", WAIT);
    assert.equal(await textOf(page, answer), "The capital of Peru is Lima.");
    // The second turn continued the session of the first: the model saw the first question.
    const asked = JSON.stringify(llm.chatRequests().at(-1)!.body);
    assert.match(asked, /Where is the capital of Peru\?/);
    await screenshot(page, "chat-answered");

    // A reload reads the session back from the API.
    await page.reload();
    await page.waitForFunction(
      `[...document.querySelectorAll(".bubble")].some((b) => b.textContent.includes("Lima."))`,
      WAIT,
    );
    const shown = await page.$$eval(".bubble .text", (all) => all.map((e) => e.textContent));
    assert.ok(shown.includes("And now, please?"), JSON.stringify(shown));
    assert.ok(shown.includes("The capital of Peru is Lima."), JSON.stringify(shown));
    const session = await callApi(gateway.port, token, "/api/v1/sessions/api:default");
    assert.equal(session.status, 200);
    assert.match(JSON.stringify(await session.json()), /Lima/);
  },
);

Deno.test(
  "a task delegated between two agents opens as a graph with a node per span of each agent",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      models: { "gpt-helper": [{ text: "Lima" }] },
      fallback: { text: "not scripted" },
    });
    const agents = JSON.stringify([
      { id: "asker", default: true, model: "openai/gpt-asker" },
      { id: "helper", default: false, model: "openai/gpt-helper" },
    ]);
    const env = { KAFCLAW_AGENTS_LIST: agents };
    await using gateway = await startGateway(home.path, llm.url, { env });
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    const submitted = await kafclaw(
      ["task", "submit", "What is the capital of Peru?", "--to", "helper", "--wait", "--json"],
      gatewayEnv(home.path, llm, env),
    );
    assert.equal(submitted.code, 0, submitted.stderr);
    const taskId = (JSON.parse(submitted.stdout) as { task_id: string }).task_id;
    // The helper's spans reach the lead over the group's traces topic, a moment after the answer.
    const traceOf = async () => {
      const response = await callApi(gateway.port, token, `/api/v1/group/tasks/${taskId}/trace`);
      return response.ok ? await response.json() : { agents: [], spans: 0 };
    };
    let trace: { agents: string[]; spans: number; trace_id: string } = await traceOf();
    await waitFor(
      async () => (trace = await traceOf()).agents.length === 2 && trace.spans >= 5,
      "the spans of both agents at the lead",
      { state: () => trace },
    );

    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/#/traces`);
    await logIn(page, token);
    // The task is listed among those sent; its link opens the graph.
    await (await page.waitForSelector(`tr[data-task="${taskId}"] a`, WAIT))!.click();
    await page.waitForSelector("svg.trace-graph g.node", WAIT);
    await waitFor(
      async () => (await page.$$("svg.trace-graph g.node")).length === trace.spans,
      "a node per span",
    );
    const nodes = await page.$$eval(
      "svg.trace-graph g.node",
      (all) => all.map((n) => [n.getAttribute("data-agent"), n.textContent ?? ""]),
    );
    assert.deepEqual([...new Set(nodes.map(([agent]) => agent))].sort(), ["asker", "helper"]);
    assert.ok(nodes.some(([a, text]) => a === "helper" && /llm openai\/gpt-helper/.test(text!)));
    assert.ok(nodes.every(([, text]) => /\d+(\.\d+)? (ms|s)|open/.test(text!)), "timings shown");
    // Arrows join each span to those it started: one less than the spans of a single tree.
    const edges = await page.$$eval("svg.trace-graph .edge", (all) => all.length);
    assert.ok(edges >= trace.spans - 1, `${edges} arrows for ${trace.spans} spans`);
    assert.equal(await page.$$eval("table.timings tbody tr", (r) => r.length), trace.spans);
    assert.match(await textOf(page, ".trace-title"), new RegExp(taskId));
    await screenshot(page, "trace-graph");
  },
);

/** How many pixels of the chart's canvas are about the colour `rgb`. */
function pixelsOf(page: Page, rgb: [number, number, number]): Promise<number> {
  return page.$eval(".latency-chart canvas", (canvas, [r, g, b]) => {
    const c = canvas as unknown as {
      width: number;
      height: number;
      getContext(kind: "2d"): { getImageData(...a: number[]): { data: Uint8ClampedArray } };
    };
    const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      const near = Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) +
        Math.abs(data[i + 2]! - b!);
      if (data[i + 3]! > 200 && near < 40) n++;
    }
    return n;
  }, rgb);
}

Deno.test(
  "the latency page charts the turns and LLM calls the agent made",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      chat: [{ text: "first", delayMs: 30 }, { text: "second", delayMs: 120 }],
    });
    await using gateway = await startGateway(home.path, llm.url);
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/#/latency`);
    await logIn(page, token);
    // Before any turn there is nothing to chart.
    assert.match(await textOf(page, ".empty"), /Nothing to chart yet/);
    for (const message of ["one", "two"]) {
      const answer = await callApi(gateway.port, token, "/api/v1/chat", { message });
      assert.equal(answer.status, 200, await answer.text());
    }
    await page.reload();
    await page.waitForSelector(".latency-chart canvas", WAIT);
    assert.equal(await textOf(page, "[data-series=turns] [data-count]"), "2");
    assert.equal(await textOf(page, "[data-series=llm] [data-count]"), "2");
    assert.equal(await textOf(page, "[data-series=tasks] [data-count]"), "0");
    // The slowest LLM call took at least the fake model's delay.
    const slowest = await textOf(page, "[data-series=llm] td:last-child");
    assert.ok(Number.parseInt(slowest) >= 120, slowest);
    // The canvas has the turns' and the LLM calls' colours on it: the series were drawn.
    await waitFor(async () => (await pixelsOf(page, [47, 95, 208])) > 20, "the turns drawn");
    await waitFor(async () => (await pixelsOf(page, [31, 138, 76])) > 20, "the LLM calls drawn");
    await screenshot(page, "latency");
  },
);

Deno.test(
  "without a group, the traces page says so and draws one of this agent's turns",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({
      chat: [
        { toolCalls: [{ id: "r1", name: "list_dir", arguments: { path: "." } }] },
        { text: "Nothing much here." },
      ],
    });
    await using gateway = await startGateway(home.path, llm.url);
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    const said = await callApi(gateway.port, token, "/api/v1/chat", {
      message: "what is in the workspace?",
    });
    assert.equal((await said.json()).content, "Nothing much here.");
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${gateway.dashboardPort}/#/traces`);
    await logIn(page, token);
    assert.match(await textOf(page, ".empty"), /standalone mode/);
    await (await page.waitForSelector("tr[data-turn] a", WAIT))!.click();
    await page.waitForSelector("svg.trace-graph g.node", WAIT);
    const traceId = page.url().split("/").at(-1)!;
    const tree = await (await callApi(gateway.port, token, `/api/v1/traces/${traceId}`)).json();
    const count = (nodes: { children: unknown[] }[]): number =>
      nodes.reduce((n, node) => n + 1 + count(node.children as { children: unknown[] }[]), 0);
    const types = await page.$$eval(
      "svg.trace-graph g.node",
      (all) => all.map((n) => n.getAttribute("data-type")),
    );
    assert.equal(types.length, count(tree.roots));
    for (const kind of ["INBOUND", "LLM", "TOOL"]) assert.ok(types.includes(kind), types.join());
    await screenshot(page, "trace-turn");
  },
);

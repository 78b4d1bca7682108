/**
 * What the dashboard's tests share: a standalone gateway started as a user starts it (ports 0,
 * the fake LLM), a stand-in for the system's browser opener, and headless Chromium (Debian's
 * `chromium`, or `KAFCLAW_CHROMIUM`) driven by puppeteer-core, with screenshots kept under
 * `.tmp/dashboard/` as the tests' artifacts.
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { kafclawCommand } from "./cli.ts";
import { gatewayEnv, startedGateway } from "./gateway_env.ts";

const root = new URL("../../", import.meta.url).pathname;

/** A running `kafclaw gateway --json ARGS` (gateway_env.ts's environment) and its ports. */
export async function startGateway(
  home: string,
  llm: string,
  options: {
    readonly args?: string[];
    readonly pathFirst?: string;
    /** More environment (`KAFCLAW_POLICY_MAX_AUTO_TIER` …). */
    readonly env?: Record<string, string>;
  } = {},
) {
  const env = gatewayEnv(home, { url: llm }, options.env);
  if (options.pathFirst) env.PATH = `${options.pathFirst}:${Deno.env.get("PATH") ?? "/usr/bin"}`;
  const command = kafclawCommand(["gateway", "--json", ...options.args ?? []], env);
  const { child, port, dashboard } = await startedGateway(command, "kafclaw gateway");
  return {
    child,
    port,
    dashboardPort: dashboard,
    [Symbol.asyncDispose]: () => child[Symbol.asyncDispose](),
  };
}

/** A folder holding an `xdg-open` that writes its argument to `opened` and exits `code`. */
export async function fakeOpener(dir: string, code = 0) {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  const opened = `${dir}/opened.txt`;
  await Deno.writeTextFile(
    `${bin}/xdg-open`,
    `#!/bin/sh\nprintf '%s' "$1" > ${opened}\nexit ${code}\n`,
    { mode: 0o755 },
  );
  return { bin, opened };
}

/** Headless Chromium; as root without its own sandbox, which needs user namespaces it may lack. */
export async function launchChromium(): Promise<Browser & AsyncDisposable> {
  const executablePath = Deno.env.get("KAFCLAW_CHROMIUM") ?? "/usr/bin/chromium";
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      ...(Deno.uid() === 0 ? ["--no-sandbox"] : []),
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
    ],
  });
  return Object.assign(browser, { [Symbol.asyncDispose]: () => browser.close() });
}

/** Saves a screenshot of `page` as `.tmp/dashboard/NAME.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = `${root}.tmp/dashboard`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${name}.png`;
  await page.screenshot({ path: path as `${string}.png`, fullPage: true });
  return path;
}

/**
 * Holds the answers to `page`'s GET requests whose URL ends with `suffix`: each is asked of the
 * server at once (so it reflects that moment) but reaches the page only after `release()`, as on
 * a slow or busy machine. Every other request goes through untouched.
 */
export async function holdAnswers(page: Page, suffix: string) {
  let release = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  await page.setRequestInterception(true);
  page.on("request", async (request) => {
    if (request.method() !== "GET" || !request.url().endsWith(suffix)) {
      return void request.continue();
    }
    const answer = await fetch(request.url(), { headers: request.headers() });
    const body = await answer.text();
    await released;
    await request.respond({
      status: answer.status,
      headers: Object.fromEntries(answer.headers),
      body,
    });
  });
  return { release };
}

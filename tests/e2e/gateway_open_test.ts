/**
 * `kafclaw gateway --open` as a user runs it: the system's opener (a stand-in `xdg-open` first on
 * PATH that notes its argument) gets the dashboard's address with a one-time code in its fragment
 * and never the token; the page trades that code for the token once; an opener that fails is one
 * line saying how to open the dashboard by hand.
 */
import assert from "node:assert/strict";
import { startFakeOpenAI } from "../fakes/openai_server.ts";
import { tempHome } from "../_support/cli.ts";
import { fakeOpener, startGateway } from "../_support/dashboard.ts";
import { waitFor } from "../_support/wait.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test(
  "--open hands the browser a one-time code, never the token, traded once for it",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
    const { bin, opened } = await fakeOpener(home.path);
    await using started = await startGateway(home.path, llm.url, {
      args: ["--open"],
      pathFirst: bin,
    });
    const { child: gateway, dashboardPort: dashboard_port } = started;
    let url = "";
    await waitFor(
      async () => (url = await Deno.readTextFile(opened).catch(() => "")) !== "",
      "the opener",
    );
    const token = (await Deno.readTextFile(`${home.path}/gateway.token`)).trim();
    assert.ok(!url.includes(token), "the token is not in the URL");
    const match = new RegExp(`^http://127\\.0\\.0\\.1:${dashboard_port}/#code=([\\w-]{40,})$`).exec(
      url,
    );
    assert.ok(match, url);
    const trade = () =>
      fetch(`http://127.0.0.1:${dashboard_port}/login/code`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: `http://127.0.0.1:${dashboard_port}`,
        },
        body: JSON.stringify({ code: match[1] }),
      });
    const first = await trade();
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { token });
    const again = await trade();
    assert.equal(again.status, 401);
    await again.body?.cancel();
    assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
    assert.ok(!gateway.stdout.includes(token) && !gateway.stderr.includes(token));
  },
);

Deno.test(
  "--open with an opener that fails says how to open the dashboard by hand",
  opts,
  async () => {
    await using home = await tempHome();
    await using llm = await startFakeOpenAI({ fallback: { text: "hi" } });
    const { bin } = await fakeOpener(home.path, 3);
    await using started = await startGateway(home.path, llm.url, {
      args: ["--open"],
      pathFirst: bin,
    });
    const { child: gateway, dashboardPort: dashboard_port } = started;
    await gateway.until(/--open: xdg-open failed/, "stderr");
    assert.match(
      gateway.stderr,
      new RegExp(
        `kafclaw: --open: xdg-open failed \\(exit 3\\); open http://127\\.0\\.0\\.1:${dashboard_port}/ ` +
          "and log in with the gateway's token\\n",
      ),
    );
    assert.ok(!gateway.stderr.includes("#code="), "no code where logs keep it");
    assert.equal(await gateway.stop("SIGTERM"), 0, gateway.stderr);
  },
);

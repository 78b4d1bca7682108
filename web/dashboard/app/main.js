/**
 * The dashboard's single-page app: a login that keeps the gateway's token for this tab (or takes
 * it from a one-time code that `kafclaw gateway --open` puts in the URL's fragment), then the
 * pages, picked by the URL's fragment (`#/timeline`).
 *
 * @module
 */
import { html, render, useEffect, useState } from "./html.js";
import { api, ApiError, forgetToken, redeemCode, REFUSED, savedToken, saveToken } from "./api.js";
import { Overview } from "./pages/overview.js";
import { Timeline } from "./pages/timeline.js";
import { Approvals } from "./pages/approvals.js";
import { Chat } from "./pages/chat.js";
import { Traces } from "./pages/traces.js";
import { Latency } from "./pages/latency.js";
import { Group } from "./pages/group.js";
import { Memory } from "./pages/memory.js";
import { Scheduler } from "./pages/scheduler.js";
import { Settings } from "./pages/settings.js";
import { Kshark } from "./pages/kshark.js";

const PAGES = [
  ["overview", "Overview", () => html`<${Overview} />`],
  ["timeline", "Timeline", () => html`<${Timeline} />`],
  ["approvals", "Approvals", () => html`<${Approvals} />`],
  ["chat", "Chat", () => html`<${Chat} />`],
  ["traces", "Traces", () => html`<${Traces} />`],
  ["latency", "Latency", () => html`<${Latency} />`],
  ["group", "Group", () => html`<${Group} />`],
  ["memory", "Memory", () => html`<${Memory} />`],
  ["scheduler", "Scheduler", () => html`<${Scheduler} />`],
  ["settings", "Settings", () => html`<${Settings} />`],
  ["kshark", "kshark", () => html`<${Kshark} />`],
];

function routeOf(hash) {
  const key = hash.replace(/^#\/?/, "").split(/[?/]/)[0];
  return PAGES.some(([k]) => k === key) ? key : "overview";
}

function Login({ onToken, notice }) {
  const [token, setToken] = useState("");
  // The notice (a login link that failed) may come after the form is shown.
  const [error, setError] = useState(undefined);
  const shown = error ?? notice;
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      await api("/api/v1/status", { token: token.trim() });
      onToken(token.trim());
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? "That is not this gateway's token."
          : `The gateway does not answer: ${err.message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="login">
      <form onSubmit=${submit}>
          <h1>KafClaw</h1>
          <p>Enter the gateway's token. It is in <code>$KAFCLAW_HOME/gateway.token</code>
            (or <code>gateway.authToken</code>); <code>kafclaw gateway --open</code> logs in for you.
            This tab keeps it until it closes.</p>
          <label>Token <input type="password" name="token" autocomplete="current-password"
            value=${token} onInput=${(e) => setToken(e.currentTarget.value)} autofocus /></label>
          <button type="submit" disabled=${busy || token.trim() === ""}>Log in</button>
          ${shown && html`<p class="error" role="alert">${shown}</p>`}
        </form>
    </main>
  `;
}

function Shell({ onLogout }) {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const moved = () => setRoute(routeOf(location.hash));
    addEventListener("hashchange", moved);
    return () => removeEventListener("hashchange", moved);
  }, []);
  const page = PAGES.find(([key]) => key === route);
  return html`
    <div class="shell">
      <header>
        <strong>KafClaw</strong>
        <nav>${PAGES.map(([key, label]) =>
          html`<a href=${`#/${key}`} class=${key === route ? "active" : ""}>${label}</a>`
        )}</nav>
        <button class="logout" onClick=${onLogout}>Log out</button>
      </header>
      <main id="page" data-page=${route}><h1>${page[1]}</h1>${page[2]()}</main>
    </div>
  `;
}

function App() {
  const [token, setToken] = useState(savedToken());
  const [notice, setNotice] = useState(undefined);
  useEffect(() => {
    const code = /^#code=([\w-]+)$/.exec(location.hash)?.[1];
    if (code === undefined) return;
    // The code leaves the address bar (and the history) before it is used.
    history.replaceState(null, "", `${location.pathname}#/overview`);
    redeemCode(code).then((t) => {
      saveToken(t);
      setToken(t);
    }, (err) => setNotice(`The login link did not work (${err.message}); enter the token.`));
  }, []);
  useEffect(() => {
    // A token the gateway stops taking (another gateway.authToken, a new home) sends the tab back
    // to the login, saying why.
    const refused = () => {
      forgetToken();
      setToken(null);
      setNotice("The gateway no longer takes this tab's token; enter the current one.");
    };
    addEventListener(REFUSED, refused);
    return () => removeEventListener(REFUSED, refused);
  }, []);
  const logout = () => {
    forgetToken();
    setToken(null);
  };
  if (!token) {
    return html`<${Login} notice=${notice} onToken=${(t) => {
      saveToken(t);
      setNotice(undefined);
      setToken(t);
    }} />`;
  }
  return html`<${Shell} onLogout=${logout} />`;
}

render(html`<${App} />`, document.getElementById("app"));

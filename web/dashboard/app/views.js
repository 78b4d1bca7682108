/**
 * Small views the pages share: an error line, an empty state, a key/value table, a time.
 *
 * @module
 */
import { html } from "./html.js";

/** What an API error means to the reader, in one line. */
export function ErrorLine({ error }) {
  if (!error) return null;
  const text = error.status === 401
    ? "The gateway refused the token (it changed, or the gateway restarted with another)."
    : error.status === undefined
    ? `The gateway does not answer (${error.message}).`
    : `${error.message} (${error.code ?? error.status})`;
  return html`<p class="error" role="alert">${text}</p>`;
}

/** A page part that has nothing to show yet, and why. */
export function Empty({ title, children }) {
  return html`
    <div class="empty">
      <h3>${title}</h3>
      <p>${children}</p>
    </div>
  `;
}

/** Rows of label and value. */
export function Facts({ rows }) {
  return html`<dl class="facts">${
    rows.map(([label, value]) =>
      html`
        <div class="fact">
          <dt>${label}</dt>
          <dd data-fact=${label}>${value}</dd>
        </div>
      `
    )
  }</dl>`;
}

/** A duration in seconds as "3d 4h 5m" (seconds only under a minute). */
export function duration(seconds) {
  if (seconds < 60) return `${seconds}s`;
  const parts = [];
  const units = [["d", 86400], ["h", 3600], ["m", 60]];
  let rest = seconds;
  for (const [unit, size] of units) {
    if (rest >= size) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  return parts.join(" ");
}

/** A time of day for an ISO date, with the full date on hover. */
export function Time({ iso }) {
  if (!iso) return html`<span>—</span>`;
  const date = new Date(iso);
  return html`<time datetime=${iso} title=${date.toString()}>${date.toLocaleTimeString()}</time>`;
}

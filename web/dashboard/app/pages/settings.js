/**
 * Settings (`/api/v1/settings`): the configuration the gateway runs with, one dotted key a row,
 * secrets masked, narrowed by a filter; and a form that writes one key of config.json through
 * the API, which checks it as `kafclaw config set` does: its refusal (a value out of range, an
 * unknown key, a secret or a gateway key the API does not write) is shown as it says it. A change
 * takes effect when the gateway starts again.
 *
 * @module
 */
import { html, useState } from "../html.js";
import { api } from "../api.js";
import { useApi } from "../hooks.js";
import { useAction } from "../action.js";
import { ErrorLine } from "../views.js";

/** `values` (nested objects) as [dotted key, value] rows, sorted. */
export function flatten(values, prefix = "") {
  const rows = [];
  for (const [key, value] of Object.entries(values)) {
    const path = `${prefix}${key}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      rows.push(...flatten(value, `${path}.`));
    } else rows.push([path, value]);
  }
  return rows.sort(([a], [b]) => a.localeCompare(b));
}

function shown(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Change({ draft, setDraft, onSaved }) {
  const [saved, setSaved] = useState(undefined);
  const { busy, error, run } = useAction();
  const submit = (e) => {
    e.preventDefault();
    setSaved(undefined);
    run(async () => {
      setSaved(
        await api("/api/v1/settings", {
          method: "PUT",
          body: { key: draft.key.trim(), value: draft.value },
        }),
      );
      onSaved();
    });
  };
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.currentTarget.value });
  return html`<form class="change" onSubmit=${submit}>
    <h2>Change a key</h2>
    <p class="muted">Written to config.json as <code>kafclaw config set</code> writes it; the
      gateway uses it from its next start. Secrets, paths and the gateway's own keys are set with
      the config command.</p>
    <label>Key <input name="key" value=${draft.key} onInput=${set("key")}
      placeholder="agent.historyMessages" /></label>
    <label>Value <input name="value" value=${draft.value} onInput=${set("value")}
      placeholder="40, true, a,b or JSON" /></label>
    <button type="submit" disabled=${busy || draft.key.trim() === ""}>Save</button>
    <${ErrorLine} error=${error} />
    ${
    saved && html`<p class="saved" role="status">
      <code>${saved.key}</code> = <code>${shown(saved.value)}</code> is in ${saved.file}; it
      takes effect when the gateway starts again.</p>`
  }
  </form>`;
}

/** The running configuration and the form that changes one key. */
export function Settings() {
  const { data, error, loading, reload } = useApi("/api/v1/settings");
  const [filter, setFilter] = useState("");
  const [draft, setDraft] = useState({ key: "", value: "" });
  if (loading) return html`<p class="muted">Loading…</p>`;
  const rows = data ? flatten(data.values) : [];
  const wanted = filter.trim().toLowerCase();
  const visible = rows.filter(([key]) => key.toLowerCase().includes(wanted));
  return html`
    <${ErrorLine} error=${error} />
    ${data && html`<p class="muted">The gateway runs with these values (from ${data.file},
      the environment and the defaults).</p>`}
    <${Change} draft=${draft} setDraft=${setDraft} onSaved=${reload} />
    <label class="filter">Filter <input name="filter" value=${filter}
      onInput=${(e) => setFilter(e.currentTarget.value)} placeholder="group." /></label>
    <table class="settings">
      <tbody>${visible.map(([key, value]) =>
        html`
          <tr data-key=${key}>
            <th><code>${key}</code></th>
            <td>${shown(value)}</td>
            <td><button data-edit=${key} onClick=${() =>
              setDraft({ key, value: typeof value === "string" ? value : JSON.stringify(value) })}>
                    Change</button></td>
          </tr>
        `
      )}</tbody>
    </table>
  `;
}

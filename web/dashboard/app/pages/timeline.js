/**
 * Timeline: the agent's events, newest first, filtered by kind, session, channel and trace, a page
 * at a time (`/api/v1/timeline`); while "live" is on, events stored from then on arrive over
 * server-sent events (`/api/v1/timeline/stream`, same filters) and are marked as new. An event
 * that arrives live before the first page does stays when the page comes. The list carries
 * `data-list="loading"` until the page of the current filters is in, then `"loaded"`.
 *
 * @module
 */
import { html, useEffect, useState } from "../html.js";
import { api, follow } from "../api.js";
import { ErrorLine, Time } from "../views.js";

const FIELDS = [["session", "Session"], ["channel", "Channel"], ["trace", "Trace id"]];

function queryOf(filters, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) {
    if (value !== "" && value !== undefined) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

function Filters({ value, kinds, onChange }) {
  const [draft, setDraft] = useState(value);
  // A filter set from an event ("this trace only") shows in the form too.
  useEffect(() => setDraft(value), [value]);
  const set = (key) => (e) => setDraft({ ...draft, [key]: e.currentTarget.value.trim() });
  const submit = (e) => {
    e.preventDefault();
    onChange(draft);
  };
  return html`<form class="filters" onSubmit=${submit}>
    <label>Kind <select name="kind" value=${draft.kind} onChange=${set("kind")}>
      <option value="">any</option>
      ${kinds.map((k) => html`<option value=${k}>${k}</option>`)}
    </select></label>
    ${
    FIELDS.map(([key, label]) =>
      html`<label>${label} <input name=${key} value=${draft[key]} onInput=${set(key)} /></label>`
    )
  }
    <button type="submit">Filter</button>
  </form>`;
}

/** The events of `page`, after those that came live while it loaded (newest first, once each). */
function withStreamed(page, streamed) {
  const listed = new Set(page.map((e) => e.id));
  return [...streamed.filter((e) => !listed.has(e.id)), ...page];
}

function EventRow({ event, fresh, onFilter }) {
  const [open, setOpen] = useState(false);
  return html`<li class=${`event kind-${event.kind}${fresh ? " fresh" : ""}`} data-id=${event.id}>
    <button class="event-head" onClick=${() => setOpen(!open)} aria-expanded=${open}>
      <${Time} iso=${event.started_at} />
      <span class="kind">${event.kind}</span>
      <span class="where">${event.channel ?? ""} ${event.session_key ?? ""}</span>
      <span class="text">${event.content_text || "(no text)"}</span>
      <span class="ms">${event.duration_ms === null ? "open" : `${event.duration_ms} ms`}</span>
    </button>
    ${
    open && html`
      <div class="event-detail">
        <p class="narrow">
              <button data-narrow="trace" onClick=${() =>
                onFilter({ trace: event.trace_id })}>This trace only</button>
              ${event.session_key && html`<button data-narrow="session" onClick=${() =>
                onFilter({ session: event.session_key })}>This session only</button>`}
            </p>
        <pre>${JSON.stringify(
          {
            trace_id: event.trace_id,
            span_id: event.span_id,
            parent_span_id: event.parent_span_id,
            sender: event.sender,
            taint: event.taint,
            zone: event.zone,
            metadata: event.metadata,
          },
          null,
          2,
        )}</pre>
      </div>
    `
  }
  </li>`;
}

export function Timeline() {
  const [filters, setFilters] = useState({ kind: "", session: "", channel: "", trace: "" });
  const [events, setEvents] = useState([]);
  const [fresh, setFresh] = useState(new Set());
  const [next, setNext] = useState(null);
  const [error, setError] = useState(undefined);
  const [live, setLive] = useState(true);
  const [stream, setStream] = useState("off");
  const [kinds, setKinds] = useState([]);
  // The filters whose first page is shown: the list is loading while they are not the current.
  const [loadedFor, setLoadedFor] = useState(undefined);

  useEffect(() => {
    const abort = new AbortController();
    setEvents([]);
    setFresh(new Set());
    api(`/api/v1/timeline${queryOf(filters, { limit: 50 })}`, { signal: abort.signal })
      .then((page) => {
        // The stream may have brought events while the page loaded: they stay.
        setEvents((streamed) => withStreamed(page.items, streamed));
        setLoadedFor(filters);
        setNext(page.next);
        setKinds(page.kinds);
        setError(undefined);
      })
      .catch((e) => {
        if (abort.signal.aborted) return;
        setError(e);
        setLoadedFor(filters);
      });
    return () => abort.abort();
  }, [filters]);

  useEffect(() => {
    if (!live) {
      setStream("off");
      return;
    }
    const abort = new AbortController();
    setStream("connecting");
    follow(`/api/v1/timeline/stream${queryOf(filters)}`, {
      signal: abort.signal,
      onState: (state) => {
        if (typeof state === "string") setStream(state);
        else {
          setStream("stopped");
          setError(state);
        }
      },
      onEvent: (name, event) => {
        if (name !== "timeline") return;
        setEvents((old) => old.some((e) => e.id === event.id) ? old : [event, ...old]);
        setFresh((old) => new Set(old).add(event.id));
      },
    });
    return () => abort.abort();
  }, [filters, live]);

  const narrow = (only) => setFilters({ kind: "", session: "", channel: "", trace: "", ...only });
  const older = async () => {
    try {
      const page = await api(`/api/v1/timeline${queryOf(filters, { limit: 50, before: next })}`);
      setEvents((old) => [...old, ...page.items]);
      setNext(page.next);
    } catch (e) {
      setError(e);
    }
  };

  const list = loadedFor === filters ? "loaded" : "loading";
  return html`
    <${Filters} value=${filters} kinds=${kinds} onChange=${setFilters} />
    <p class="stream">
      <label><input type="checkbox" checked=${live} onChange=${(e) =>
        setLive(e.currentTarget.checked)} /> Live</label>
      <span class=${`stream-state stream-${stream}`} data-stream=${stream}>${stream}</span>
    </p>
    <${ErrorLine} error=${error} />
    ${events.length === 0
      ? html`<p class="muted" data-list=${list}>${
        list === "loading"
          ? "Loading…"
          : `No events${Object.values(filters).some(Boolean) ? " match these filters" : " yet"}.`
      }</p>`
      : html`<ol class="events" data-list=${list}>${
        events.map((e) =>
          html`<${EventRow} key=${e.id} event=${e} fresh=${fresh.has(e.id)} onFilter=${narrow} />`
        )
      }</ol>`}
    ${next !== null && html`<button class="older" onClick=${older}>Older events</button>`}
  `;
}

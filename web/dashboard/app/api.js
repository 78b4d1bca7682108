/**
 * The dashboard's calls to the gateway's API: the token kept for this tab (sessionStorage, so it
 * leaves with the tab and is never in a URL), sent as `Authorization: Bearer`; JSON calls; and
 * server-sent events read through fetch (EventSource cannot send the header).
 *
 * @module
 */

const TOKEN_KEY = "kafclaw.token";

/** The token of this tab, or null before the login. */
export function savedToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** Keeps `token` for this tab. */
export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Forgets the token (log out, or the gateway no longer takes it). */
export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The API's origin: this page's host name on the API's port (in the page's meta tag). */
export function apiOrigin() {
  const port = document.querySelector('meta[name="kafclaw-api-port"]')?.content;
  return `${location.protocol}//${location.hostname}:${port}`;
}

/** An answer of the API that is not a success, with the API's code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function failure(response) {
  let body;
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  const error = body?.error;
  const code = typeof error === "object" && error !== null ? error.code : undefined;
  const message = typeof error === "object" && error !== null ? error.message : error;
  return new ApiError(
    response.status,
    code ?? (response.status === 404 ? "not_found" : `http_${response.status}`),
    message ?? response.statusText,
  );
}

/** The event the window gets when the API refuses the tab's token: the app goes back to login. */
export const REFUSED = "kafclaw:token-refused";

function refused(error, explicit) {
  if (error.status === 401 && explicit === undefined) dispatchEvent(new Event(REFUSED));
  return error;
}

/** Calls the API at `path` with the tab's token (or `token`); the JSON answer, or an ApiError. */
export async function api(path, { method = "GET", body, token, signal } = {}) {
  const headers = { authorization: `Bearer ${token ?? savedToken() ?? ""}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${apiOrigin()}${path}`, {
    method,
    headers,
    signal,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw refused(await failure(response), token);
  return await response.json();
}

/** Trades a one-time login code (from `kafclaw gateway --open`) for the token, on this origin. */
export async function redeemCode(code) {
  const response = await fetch("/login/code", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()).token;
}

/**
 * Splits SSE text into events; returns the events, the unfinished rest, and the last id that a
 * complete block set (a block with an id and no data sets it without being an event).
 */
export function parseSse(text) {
  const events = [];
  let lastId;
  const blocks = text.replaceAll("\r\n", "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    const event = { id: undefined, event: "message", data: [] };
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "data") event.data.push(value);
      else if (field === "id") event.id = lastId = value;
      else if (field === "event") event.event = value;
    }
    if (event.data.length > 0) events.push({ ...event, data: event.data.join("\n") });
  }
  return { events, rest, lastId };
}

/**
 * Reads the SSE body of `response` to its end, calling `each(event)` as events complete and
 * `onId(id)` with the last id each chunk set.
 */
async function readEvents(response, each, onId = () => {}) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const parsed = parseSse(buffer + value);
    buffer = parsed.rest;
    for (const event of parsed.events) each(event);
    if (parsed.lastId !== undefined) onId(parsed.lastId);
  }
}

/**
 * Follows the SSE stream at `path` until `signal` aborts, calling `onEvent(name, data, id)` for
 * each event and `onState("live" | "retrying" | error)` as the connection changes; after a drop it
 * reconnects with the last id it saw (the stream's opening id when no event came yet), so no
 * event is missed or repeated.
 */
export async function follow(path, { onEvent, onState, signal }) {
  let lastId;
  while (!signal.aborted) {
    try {
      const headers = {
        authorization: `Bearer ${savedToken() ?? ""}`,
        accept: "text/event-stream",
      };
      if (lastId !== undefined) headers["last-event-id"] = lastId;
      const response = await fetch(`${apiOrigin()}${path}`, { headers, signal });
      if (!response.ok) throw refused(await failure(response));
      onState("live");
      await readEvents(
        response,
        (event) => onEvent(event.event, JSON.parse(event.data), event.id),
        (id) => lastId = id,
      );
    } catch (error) {
      if (signal.aborted) return;
      if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
        onState(error);
        return;
      }
    }
    if (signal.aborted) return;
    onState("retrying");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/**
 * POSTs `body` to the SSE endpoint at `path` and calls `onEvent(name, data)` for each event until
 * the stream ends or `signal` aborts (which ends the request, and so the turn behind it).
 */
export async function postEvents(path, body, { onEvent, signal }) {
  const response = await fetch(`${apiOrigin()}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${savedToken() ?? ""}`,
      accept: "text/event-stream",
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok) throw refused(await failure(response));
  await readEvents(response, (event) => onEvent(event.event, JSON.parse(event.data)));
}

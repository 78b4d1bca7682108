/**
 * Chat: talk with the agent as its owner, through the API's streamed chat
 * (`POST /api/v1/chat/stream`): the answer grows as its text arrives, tool calls show as they
 * start and end, and Stop ends the turn. The conversation is a session (`api:<name>`) that the tab
 * keeps: its earlier messages are read back from `/api/v1/sessions/api:<name>` when the page opens,
 * and every turn continues it.
 *
 * @module
 */
import { html, useEffect, useRef, useState } from "../html.js";
import { api, postEvents } from "../api.js";
import { ErrorLine } from "../views.js";

const SESSION_KEY = "kafclaw.chat.session";

/** The messages of a stored session that a reader follows: the owner's and the agent's text. */
function messagesOf(lines) {
  return lines.flatMap((line) => {
    const m = line.type === "message" ? line.message : undefined;
    if (!m || (m.role !== "user" && m.role !== "assistant")) return [];
    if (typeof m.content !== "string" || m.content === "") return [];
    return [{ role: m.role, text: m.content, tools: [], state: "done" }];
  });
}

function Bubble({ message }) {
  const who = message.role === "user" ? "You" : "Agent";
  return html`
    <li class=${`bubble bubble-${message.role}`} data-role=${message.role}
      data-state=${message.state}>
        <span class="who">${who}</span>
        ${message.tools.length > 0 &&
          html`<ul class="tools">${
            message.tools.map((t) =>
              html`<li data-tool=${t.name}>${t.name} <span class="muted">${t.state}</span></li>`
            )
          }</ul>`}
        <p class="text">${message.text}${message.state === "streaming" &&
          html`<span class="cursor">▍</span>`}</p>
        ${message.note && html`<p class="muted note">${message.note}</p>`}
      </li>
  `;
}

export function Chat() {
  const [session, setSession] = useState(sessionStorage.getItem(SESSION_KEY) ?? "default");
  const [draftSession, setDraftSession] = useState(session);
  const [messages, setMessages] = useState([]);
  const [text, setText] = useState("");
  const [error, setError] = useState(undefined);
  const [badName, setBadName] = useState(false);
  const turn = useRef(undefined);
  const busy = messages.some((m) => m.state === "streaming");

  useEffect(() => {
    const abort = new AbortController();
    sessionStorage.setItem(SESSION_KEY, session);
    setMessages([]);
    setError(undefined);
    api(`/api/v1/sessions/${encodeURIComponent(`api:${session}`)}`, { signal: abort.signal })
      .then((s) => setMessages(messagesOf(s.lines)))
      .catch((e) => !abort.signal.aborted && e.status !== 404 && setError(e));
    return () => {
      abort.abort();
      turn.current?.abort();
    };
  }, [session]);

  /** Changes the last message (the answer being streamed) with `change`. */
  const answer = (change) =>
    setMessages((old) => [...old.slice(0, -1), { ...old.at(-1), ...change(old.at(-1)) }]);

  const send = async (e) => {
    e.preventDefault();
    const said = text.trim();
    if (said === "" || busy) return;
    setText("");
    setError(undefined);
    setMessages((old) => [
      ...old,
      { role: "user", text: said, tools: [], state: "done" },
      { role: "assistant", text: "", tools: [], state: "streaming" },
    ]);
    const abort = new AbortController();
    turn.current = abort;
    const onEvent = (name, data) => {
      if (name === "text") answer((m) => ({ text: m.text + data.delta }));
      else if (name === "tool_call") {
        answer((m) => ({
          tools: [...m.tools, { id: data.id, name: data.name, state: "running" }],
        }));
      } else if (name === "tool_result") {
        answer((m) => ({
          tools: m.tools.map((t) =>
            t.id === data.id ? { ...t, state: data.error ? "failed" : "done" } : t
          ),
        }));
      } else if (name === "done") {
        const note = data.kind === "turn" && data.stopped !== "answer"
          ? `The turn stopped: ${data.stopped}.`
          : data.kind !== "turn"
          ? `(${data.kind})`
          : undefined;
        answer(() => ({ text: data.content, state: "done", note }));
      } else if (name === "error") {
        answer(() => ({ state: "failed", note: `The turn failed: ${data.message}` }));
      }
    };
    try {
      await postEvents("/api/v1/chat/stream", { message: said, session }, {
        onEvent,
        signal: abort.signal,
      });
      answer((m) => m.state === "streaming" ? { state: "failed", note: "The stream ended." } : {});
    } catch (err) {
      if (abort.signal.aborted) answer(() => ({ state: "stopped", note: "Stopped." }));
      else {
        answer(() => ({ state: "failed" }));
        setError(err);
      }
    }
  };

  const switchSession = (e) => {
    e.preventDefault();
    const name = draftSession.trim();
    const ok = /^[\w.@-]{1,100}$/.test(name);
    setBadName(!ok);
    if (ok) setSession(name);
  };

  return html`
    <form class="narrow chat-session" onSubmit=${switchSession}>
      <label>Session <input name="session" value=${draftSession}
        onInput=${(e) => setDraftSession(e.currentTarget.value)} /></label>
      <button type="submit">Open</button>
      <span class="muted">stored as <code>api:${session}</code></span>
    </form>
    ${badName && html`<p class="error" role="alert">
      A session name is 1 to 100 letters, digits and . _ @ - only.</p>`}
    ${messages.length === 0
      ? html`<p class="muted">No messages in this session yet.</p>`
      : html`<ol class="chat">${
        messages.map((m, i) => html`<${Bubble} key=${i} message=${m} />`)
      }</ol>`}
    <${ErrorLine} error=${error} />
    <form class="chat-form" onSubmit=${send}>
      <textarea name="message" rows="3" placeholder="Message the agent" value=${text}
        onInput=${(e) => setText(e.currentTarget.value)}
        onKeyDown=${(e) => e.key === "Enter" && !e.shiftKey && send(e)}></textarea>
      <button type="submit" disabled=${busy || text.trim() === ""}>Send</button>
      ${busy &&
        html`<button type="button" data-stop onClick=${() => turn.current?.abort()}>Stop</button>`}
    </form>
  `;
}

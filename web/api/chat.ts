/**
 * Chat with the agent: `POST /api/v1/chat` answers when the turn ends, `POST /api/v1/chat/stream`
 * streams it over SSE (`text` deltas, `tool_call`, `tool_result`, then `done`, or `error`). Both go
 * through the one door (core/agent `Door.enter`) as the owner through the API, in the session
 * `api:<session>`; a client that goes away cancels its turn.
 *
 * @module
 */
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { DoorResult, Message } from "../../core/agent/mod.ts";
import { knownFailure } from "./errors.ts";
import type { ApiParts } from "./parts.ts";
import type { ApiRoutes } from "./routes.ts";

/** A session name as the API takes it (the turn runs in session `api:<name>`). */
export const SESSION_NAME = z.string().min(1).max(100).regex(/^[\w.@-]+$/, {
  message: "use letters, digits and . _ @ - only",
});

const CHAT = z.object({
  message: z.string().min(1).max(100_000).describe("What the owner says"),
  session: SESSION_NAME.optional().describe("The conversation to continue (default: default)"),
});

const ANSWER = z.object({
  kind: z.enum(["turn", "approval", "refused"]),
  content: z.string(),
  session: z.string(),
  stopped: z.enum(["answer", "max_iterations", "cancelled", "limit"]).optional(),
  usage: z.object({ prompt_tokens: z.number(), completion_tokens: z.number() }).optional(),
});

/** The JSON of a door's result. */
function answerOf(result: DoorResult, session: string): z.output<typeof ANSWER> {
  if (result.kind !== "turn") return { kind: result.kind, content: result.content, session };
  const { usage, stopped } = result.turn;
  return {
    kind: "turn",
    content: result.content,
    session,
    stopped,
    usage: { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens },
  };
}

type Chat = z.output<typeof CHAT>;

function message(body: Chat, signal: AbortSignal): Message & { readonly sessionKey: string } {
  return {
    source: { kind: "api" },
    text: body.message,
    sessionKey: `api:${body.session ?? "default"}`,
    signal,
  };
}

/** Mounts the chat endpoints. */
export function mountChat(routes: ApiRoutes, parts: ApiParts): void {
  const door = parts.gateway.runtime.door;
  routes.add({
    method: "post",
    path: "/api/v1/chat",
    summary: "One turn with the agent, answered when it ends",
    tag: "chat",
    body: CHAT,
    response: ANSWER,
  }, async (c, { body }) => {
    const m = message(body, c.req.raw.signal);
    return c.json(answerOf(await door.enter(m), m.sessionKey));
  });
  routes.add({
    method: "post",
    path: "/api/v1/chat/stream",
    summary: "One turn with the agent, streamed as server-sent events",
    tag: "chat",
    body: CHAT,
    stream: true,
  }, (c, { body }) => {
    const cancel = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => cancel.abort());
      const send = (event: string, data: unknown) =>
        void stream.writeSSE({ event, data: JSON.stringify(data) });
      const m = message(body, cancel.signal);
      try {
        const result = await door.enter({
          ...m,
          onText: (delta) => send("text", { delta }),
          onToolCall: (call) => send("tool_call", { id: call.id, name: call.name }),
          onToolResult: (call, result) =>
            send("tool_result", { id: call.id, name: call.name, error: result.isError === true }),
        });
        await stream.writeSSE({
          event: "done",
          data: JSON.stringify(answerOf(result, m.sessionKey)),
        });
      } catch (error) {
        const known = knownFailure(error as Error);
        if (known === undefined) {
          routes.warn(`API chat stream failed: ${(error as Error).message.split("\n")[0]}`);
        }
        const { code, message } = known ?? { code: "internal", message: "The turn failed" };
        await stream.writeSSE({ event: "error", data: JSON.stringify({ code, message }) });
      }
    });
  });
}

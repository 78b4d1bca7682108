/**
 * For tests of `kafclaw agent` at a terminal: its environment with the fake OpenAI-compatible
 * server as the model, and what reached the model, read from the fake's request log.
 *
 * @module
 */
import type { FakeOpenAI } from "../fakes/openai_server.ts";
import { ptyEnvironment } from "./pty.ts";

/** What each chat request sent as the user's message, in order. */
export function sent(llm: FakeOpenAI): string[] {
  return llm.chatRequests().map((r) => {
    const messages = (r.body as { messages: { role: string; content: string }[] }).messages;
    return messages.filter((m) => m.role === "user").at(-1)!.content;
  });
}

/** The agent's environment in a pseudo terminal, with the fake as its model and no colour. */
export function agentEnv(
  home: string,
  llm: FakeOpenAI,
  extra: Record<string, string> = {},
): Record<string, string> {
  return ptyEnvironment(home, {
    OPENAI_BASE_URL: llm.url,
    KAFCLAW_MODEL: "openai/gpt-test",
    NO_COLOR: "1",
    ...extra,
  });
}

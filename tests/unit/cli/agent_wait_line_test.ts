/** The line `kafclaw agent` prints while a call to the LLM waits, at a terminal and elsewhere. */
import assert from "node:assert/strict";
import { waitLine } from "../../../cli/agent.ts";

const retry = {
  ref: "openai/gpt-4o",
  url: "https://api.openai.com/v1",
  attempt: 2,
  attempts: 3,
  after: "no answer within 60 s",
};

Deno.test("at a terminal the wait line reads as a status, elsewhere as a kafclaw line", () => {
  const text = "waiting for openai/gpt-4o at https://api.openai.com/v1 — attempt 2 of 3 " +
    "(no answer within 60 s)";
  assert.equal(waitLine(retry, true), `… ${text}`);
  assert.equal(waitLine(retry, false), `kafclaw: ${text}`);
});

Deno.test("a first attempt's line has no reason: nothing failed yet", () => {
  const { after: _, ...first } = { ...retry, attempt: 1 };
  assert.equal(
    waitLine(first, false),
    "kafclaw: waiting for openai/gpt-4o at https://api.openai.com/v1 — attempt 1 of 3",
  );
});

/**
 * `kafclaw agent` waiting on an LLM that does not answer as it should, through the launcher: a
 * server that accepts and never answers ends after the configured limits with a line per attempt,
 * and every failure is one line naming the model and the URL.
 */
import assert from "node:assert/strict";
import { type FakeTurn, startFakeOpenAI } from "../fakes/openai_server.ts";
import { kafclaw, tempHome } from "../_support/cli.ts";

const envOf = (home: string, url: string, more: Record<string, string> = {}) => ({
  KAFCLAW_HOME: home,
  OPENAI_BASE_URL: url,
  KAFCLAW_MODEL: "openai/gpt-test",
  ...more,
});

/** The lines on stderr of one `agent -m` against a server that plays `turns`. */
async function agentAgainst(turns: FakeTurn[], more: Record<string, string> = {}) {
  await using home = await tempHome();
  await using llm = await startFakeOpenAI({ chat: turns });
  const r = await kafclaw(["agent", "-m", "hello"], envOf(home.path, llm.url, more));
  return { ...r, url: llm.url, lines: r.stderr.trimEnd().split("\n") };
}

Deno.test("a server that never answers fails after the configured limits, saying each attempt", async () => {
  // Headers never come: a stream that began (`hang`) has had its first token.
  const never = { text: "too late", delayMs: 600_000 };
  const r = await agentAgainst([never, never], {
    KAFCLAW_MODEL_FIRST_TOKEN_TIMEOUT_MS: "400",
    KAFCLAW_MODEL_ATTEMPTS: "2",
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "");
  const waiting = `kafclaw: waiting for openai/gpt-test at ${r.url}`;
  assert.deepEqual(r.lines.filter((l) => !l.startsWith("kafclaw: warning")), [
    `${waiting} — attempt 1 of 2`,
    `${waiting} — attempt 2 of 2 (no answer within 400 ms)`,
    `kafclaw: No model answered: openai/gpt-test at ${r.url}: no answer within 400 ms ` +
    "(2 attempts) — raise model.firstTokenTimeoutMs or model.timeoutMs if the model is only slow",
  ]);
});

Deno.test("a 502 page and a garbage 200 are each one line, with no HTML", async () => {
  const page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
  const bad = await agentAgainst([{ raw: { status: 502, contentType: "text/html", body: page } }], {
    KAFCLAW_MODEL_ATTEMPTS: "1",
  });
  assert.equal(bad.code, 1, bad.stderr);
  assert.deepEqual(bad.lines, [
    `kafclaw: No model answered: openai/gpt-test at ${bad.url}: HTTP 502: Bad Gateway ` +
    "(an HTML page) (1 attempt) — the server failed: try again later, or add model.fallbacks",
  ]);
  const garbage = await agentAgainst([{ raw: { contentType: "text/plain", body: "hello" } }]);
  assert.equal(garbage.code, 1, garbage.stderr);
  assert.deepEqual(garbage.lines, [
    `kafclaw: No model answered: openai/gpt-test at ${garbage.url}: HTTP 200 with text/plain ` +
    'that is not an event stream: "hello" (1 attempt) — is the URL an OpenAI-compatible API ' +
    "(often …/v1)?",
  ]);
});

Deno.test("a closed port says connection refused, naming the URL", async () => {
  await using home = await tempHome();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const url = `http://127.0.0.1:${listener.addr.port}/v1`;
  listener.close();
  const r = await kafclaw(
    ["agent", "-m", "hello"],
    envOf(home.path, url, {
      KAFCLAW_MODEL_ATTEMPTS: "1",
    }),
  );
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr,
    `kafclaw: No model answered: openai/gpt-test at ${url}: connection refused (1 attempt) — ` +
      "is the server running on that port?\n",
  );
});

Deno.test("a stream that stops mid-answer ends after model.stallTimeoutMs with one line naming the model and URL", async () => {
  const r = await agentAgainst([{ text: "a beginning", hang: true }], {
    KAFCLAW_MODEL_STALL_TIMEOUT_MS: "300",
  });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, "a beginning\n");
  assert.deepEqual(r.lines, [
    `kafclaw: the answer above was not saved: openai/gpt-test at ${r.url} stopped answering ` +
    "after part of the answer was streamed (the answer stopped for 300 ms mid-stream)",
  ]);
});

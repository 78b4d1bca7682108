/**
 * What a failed call says: the model, the URL, and in one line what came back (a refused
 * connection, a failed DNS lookup, an HTTP status with the server's short reason, a 200 that is
 * not the OpenAI format), with what to do about it; never a page of HTML, never a key.
 */
import assert from "node:assert/strict";
import {
  type ChatMessage,
  createChatProvider,
  ProviderError,
} from "../../../../core/provider/mod.ts";
import { type FakeTurn, startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { fakeConfig, instantRetry, SECRET_KEY } from "./_helpers.ts";

const ASK: ChatMessage[] = [{ role: "user", content: "Hello?" }];
const once = instantRetry({ retries: 0 });

/** The message of the ProviderError a call to `url` ends with. */
async function failure(
  url: string,
  options: { stream?: boolean; env?: Record<string, string> } = {},
): Promise<string> {
  const provider = createChatProvider(fakeConfig(url, { env: options.env ?? {} }), once);
  const call = provider.chat({
    messages: ASK,
    ...(options.stream ? { onText: () => {} } : {}),
  });
  const error = await call.then(() => null, (e: unknown) => e);
  assert.ok(error instanceof ProviderError, String(error));
  assert.ok(!error.message.includes("\n"), "one line");
  return error.message;
}

/** The message of a call answered by `turn`. */
async function answeredBy(turn: FakeTurn, stream = false): Promise<[string, string]> {
  await using llm = await startFakeOpenAI({ chat: [turn] });
  return [await failure(llm.url, { stream }), llm.url];
}

async function closedPort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return await Promise.resolve(port);
}

Deno.test("a refused connection and a failed DNS lookup read differently, each naming the URL", async () => {
  const port = await closedPort();
  const refused = await failure(`http://127.0.0.1:${port}/v1`);
  assert.equal(
    refused,
    `No model answered: openai/gpt-a at http://127.0.0.1:${port}/v1: connection refused ` +
      "(1 attempt) — is the server running on that port?",
  );
  const unknown = await failure("http://kafclaw-no-such-host.invalid/v1");
  assert.equal(
    unknown,
    "No model answered: openai/gpt-a at http://kafclaw-no-such-host.invalid/v1: DNS lookup " +
      "failed (no such host) (1 attempt) — check the host name of the URL",
  );
});

Deno.test("a 502's HTML page is reduced to its status and title", async () => {
  const page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>" +
    "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25</center></body></html>";
  const [message, url] = await answeredBy({
    raw: { status: 502, contentType: "text/html", body: page },
  });
  assert.equal(
    message,
    `No model answered: openai/gpt-a at ${url}: HTTP 502: Bad Gateway (an HTML page) ` +
      "(1 attempt) — the server failed: try again later, or add model.fallbacks",
  );
});

Deno.test("a 200 that is not a chat completion says what it is", async () => {
  const [text, url] = await answeredBy({
    raw: { contentType: "text/plain", body: "It works! This is the default web page." },
  });
  assert.equal(
    text,
    `No model answered: openai/gpt-a at ${url}: HTTP 200 with text/plain that is not a chat ` +
      'completion: "It works! This is the default web page." (1 attempt) — is the URL an ' +
      "OpenAI-compatible API (often …/v1)?",
  );
  const [json] = await answeredBy({
    raw: { contentType: "application/json", body: '{"status":"ok"}' },
  });
  assert.match(json, /: HTTP 200 with application\/json that is not a chat completion: "\{/);
});

Deno.test("a streamed call answered by a page, or by an event stream of no JSON, says so", async () => {
  const [page] = await answeredBy({
    raw: { contentType: "text/html", body: "<html><title>Welcome</title>hi</html>" },
  }, true);
  assert.match(
    page,
    /: HTTP 200 with text\/html that is not an event stream: "Welcome \(an HTML page\)"/,
  );
  const [garbage] = await answeredBy({
    raw: { contentType: "text/event-stream", body: "data: hello there\n\n" },
  }, true);
  assert.match(garbage, /: HTTP 200 with an event stream whose parts are not JSON/);
  assert.doesNotMatch(garbage, /stream ended before/);
  const [empty] = await answeredBy({
    raw: { contentType: "text/event-stream", body: "data: [DONE]\n\n" },
  }, true);
  assert.match(empty, /: HTTP 200 with an event stream that held no answer/);
});

Deno.test("401, 404, 429 and 500 each say what to do", async () => {
  const cases: [number, RegExp][] = [
    [401, /^openai refused the API key \(HTTP 401: .*\): check providers\.openai\.apiKey/],
    [404, /: HTTP 404: .* — check the model name and the URL/],
    [
      429,
      /: HTTP 429: .* — the server limits requests: wait and try again, or add model\.fallbacks$/,
    ],
    [500, /: HTTP 500: .* — the server failed: try again later, or add model\.fallbacks$/],
  ];
  for (const [status, expected] of cases) {
    const [message] = await answeredBy({ status });
    assert.match(message, expected);
  }
});

Deno.test("a key in the URL's query or the server's echo of the header never shows", async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}/v1?key=${SECRET_KEY}`;
  const message = await failure(url);
  assert.ok(!message.includes(SECRET_KEY.slice(8)), message);
  assert.match(message, new RegExp(`at http://127\\.0\\.0\\.1:${port}/v1\\?…: connection refused`));
  const [echoed] = await answeredBy({
    status: 500,
    message: `upstream said: Authorization: Bearer ${SECRET_KEY}`,
  });
  assert.ok(!echoed.includes(SECRET_KEY.slice(8)), echoed);
});

/**
 * A fake OpenAI-compatible server: a real HTTP server on 127.0.0.1 (port 0 by default) speaking
 * the OpenAI wire format, for tests of the provider layer, the agent loop and the CLI.
 *
 * Endpoints (under `/v1`): `POST /chat/completions` (JSON, or SSE `data: {...}` chunks ending in
 * `data: [DONE]` when `stream` is set, tool-call arguments split across chunks, usage in a last
 * chunk when `stream_options.include_usage`), `POST /embeddings` (float or base64),
 * `POST /audio/transcriptions` (multipart), `POST /audio/speech`, `GET /models`. Outside `/v1`:
 * `GET /_fake/requests` (the request log as JSON) and `POST /_fake/turns` (a {@link FakeScript}
 * whose turns are queued after the current ones).
 *
 * Scripting: chat requests take their answer from `models[<model>]` when that queue has turns
 * left, else from `chat`, else `fallback` (`"echo"` repeats the last user message); with nothing
 * left the fake answers 400 "no scripted turn left", which fails a test loudly. A turn is a
 * {@link FakeTurn}: text, tool calls, an HTTP error (`{ status: 429 }`), `{ hang: true }` (never
 * answers; a stream sends its first chunks and then stalls), `truncate` (a stream that stops
 * without a finish reason), or `raw` (a body as it is: an HTML 502, a 200 that is not JSON).
 * In-process tests may also queue functions of the request.
 * `/audio/speech` returns `FAKE-AUDIO voice=.. format=..\n<text>` and transcription of such bytes
 * returns the text, so speech and transcription round-trip.
 *
 * Every request is recorded (method, path, lowercased headers incl. authorization, parsed body,
 * the status answered, milliseconds since start) in `requests`.
 *
 * In a test:
 * ```ts ignore
 * await using llm = await startFakeOpenAI({ chat: [{ status: 429 }, { text: "Hello" }] });
 * // point a client at llm.url (http://127.0.0.1:PORT/v1), then inspect llm.requests
 * ```
 *
 * As a process (for CLI end-to-end tests), the base URL is the first line on stdout, `--log`
 * appends each request as a JSON line, and SIGINT or SIGTERM stop it:
 * ```sh
 * deno run -A tests/fakes/openai_server.ts --script turns.json [--port N] [--log requests.jsonl]
 * ```
 * With `--with-stdin` it also stops when its stdin closes: started with a pipe by a process that
 * may end without stopping it, it ends with that process.
 * where turns.json holds a {@link FakeScript}, e.g. `{"chat": [{"text": "Hello"}]}`.
 *
 * @module
 */
import {
  audioType,
  base64Vector,
  completionBody,
  errorBody,
  type FakeAnswer,
  fakeAudio,
  type FakeToolCall,
  type FakeUsage,
  fakeVector,
  headChunks,
  hear,
  streamChunks,
  words,
} from "./_openai_wire.ts";

export type { FakeToolCall, FakeUsage } from "./_openai_wire.ts";

/** One scripted answer. With `status` it is an error, with `hang` it never completes. */
export interface FakeTurn {
  readonly text?: string;
  /** How the text is streamed (default: word by word). Joined, they must equal `text`. */
  readonly chunks?: readonly string[];
  readonly toolCalls?: readonly FakeToolCall[];
  /** Default `tool_calls` when there are tool calls, else `stop`. */
  readonly finishReason?: string;
  readonly usage?: FakeUsage;
  /** An HTTP error status, with `message` and extra `headers` (e.g. `retry-after`). */
  readonly status?: number;
  readonly message?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Never answer (a stream sends its role and text chunks first). */
  readonly hang?: boolean;
  /** Streams only: send the text and tool calls, then close with no finish and no [DONE]. */
  readonly truncate?: boolean;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Answer with this body as it is (an HTML error page, a 200 that is not JSON). */
  readonly raw?: {
    readonly status?: number;
    readonly contentType?: string;
    readonly body: string;
  };
}

/** A chat request as the fake sees it: the parsed JSON body. */
export type FakeChatRequest = Readonly<Record<string, unknown>> & {
  readonly model?: string;
  readonly messages?: readonly { role: string; content?: unknown }[];
};

/** A turn, or (in-process only) a function that decides the turn from the request. */
export type FakeTurnSource =
  | FakeTurn
  | ((request: FakeChatRequest) => FakeTurn | Promise<FakeTurn>);

/** What a script file holds: everything of {@link FakeOpenAIOptions} that JSON can say. */
export interface FakeScript {
  /** Chat answers in order, whatever the model. */
  readonly chat?: readonly FakeTurn[];
  /** Chat answers of one model, used before `chat`. */
  readonly models?: Readonly<Record<string, readonly FakeTurn[]>>;
  /** The answer when no turn is left: a turn, or "echo". Default: a 400 error. */
  readonly fallback?: FakeTurn | "echo";
  /**
   * Turns the other endpoints play before their normal answers: errors (`{ status: 500 }`),
   * hangs, delays; `{}` is a normal answer.
   */
  readonly endpoints?: {
    readonly embeddings?: readonly FakeTurn[];
    readonly transcriptions?: readonly FakeTurn[];
    readonly speech?: readonly FakeTurn[];
  };
  /** Size of the fake's embeddings (default 8). */
  readonly embeddingDimension?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`; others get a 401. */
  readonly apiKey?: string;
}

/** Options of {@link startFakeOpenAI}. */
export interface FakeOpenAIOptions extends Omit<FakeScript, "chat" | "models"> {
  readonly chat?: readonly FakeTurnSource[];
  readonly models?: Readonly<Record<string, readonly FakeTurnSource[]>>;
  /** Port to listen on (default 0: any free port). */
  readonly port?: number;
  /** Called with each request once it is answered. */
  readonly onRequest?: (request: RecordedRequest) => void;
}

/** One request the fake received. */
export interface RecordedRequest {
  readonly method: string;
  /** Path without the query, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Lowercased header names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body; for multipart, its fields and `file: {name, type, size}`; else null. */
  readonly body: unknown;
  /** The status answered (200 for a stream, even one that hangs). */
  readonly status: number;
  /** Milliseconds since the server started, when the request arrived. */
  readonly at: number;
}

/** A running fake; `await using` closes it. */
export interface FakeOpenAI extends AsyncDisposable {
  /** Base URL of the API, `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** Every request, in arrival order. */
  readonly requests: readonly RecordedRequest[];
  /** The chat requests only. */
  chatRequests(): readonly RecordedRequest[];
  /**
   * When (ms since the server started, as {@link RecordedRequest.at}) a client went away from a
   * streamed answer before its end, one entry per stream.
   */
  abandonedStreams(): readonly number[];
  /** Queues more chat turns, for every model or (with `model`) for one. */
  push(turns: readonly FakeTurnSource[], model?: string): void;
  /** Stops answering, ends hanging requests and closes the server. */
  close(): Promise<void>;
}

/** Starts a fake server on 127.0.0.1. */
export function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  return Promise.resolve(new FakeServer(options));
}

class FakeServer implements FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  readonly url: string;
  readonly #options: FakeOpenAIOptions;
  readonly #chat: FakeTurnSource[];
  readonly #models = new Map<string, FakeTurnSource[]>();
  readonly #endpoints: Record<string, FakeTurn[]>;
  readonly #start = performance.now();
  readonly #closing = Promise.withResolvers<void>();
  readonly #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #counter = 0;
  readonly #abandoned: number[] = [];
  #closed = false;

  constructor(options: FakeOpenAIOptions) {
    this.#options = options;
    this.#chat = [...(options.chat ?? [])];
    for (const [model, turns] of Object.entries(options.models ?? {})) {
      this.#models.set(model, [...turns]);
    }
    this.#endpoints = {
      embeddings: [...(options.endpoints?.embeddings ?? [])],
      transcriptions: [...(options.endpoints?.transcriptions ?? [])],
      speech: [...(options.endpoints?.speech ?? [])],
    };
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
    this.url = `http://127.0.0.1:${this.#server.addr.port}/v1`;
  }

  chatRequests(): readonly RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith("/chat/completions"));
  }

  abandonedStreams(): readonly number[] {
    return this.#abandoned;
  }

  push(turns: readonly FakeTurnSource[], model?: string): void {
    if (model === undefined) this.#chat.push(...turns);
    else this.#models.set(model, [...(this.#models.get(model) ?? []), ...turns]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.resolve();
    for (const stream of this.#streams) {
      try {
        stream.close();
      } catch { /* already closed */ }
    }
    await this.#server.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => headers[name] = value);
    const record = {
      method: request.method,
      path: url.pathname,
      headers,
      body: null as unknown,
      status: 0,
      at: Math.round(performance.now() - this.#start),
    };
    this.requests.push(record);
    const response = await this.#route(request, url.pathname, record).catch((error) =>
      json(500, errorBody(500, `Fake OpenAI server failed: ${error}`))
    );
    record.status = response.status;
    this.#options.onRequest?.(record);
    return response;
  }

  async #route(request: Request, path: string, record: { body: unknown }): Promise<Response> {
    if (path === "/_fake/requests") return json(200, this.requests);
    if (path === "/_fake/turns" && request.method === "POST") {
      const script = await request.json() as FakeScript;
      this.push(script.chat ?? []);
      for (const [model, turns] of Object.entries(script.models ?? {})) this.push(turns, model);
      return json(200, { ok: true });
    }
    const route = path.replace(/^\/v1(?=\/)/, "");
    const apiKey = this.#options.apiKey;
    const auth = request.headers.get("authorization");
    if (apiKey !== undefined && auth !== `Bearer ${apiKey}`) {
      const given = auth?.replace(/^Bearer\s+/i, "") ?? "(none)";
      await request.body?.cancel();
      return json(
        401,
        errorBody(401, `Incorrect API key provided: ${given}.`, "invalid_api_key"),
      );
    }
    switch (`${request.method} ${route}`) {
      case "POST /chat/completions":
        return this.#chatCompletion(record.body = await request.json());
      case "POST /embeddings":
        return this.#embeddings(record.body = await request.json());
      case "POST /audio/transcriptions":
        return this.#transcription(request, record);
      case "POST /audio/speech":
        return this.#speech(record.body = await request.json());
      case "GET /models":
        return json(200, {
          object: "list",
          data: ["fake-model", ...this.#models.keys()].map((id) => ({
            id,
            object: "model",
            created: 1_700_000_000,
            owned_by: "fake",
          })),
        });
      default:
        await request.body?.cancel();
        return json(404, errorBody(404, `Unknown path ${request.method} ${path}`));
    }
  }

  async #nextTurn(body: FakeChatRequest): Promise<FakeTurn> {
    const model = String(body.model ?? "");
    const queue = this.#models.get(model);
    const source = queue?.length ? queue.shift()! : this.#chat.shift();
    if (source !== undefined) return typeof source === "function" ? await source(body) : source;
    const fallback = this.#options.fallback;
    if (fallback === "echo") {
      const last = [...(body.messages ?? [])].reverse().find((m) => m.role === "user");
      return { text: `echo: ${typeof last?.content === "string" ? last.content : ""}` };
    }
    return fallback ?? {
      status: 400,
      message: `Fake OpenAI server has no scripted turn left for model ${model}`,
    };
  }

  async #chatCompletion(body: FakeChatRequest): Promise<Response> {
    const turn = await this.#nextTurn(body);
    const early = await this.#before(turn);
    if (early) return early;
    const id = `chatcmpl-fake-${++this.#counter}`;
    const model = String(body.model ?? "fake-model");
    const answer = answerOf(turn, body);
    if (body.stream !== true) {
      if (turn.hang) return await this.#hang();
      return json(200, completionBody(id, model, answer));
    }
    const usage = (body.stream_options as { include_usage?: boolean } | undefined)
      ?.include_usage === true;
    const events = turn.hang || turn.truncate
      ? headChunks(id, model, answer, usage).out
      : [...streamChunks(id, model, answer, usage), "[DONE]"];
    return this.#sse(events, turn.hang === true);
  }

  /** The error, delay or hang a turn asks for before its answer; undefined to go on. */
  async #before(turn: FakeTurn): Promise<Response | undefined> {
    if (turn.delayMs) await this.#wait(turn.delayMs);
    if (turn.raw) {
      const headers = { "content-type": turn.raw.contentType ?? "text/plain" };
      return new Response(turn.raw.body, { status: turn.raw.status ?? 200, headers });
    }
    if (turn.status !== undefined) {
      const message = turn.message ?? `Fake error ${turn.status}`;
      return json(turn.status, errorBody(turn.status, message), turn.headers);
    }
    return undefined;
  }

  #sse(events: readonly unknown[], hang: boolean): Response {
    const encoder = new TextEncoder();
    let i = 0;
    let self: ReadableStreamDefaultController<Uint8Array> | undefined;
    const streams = this.#streams;
    const abandoned = () => this.#abandoned.push(performance.now() - this.#start);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        self = controller;
        streams.add(controller);
      },
      pull(controller) {
        const event = events[i++];
        if (event !== undefined) {
          const data = typeof event === "string" ? event : JSON.stringify(event);
          controller.enqueue(encoder.encode(`data: ${data}\n\n`));
        } else if (!hang) {
          streams.delete(controller);
          controller.close();
        }
        // A hanging stream stays open until the client aborts or the server closes.
      },
      // Called when the client goes away (an aborted request) before the stream ended.
      cancel() {
        if (self) streams.delete(self);
        abandoned();
      },
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }

  // Hanging handlers end when the server closes; a client that gave up has gone by then.
  async #hang(): Promise<Response> {
    await this.#closing.promise;
    return json(503, errorBody(503, "Fake OpenAI server closed while hanging"));
  }

  async #wait(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise((r) => timer = setTimeout(r, ms)), this.#closing.promise]);
    clearTimeout(timer);
  }

  async #endpointTurn(name: string): Promise<Response | undefined> {
    const turn = this.#endpoints[name]?.shift();
    if (!turn) return undefined;
    if (turn.hang) return await this.#hang();
    return await this.#before(turn);
  }

  async #embeddings(body: Record<string, unknown>): Promise<Response> {
    const early = await this.#endpointTurn("embeddings");
    if (early) return early;
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const dimension = this.#options.embeddingDimension ?? 8;
    const base64 = body.encoding_format === "base64";
    const data = inputs.map((input, index) => {
      const vector = fakeVector(String(input), dimension);
      return { object: "embedding", index, embedding: base64 ? base64Vector(vector) : vector };
    });
    const tokens = inputs.reduce((n: number, input) => n + words(String(input)), 0);
    return json(200, {
      object: "list",
      data,
      model: body.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  async #transcription(request: Request, record: { body: unknown }): Promise<Response> {
    const form = await request.formData();
    const file = form.get("file");
    const fields: Record<string, unknown> = {};
    for (const [name, value] of form.entries()) {
      fields[name] = typeof value === "string"
        ? value
        : { name: value.name, type: value.type, size: value.size };
    }
    record.body = fields;
    const early = await this.#endpointTurn("transcriptions");
    if (early) return early;
    if (!(file instanceof File)) return json(400, errorBody(400, "Missing file"));
    const text = hear(new Uint8Array(await file.arrayBuffer()), file.type);
    if (fields.response_format === "text") {
      return new Response(text, { headers: { "content-type": "text/plain" } });
    }
    return json(200, { text });
  }

  async #speech(body: Record<string, unknown>): Promise<Response> {
    const early = await this.#endpointTurn("speech");
    if (early) return early;
    const format = String(body.response_format ?? "mp3");
    const audio = fakeAudio(String(body.input ?? ""), String(body.voice ?? ""), format);
    return new Response(audio, { headers: { "content-type": audioType(format) } });
  }
}

function answerOf(turn: FakeTurn, body: FakeChatRequest): FakeAnswer {
  const text = turn.text ?? "";
  const toolCalls = (turn.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? `call_fake_${i + 1}`,
    name: call.name,
    arguments: typeof call.arguments === "string"
      ? call.arguments
      : JSON.stringify(call.arguments ?? {}),
  }));
  const prompt = (body.messages ?? []).reduce(
    (n, m) => n + (typeof m.content === "string" ? words(m.content) : 0),
    0,
  );
  const completion = words(text) +
    toolCalls.reduce((n, c) => n + Math.ceil(c.arguments.length / 4), 0);
  return {
    text,
    chunks: turn.chunks ?? text.match(/\S+\s*|\s+/g) ?? [],
    toolCalls,
    finishReason: turn.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
    usage: turn.usage ?? { promptTokens: prompt, completionTokens: completion },
  };
}

function json(status: number, body: unknown, headers: Readonly<Record<string, string>> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function main(args: readonly string[]): Promise<void> {
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const scriptFile = option("--script");
  const logFile = option("--log");
  const script: FakeScript = scriptFile ? JSON.parse(await Deno.readTextFile(scriptFile)) : {};
  const encoder = new TextEncoder();
  const server = await startFakeOpenAI({
    ...script,
    port: Number(option("--port") ?? 0),
    ...(logFile
      ? {
        onRequest: (r: RecordedRequest) =>
          Deno.writeFileSync(logFile, encoder.encode(JSON.stringify(r) + "\n"), { append: true }),
      }
      : {}),
  });
  console.log(server.url);
  const stop = async () => {
    await server.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // Started by a process that may end without stopping it: it stops when that one's pipe closes.
  if (args.includes("--with-stdin")) {
    for await (const _ of Deno.stdin.readable) { /* nothing is read */ }
    await stop();
  }
}

if (import.meta.main) await main(Deno.args);

/**
 * Bodies in the OpenAI wire format for the fake server: chat completions (whole, or as the
 * chunks of a stream, with tool-call arguments split across chunks as the real API does),
 * errors, embeddings and fake audio.
 *
 * @module
 */

/** A tool call the fake answers with. `arguments` may be given as an object (sent as JSON). */
export interface FakeToolCall {
  readonly name: string;
  readonly arguments?: string | Readonly<Record<string, unknown>>;
  readonly id?: string;
}

/** Tokens the fake reports; by default it counts words. */
export interface FakeUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** A finished answer: text, tool calls, finish reason and usage. */
export interface FakeAnswer {
  readonly text: string;
  readonly chunks: readonly string[];
  readonly toolCalls: readonly { id: string; name: string; arguments: string }[];
  readonly finishReason: string;
  readonly usage: FakeUsage;
}

const CREATED = 1_700_000_000;

/** Words of a text, the fake's idea of tokens. */
export function words(text: string): number {
  return text.split(/\s+/).filter((w) => w !== "").length;
}

/** The whole answer of a non-streaming call. */
export function completionBody(id: string, model: string, answer: FakeAnswer): unknown {
  const toolCalls = answer.toolCalls.map((c) => ({
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
  return {
    id,
    object: "chat.completion",
    created: CREATED,
    model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: answer.text === "" && toolCalls.length > 0 ? null : answer.text,
        refusal: null,
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      },
      logprobs: null,
      finish_reason: answer.finishReason,
    }],
    usage: usageBody(answer.usage),
    system_fingerprint: "fp_fake",
  };
}

function usageBody(usage: FakeUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/** The data of each SSE event before the closing part of a stream: role, text, tool calls. */
export function headChunks(id: string, model: string, answer: FakeAnswer, usage: boolean) {
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created: CREATED,
    model,
    system_fingerprint: "fp_fake",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(usage ? { usage: null } : {}),
  });
  const out: unknown[] = [chunk({ role: "assistant", content: "", refusal: null })];
  for (const piece of answer.chunks) out.push(chunk({ content: piece }));
  answer.toolCalls.forEach((call, index) => {
    out.push(chunk({
      tool_calls: [{
        index,
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: "" },
      }],
    }));
    for (const part of thirds(call.arguments)) {
      out.push(chunk({ tool_calls: [{ index, function: { arguments: part } }] }));
    }
  });
  return { out, chunk };
}

/** The events of a complete stream, `[DONE]` excluded. */
export function streamChunks(id: string, model: string, answer: FakeAnswer, usage: boolean) {
  const { out, chunk } = headChunks(id, model, answer, usage);
  out.push(chunk({}, answer.finishReason));
  if (usage) {
    out.push({
      id,
      object: "chat.completion.chunk",
      created: CREATED,
      model,
      system_fingerprint: "fp_fake",
      choices: [],
      usage: usageBody(answer.usage),
    });
  }
  return out;
}

function thirds(text: string): string[] {
  if (text.length < 3) return text === "" ? [] : [text];
  const a = Math.ceil(text.length / 3);
  return [text.slice(0, a), text.slice(a, 2 * a), text.slice(2 * a)].filter((p) => p !== "");
}

/** An error body as the API sends it. */
export function errorBody(status: number, message: string, code: string | null = null) {
  const type = status === 429
    ? "rate_limit_error"
    : status >= 500
    ? "server_error"
    : "invalid_request_error";
  return { error: { message, type, param: null, code } };
}

/** A deterministic unit vector for a text. */
export function fakeVector(text: string, dimension: number): number[] {
  const raw = Array.from({ length: dimension }, (_, i) => {
    let h = 2166136261 ^ i;
    for (const c of text) h = Math.imul(h ^ c.codePointAt(0)!, 16777619);
    return ((h >>> 0) / 0xffffffff) * 2 - 1;
  });
  const norm = Math.hypot(...raw) || 1;
  return raw.map((v) => Math.fround(v / norm));
}

/** A vector as `encoding_format: "base64"` sends it: little-endian float32. */
export function base64Vector(vector: readonly number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The first line of the fake's audio; the transcription endpoint reads the text back. */
export const FAKE_AUDIO = "FAKE-AUDIO";

/** The bytes of `/audio/speech`: a header line and the text. */
export function fakeAudio(text: string, voice: string, format: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${FAKE_AUDIO} voice=${voice} format=${format}\n${text}`);
}

/** What `/audio/transcriptions` hears: the text of fake audio, or a description of real bytes. */
export function hear(bytes: Uint8Array, type: string): string {
  const text = new TextDecoder().decode(bytes);
  if (text.startsWith(FAKE_AUDIO + " ")) return text.slice(text.indexOf("\n") + 1);
  return `a ${bytes.length}-byte ${type || "audio"} recording`;
}

/** MIME type of a speech format. */
export function audioType(format: string): string {
  const types: Record<string, string> = {
    mp3: "audio/mpeg",
    opus: "audio/ogg",
    aac: "audio/aac",
    flac: "audio/flac",
    wav: "audio/wav",
    pcm: "audio/pcm",
  };
  return types[format] ?? "application/octet-stream";
}

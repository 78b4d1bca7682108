/**
 * transcribe_audio and speak, end to end through the real speech provider against the fake
 * OpenAI server: the fake's speech transcribes back to the text it was made from.
 */
import assert from "node:assert/strict";
import { resolveConfig } from "../../../../core/config/mod.ts";
import { createAgentRuntime } from "../../../../core/agent/runtime.ts";
import { createSpeech } from "../../../../core/provider/mod.ts";
import {
  audioMimeType,
  audioTools,
  type AudioToolsOptions,
  ToolRegistry,
} from "../../../../core/tools/mod.ts";
import { openSandbox } from "../../../../core/tools/sandbox/mod.ts";
import type { WorkspaceFs } from "../../../../core/tools/sandbox/types.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../../../fakes/openai_server.ts";
import { fakeConfig } from "../provider/_helpers.ts";
import { testContext } from "./_context.ts";
import { FakeSandbox } from "./_fake_sandbox.ts";

function registry(fs: WorkspaceFs, llm: FakeOpenAI, options: AudioToolsOptions = {}) {
  return new ToolRegistry().register(...audioTools(fs, createSpeech(fakeConfig(llm.url)), options));
}

const call = (tools: ToolRegistry, name: string, args: unknown) =>
  tools.run(name, JSON.stringify(args), testContext());

Deno.test("speak writes audio into the workspace and transcribe_audio hears the same text", async () => {
  await using llm = await startFakeOpenAI();
  const sandbox = new FakeSandbox();
  const tools = registry(sandbox.fs, llm);
  const spoken = await call(tools, "speak", {
    text: "Guten Morgen, Kafka",
    path: "voice/reply.mp3",
    voice: "nova",
  });
  assert.equal(spoken.isError, undefined, spoken.content);
  const audio = sandbox.fs.files.get("voice/reply.mp3");
  assert.ok(audio instanceof Uint8Array);
  assert.equal(spoken.content, `Wrote ${audio.length} bytes of mp3 audio to voice/reply.mp3`);

  const heard = await call(tools, "transcribe_audio", { path: "voice/reply.mp3", language: "de" });
  assert.deepEqual(heard, { content: "Guten Morgen, Kafka" });

  const [speech, transcription] = llm.requests;
  assert.equal(speech?.path, "/v1/audio/speech");
  assert.deepEqual(speech?.body, {
    model: "tts-1",
    input: "Guten Morgen, Kafka",
    voice: "nova",
    response_format: "mp3",
  });
  assert.equal(transcription?.path, "/v1/audio/transcriptions");
  assert.match(transcription?.headers["content-type"] ?? "", /^multipart\/form-data; boundary=/);
  assert.deepEqual(transcription?.body, {
    file: { name: "reply.mp3", type: "audio/mpeg", size: audio.length },
    model: "whisper-1",
    response_format: "json",
    language: "de",
  });
});

Deno.test("the round trip works through the real sandbox's WorkspaceFs", async () => {
  await using llm = await startFakeOpenAI();
  const dir = await Deno.makeTempDir({ prefix: "kafclaw-audio-" });
  try {
    await using sandbox = await openSandbox(`${dir}/workspace`, { fsTimeoutMs: 30000 });
    const tools = registry(sandbox.fs, llm);
    const spoken = await call(tools, "speak", { text: "Hello from the sandbox", path: "a/b.wav" });
    assert.match(spoken.content, /^Wrote \d+ bytes of wav audio to a\/b\.wav$/);
    const bytes = await Deno.readFile(`${sandbox.workspace}/a/b.wav`);
    assert.match(new TextDecoder().decode(bytes), /format=wav\nHello from the sandbox$/);
    const heard = await call(tools, "transcribe_audio", { path: "/a/b.wav" });
    assert.deepEqual(heard, { content: "Hello from the sandbox" });
    assert.deepEqual((llm.requests[1]?.body as { file: unknown }).file, {
      name: "b.wav",
      type: "audio/wav",
      size: bytes.length,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("speak takes its format from the extension unless told, and sends the model asked for", async () => {
  await using llm = await startFakeOpenAI();
  const sandbox = new FakeSandbox();
  const tools = registry(sandbox.fs, llm, { speechModel: "openai/tts-1-hd" });
  await call(tools, "speak", { text: "a", path: "note.ogg" });
  await call(tools, "speak", { text: "b", path: "note.flac" });
  await call(tools, "speak", { text: "c", path: "note" });
  await call(tools, "speak", { text: "d", path: "note.mp3", format: "aac" });
  assert.deepEqual(
    llm.requests.map((r) => {
      const body = r.body as { model: string; response_format: string };
      return `${body.model}:${body.response_format}`;
    }),
    ["tts-1-hd:opus", "tts-1-hd:flac", "tts-1-hd:mp3", "tts-1-hd:aac"],
  );
});

Deno.test("transcribe_audio guesses the MIME type from the extension and refuses others", async () => {
  assert.equal(audioMimeType("a/voice.OGA"), "audio/ogg");
  assert.equal(audioMimeType("x.m4a"), "audio/mp4");
  assert.equal(audioMimeType("x.mpga"), "audio/mpeg");
  assert.equal(audioMimeType("x.webm"), "audio/webm");
  assert.equal(audioMimeType(".mp3"), undefined);
  assert.equal(audioMimeType("notes.txt"), undefined);
  await using llm = await startFakeOpenAI();
  const sandbox = new FakeSandbox({
    files: { "voice.oga": new Uint8Array([1, 2, 3]), "x.txt": "" },
  });
  const tools = registry(sandbox.fs, llm, { transcriptionModel: "openai/whisper-2" });
  const refused = await call(tools, "transcribe_audio", { path: "x.txt" });
  assert.equal(refused.isError, true);
  assert.match(
    refused.content,
    /^Cannot transcribe "x.txt": the file name must end in one of flac/,
  );
  assert.equal(llm.requests.length, 0);
  const heard = await call(tools, "transcribe_audio", { path: "voice.oga" });
  assert.deepEqual(heard, { content: "a 3-byte audio/ogg recording" });
  const body = llm.requests[0]?.body as { model: string; file: unknown };
  assert.equal(body.model, "whisper-2");
  assert.deepEqual(body.file, { name: "voice.oga", type: "audio/ogg", size: 3 });
});

Deno.test("transcribe_audio refuses a file over the size cap before anything is sent", async () => {
  await using llm = await startFakeOpenAI();
  const sandbox = new FakeSandbox({ files: { "long.wav": new Uint8Array(2048) } });
  const tools = registry(sandbox.fs, llm, { maxAudioBytes: 1024 });
  const result = await call(tools, "transcribe_audio", { path: "long.wav" });
  assert.equal(result.isError, true);
  assert.match(result.content, /larger than 1024 bytes\. Split or compress the audio first$/);
  const missing = await call(tools, "transcribe_audio", { path: "none.mp3" });
  assert.deepEqual(missing, { content: "No such file: none.mp3", isError: true });
  const outside = await call(tools, "transcribe_audio", { path: "../up.mp3" });
  assert.equal(outside.isError, true);
  assert.match(outside.content, /leads outside the workspace/);
  assert.equal(llm.requests.length, 0);
});

Deno.test("provider failures become error results and speak then writes nothing", async () => {
  await using llm = await startFakeOpenAI({
    endpoints: {
      speech: [{ status: 400, message: "voice not found" }],
      transcriptions: [{ status: 400, message: "bad audio" }],
    },
  });
  const sandbox = new FakeSandbox({ files: { "in.mp3": new Uint8Array([9]) } });
  const tools = registry(sandbox.fs, llm);
  const spoken = await call(tools, "speak", { text: "hi", path: "out.mp3", voice: "nobody" });
  assert.equal(spoken.isError, true);
  assert.match(spoken.content, /^Cannot speak into "out.mp3": .*voice not found/);
  assert.equal(sandbox.fs.files.has("out.mp3"), false);
  const heard = await call(tools, "transcribe_audio", { path: "in.mp3" });
  assert.equal(heard.isError, true);
  assert.match(heard.content, /^Cannot transcribe "in.mp3": .*bad audio/);
});

Deno.test("both tools are tier 2, validate their arguments, and do not mark results untrusted", async () => {
  await using llm = await startFakeOpenAI();
  const sandbox = new FakeSandbox();
  const tools = registry(sandbox.fs, llm);
  assert.deepEqual(tools.names().map((n) => [n, tools.tierOf(n)]), [
    ["transcribe_audio", 2],
    ["speak", 2],
  ]);
  const bad = await call(tools, "speak", { text: "hi", path: "x.mp3", format: "pcm" });
  assert.equal(bad.isError, true);
  assert.match(bad.content, /^Invalid arguments for speak: "format"/);
  const language = await call(tools, "transcribe_audio", { path: "x.mp3", language: "German" });
  assert.match(language.content, /^Invalid arguments for transcribe_audio: "language"/);
  await call(tools, "speak", { text: "trusted", path: "x.mp3" });
  const heard = await call(tools, "transcribe_audio", { path: "x.mp3" });
  assert.equal(heard.untrusted, undefined);
});

Deno.test("the agent runtime offers both tools over its own sandbox", async () => {
  await using llm = await startFakeOpenAI();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-audio-home-" });
  try {
    const config = resolveConfig({
      home,
      env: { KAFCLAW_MODEL: "openai/gpt-test", OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: "sk" },
    });
    await using runtime = await createAgentRuntime(config, {});
    assert.equal(runtime.tools.tierOf("transcribe_audio"), 2);
    assert.equal(runtime.tools.tierOf("speak"), 2);
    const spoken = await call(runtime.tools, "speak", { text: "from the runtime", path: "r.ogg" });
    assert.match(spoken.content, /^Wrote \d+ bytes of opus audio to r\.ogg$/);
    assert.ok((await Deno.stat(`${runtime.sandbox.workspace}/r.ogg`)).isFile);
    const heard = await call(runtime.tools, "transcribe_audio", { path: "r.ogg" });
    assert.deepEqual(heard, { content: "from the runtime" });
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/**
 * The audio tools: transcribe_audio (speech to text, `/audio/transcriptions`) and speak (text to
 * speech, `/audio/speech`). Audio files are read and written through the sandbox's
 * {@link WorkspaceFs}, so they stay inside the workspace; the network call is the provider's.
 *
 * Both are tier 2: they send workspace data (the audio, the text) to a network service.
 *
 * A transcript is returned as trusted content: the audio comes from the owner's workspace, which
 * holds what the owner or the agent put there. Channels that transcribe voice messages from
 * other people call the speech provider themselves and mark that text as the stranger's input.
 *
 * @module
 */
import type { SpeakOptions, SpeechProvider } from "../provider/mod.ts";
import { defineTool, toolArgs, toolError, toolOk } from "./define.ts";
import type { Zod } from "./_zod.ts";
import { SandboxError, type WorkspaceFs } from "./sandbox/mod.ts";
import type { Tool, ToolResult } from "./types.ts";

/** What the audio tools need of the provider layer; `createSpeech(config)` gives one. */
export type SpeechPort = Pick<SpeechProvider, "transcribe" | "speak">;

/** Options of the audio tools. */
export interface AudioToolsOptions {
  /** Largest file transcribe_audio sends; default {@link DEFAULT_MAX_AUDIO_BYTES}. */
  readonly maxAudioBytes?: number;
  /** `provider/model` of transcription (default: the provider's, `openai/whisper-1`). */
  readonly transcriptionModel?: string;
  /** `provider/model` of speech (default: the provider's, `openai/tts-1`). */
  readonly speechModel?: string;
}

/** 25 MiB, the largest upload the Whisper API accepts. */
export const DEFAULT_MAX_AUDIO_BYTES = 25 * 1024 * 1024;

/** MIME types of the audio files the transcription API accepts, by file extension. */
export const AUDIO_MIME_TYPES: Readonly<Record<string, string>> = Object.freeze({
  flac: "audio/flac",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  mp4: "audio/mp4",
  mpeg: "audio/mpeg",
  mpga: "audio/mpeg",
  oga: "audio/ogg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  webm: "audio/webm",
});

/** The formats speak writes. */
export const SPEECH_FORMATS = ["mp3", "wav", "opus", "aac", "flac"] as const;

/** One of {@link SPEECH_FORMATS}. */
export type SpeechFormat = typeof SPEECH_FORMATS[number];

/** The format a file name asks for (`.ogg` and `.oga` hold Opus), if it names one. */
const FORMAT_OF_EXTENSION: Readonly<Record<string, SpeechFormat>> = {
  mp3: "mp3",
  wav: "wav",
  opus: "opus",
  ogg: "opus",
  oga: "opus",
  aac: "aac",
  flac: "flac",
};

/** A path's last name. */
function baseName(path: string): string {
  return path.split("/").filter((part) => part !== "").pop() ?? path;
}

/** A path's extension, lowercased, without the dot ("" when it has none). */
function extensionOf(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** The MIME type of an audio file the transcription API accepts, from its extension. */
export function audioMimeType(path: string): string | undefined {
  return AUDIO_MIME_TYPES[extensionOf(path)];
}

/** A failure as a result the model reads: sandbox messages say what and where already. */
function failed(what: string, error: unknown): ToolResult {
  if (error instanceof SandboxError) return toolError(error.message);
  const reason = error instanceof Error ? error.message || error.name : String(error);
  return toolError(`${what}: ${reason}`);
}

const PATH = (z: Zod) => z.string().min(1);

const TRANSCRIBE_AUDIO_ARGS = toolArgs("transcribe_audio", (z) =>
  z.strictObject({
    path: PATH(z).describe("The audio file, relative to the workspace"),
    language: z.string().regex(/^[a-z]{2}$/).optional().describe(
      "ISO-639-1 code of the spoken language (e.g. en, de), when known; improves accuracy",
    ),
  }));

/** transcribe_audio (tier 2): the text spoken in an audio file of the workspace. */
export function transcribeAudioTool(
  fs: WorkspaceFs,
  speech: SpeechPort,
  options: AudioToolsOptions = {},
): Tool {
  const maxBytes = options.maxAudioBytes ?? DEFAULT_MAX_AUDIO_BYTES;
  const extensions = Object.keys(AUDIO_MIME_TYPES).join(", ");
  return defineTool({
    description: "Transcribe speech in an audio file of the workspace to text (sends the audio " +
      `to the speech-to-text service). Formats: ${extensions}; at most ${maxBytes} bytes.`,
    tier: 2,
    output: "workspace",
    args: TRANSCRIBE_AUDIO_ARGS,
    async run({ path, language }, ctx) {
      const what = `Cannot transcribe ${JSON.stringify(path)}`;
      const mime = audioMimeType(path);
      if (mime === undefined) {
        return toolError(`${what}: the file name must end in one of ${extensions}`);
      }
      let audio: Uint8Array;
      try {
        audio = await fs.readBytes(path, { maxBytes });
      } catch (error) {
        const result = failed(what, error);
        if (!(error instanceof SandboxError && error.code === "too_large")) return result;
        return toolError(`${result.content}. Split or compress the audio first`);
      }
      try {
        const text = await speech.transcribe(audio, {
          filename: baseName(path),
          mime,
          signal: ctx.signal,
          ...(language === undefined ? {} : { language }),
          ...(options.transcriptionModel === undefined
            ? {}
            : { model: options.transcriptionModel }),
        });
        return toolOk(text.trim() === "" ? `No speech was recognised in ${path}` : text);
      } catch (error) {
        return failed(what, error);
      }
    },
  });
}

const SPEAK_ARGS = toolArgs("speak", (z) =>
  z.strictObject({
    text: z.string().min(1).max(4096).describe("What to say"),
    path: PATH(z).describe("Where to save the audio, relative to the workspace, e.g. reply.mp3"),
    voice: z.string().min(1).optional().describe("Voice name (e.g. alloy, nova); default alloy"),
    format: z.enum(SPEECH_FORMATS).optional().describe(
      "Audio format; default from the file extension, else mp3",
    ),
  }));

/** speak (tier 2): text to speech, written as an audio file in the workspace. */
export function speakTool(
  fs: WorkspaceFs,
  speech: SpeechPort,
  options: AudioToolsOptions = {},
): Tool {
  return defineTool({
    description: "Turn text into spoken audio (sends the text to the text-to-speech service) and " +
      "save it as an audio file in the workspace.",
    tier: 2,
    // A confirmation, or an error of the owner's own configured speech provider.
    output: "owner",
    args: SPEAK_ARGS,
    async run({ text, path, voice, format }, ctx) {
      const what = `Cannot speak into ${JSON.stringify(path)}`;
      const chosen = format ?? FORMAT_OF_EXTENSION[extensionOf(path)] ?? "mp3";
      const call: SpeakOptions = {
        format: chosen,
        signal: ctx.signal,
        ...(voice === undefined ? {} : { voice }),
        ...(options.speechModel === undefined ? {} : { model: options.speechModel }),
      };
      try {
        const audio = await speech.speak(text, call);
        await fs.writeBytes(path, audio);
        return toolOk(`Wrote ${audio.length} bytes of ${chosen} audio to ${path}`);
      } catch (error) {
        return failed(what, error);
      }
    },
  });
}

/** transcribe_audio and speak over one workspace and one speech provider. */
export function audioTools(
  fs: WorkspaceFs,
  speech: SpeechPort,
  options: AudioToolsOptions = {},
): Tool[] {
  return [transcribeAudioTool(fs, speech, options), speakTool(fs, speech, options)];
}

/**
 * Speech: `/audio/transcriptions` (speech to text, multipart upload) and `/audio/speech` (text to
 * speech) of an OpenAI-compatible server, with the chat provider's retries. Models are resolved
 * per call, so a configuration without an audio-capable provider fails only when audio is used.
 *
 * @module
 */
import { failureError, tryModel } from "./_attempt.ts";
import { ClientCache, openaiSdk } from "./_client.ts";
import { type ModelEndpoint, type ProviderConfig, resolveModel } from "./models.ts";
import { callSettings, type ProviderOptions } from "./options.ts";
import type { SpeakOptions, SpeechProvider, TranscribeOptions } from "./types.ts";

/** The transcription model when a call names none. */
export const DEFAULT_TRANSCRIPTION_MODEL = "openai/whisper-1";
/** The speech model when a call names none. */
export const DEFAULT_SPEECH_MODEL = "openai/tts-1";

const EXTENSIONS: Readonly<Record<string, string>> = {
  "audio/ogg": "ogg",
  "audio/opus": "opus",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/wav": "wav",
  "audio/x-wav": "wav",
  "audio/webm": "webm",
  "audio/flac": "flac",
};

/**
 * Builds the speech provider of a configuration. Transcription sends the audio as `filename`
 * (default `audio.<extension of mime>`, or `audio.ogg`, the voice-note format of chat apps);
 * synthesis returns the audio bytes in `format` (default mp3).
 */
export function createSpeech(
  config: ProviderConfig,
  options: ProviderOptions = {},
): SpeechProvider {
  const settings = callSettings(config, options);
  const clients = new ClientCache(settings.timeoutMs);

  async function run<T>(
    endpoint: ModelEndpoint,
    signal: AbortSignal | undefined,
    attempt: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const outcome = await tryModel(endpoint, attempt, settings, signal);
    if (!outcome.ok) throw failureError(endpoint, outcome.verdict, outcome.failure);
    return outcome.value;
  }

  return {
    async transcribe(audio: Uint8Array, call: TranscribeOptions = {}): Promise<string> {
      const endpoint = resolveModel(config, call.model ?? DEFAULT_TRANSCRIPTION_MODEL);
      const mime = call.mime ?? "audio/ogg";
      const filename = call.filename ?? `audio.${EXTENSIONS[mime] ?? "ogg"}`;
      const result = await run(endpoint, call.signal, async (signal) => {
        const { toFile } = await openaiSdk();
        const file = await toFile(audio, filename, { type: mime });
        return (await clients.get(endpoint)).audio.transcriptions.create({
          file,
          model: endpoint.model,
          response_format: "json",
          ...(call.language === undefined ? {} : { language: call.language }),
        }, { signal });
      });
      return result.text;
    },

    async speak(text: string, call: SpeakOptions = {}): Promise<Uint8Array> {
      const endpoint = resolveModel(config, call.model ?? DEFAULT_SPEECH_MODEL);
      return await run(endpoint, call.signal, async (signal) => {
        const response = await (await clients.get(endpoint)).audio.speech.create({
          model: endpoint.model,
          input: text,
          voice: call.voice ?? "alloy",
          response_format: call.format ?? "mp3",
        }, { signal });
        return new Uint8Array(await response.arrayBuffer());
      });
    },
  };
}

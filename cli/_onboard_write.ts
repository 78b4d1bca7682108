/**
 * What onboarding does once the set-up is written: the agent's name put into a kept IDENTITY.md,
 * a warning when the model has no key to call it with, and a one-token test call to the model.
 *
 * @module
 */
import { join } from "node:path";
import type { ResolvedConfig as Config } from "../core/config/mod.ts";
import {
  createChatProvider,
  ProviderError,
  ProviderNotConfiguredError,
  resolveModel,
} from "../core/provider/mod.ts";
import { CliError } from "./_errors.ts";

/**
 * Puts `name` into IDENTITY.md when onboarding kept that file (it exists, no --force) and it
 * names the agent otherwise. Resolves whether it changed the file.
 */
export async function renameName(
  soulDir: string,
  kept: readonly string[],
  name: string | undefined,
): Promise<boolean> {
  if (!name || !kept.includes("IDENTITY.md")) return false;
  const file = join(soulDir, "IDENTITY.md");
  const text = await Deno.readTextFile(file);
  const line = /^- Name: (.*)$/m.exec(text);
  if (!line || line[1]!.trim() === name) return false;
  const next = text.replace(/^- Name: .*$/m, () => `- Name: ${name.replace(/[\r\n]/g, " ")}`);
  await Deno.writeTextFile(file, next, { mode: 0o600 });
  return true;
}

/** The configuration when its model can be called; else why not (the key is missing). */
export function keyWarning(config: Config): { config?: Config; warning?: string } {
  try {
    resolveModel(config, config.model.name);
    return { config };
  } catch (error) {
    if (error instanceof ProviderNotConfiguredError) {
      return { warning: `${error.message.split("\n")[0]} (no test call was made)` };
    }
    if (error instanceof RangeError) return { warning: error.message };
    throw error;
  }
}

/** How long the test call may take: a model that is loading (Ollama) answers slowly. */
const TEST_TIMEOUT_MS = 60_000;

/**
 * One call of one output token to the configured model, without retries; resolves the line to
 * print, and throws a one-line CliError saying what came back when it fails.
 */
export async function testCall(config: Config): Promise<string> {
  const started = performance.now();
  try {
    const provider = createChatProvider(config, {
      retry: { retries: 0 },
      timeoutMs: TEST_TIMEOUT_MS,
    });
    await provider.chat({
      messages: [{ role: "user", content: "Reply with the word OK." }],
      maxTokens: 1,
      model: config.model.name,
      exclusive: true,
    });
  } catch (error) {
    if (error instanceof ProviderError || error instanceof ProviderNotConfiguredError) {
      throw new CliError(
        `The test call to ${config.model.name} failed: ${error.message.split("\n")[0]}; ` +
          "the set-up is written (fix it and onboard again, or --skip-test)",
      );
    }
    throw error;
  }
  const ms = Math.round(performance.now() - started);
  return `Test call: ${config.model.name} answered in ${ms} ms`;
}

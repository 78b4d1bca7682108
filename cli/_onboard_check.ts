/**
 * What onboarding knows before it writes: the set-up already in `$KAFCLAW_HOME` (its values are
 * the defaults of the questions), whether an answer is valid (the same checks as `config set`,
 * made on a copy of config.json in memory, so a bad answer is caught at its question and nothing
 * is written until every answer holds), and a model reference taken as `provider/model` or as the
 * model alone.
 *
 * @module
 */
import { join } from "node:path";
import {
  ConfigError,
  configFile,
  type ConfigFs,
  ConfigKeyError,
  type Env,
  type Provider,
  PROVIDERS,
  readConfigFile,
  resolvePath,
  setConfigValue,
} from "../core/config/mod.ts";
import { type OnboardAnswers, onboardChanges, OnboardError } from "../core/agent/mod.ts";
import { SUGGESTED_MODELS } from "../core/provider/mod.ts";

/** The model each provider starts with when the user names none (without its provider). */
export const DEFAULT_MODELS: Readonly<Partial<Record<Provider, string>>> = Object.fromEntries(
  Object.entries(SUGGESTED_MODELS).map((
    [provider, ref],
  ) => [provider, ref.slice(provider.length + 1)]),
);

/** The set-up found in KAFCLAW_HOME: what re-running onboarding offers to keep. */
export interface Current {
  readonly exists: boolean;
  readonly provider?: Provider | undefined;
  readonly model?: string | undefined;
  readonly hasKey: (provider: Provider) => boolean;
  readonly apiBase: (provider: Provider) => string | undefined;
  readonly workspace?: string | undefined;
  readonly mode: OnboardAnswers["mode"];
  readonly kafkaBrokers?: string | undefined;
  readonly groupName?: string | undefined;
  readonly agentId?: string | undefined;
  readonly name?: string | undefined;
}

/** A config.json that cannot be read: there, but with nothing to offer as defaults. */
export const UNREADABLE: Current = {
  exists: true,
  hasKey: () => false,
  apiBase: () => undefined,
  mode: "standalone",
};

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const text = (v: unknown) => typeof v === "string" && v.trim() ? v.trim() : undefined;
const at = (root: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => isRecord(v) ? v[k] : undefined, root);

/** Whether `value` names a provider. */
export function isProvider(value: string | undefined): value is Provider {
  return (PROVIDERS as readonly string[]).includes(value ?? "");
}

/**
 * Reads the set-up of `home` (config.json as written, and the agent's name in its soul); `env`
 * gives HOME for a workspace written as `~/…` (a relative one is under KAFCLAW_HOME).
 */
export async function readCurrent(home: string, env: Env = {}): Promise<Current> {
  const layer = await readConfigFile(configFile(home));
  const root = layer?.value;
  const model = text(at(root, "model.name"));
  const slash = model?.indexOf("/") ?? -1;
  const provider = model && slash > 0 ? model.slice(0, slash) : undefined;
  const brokers = at(root, "group.kafkaBrokers");
  let name: string | undefined;
  try {
    const identity = await Deno.readTextFile(join(home, "soul", "IDENTITY.md"));
    name = /^- Name: (.+)$/m.exec(identity)?.[1]?.trim();
  } catch {
    // No soul yet: the question offers the built-in name.
  }
  const group = at(root, "group.enabled") === true;
  const workspace = text(at(root, "paths.workspace"));
  return {
    exists: layer !== undefined,
    provider: isProvider(provider) ? provider : undefined,
    model: isProvider(provider) ? model!.slice(slash + 1) : undefined,
    hasKey: (p) => text(at(root, `providers.${p}.apiKey`)) !== undefined,
    apiBase: (p) => text(at(root, `providers.${p}.apiBase`)),
    workspace: workspace === undefined ? undefined : resolvePath(workspace, home, env),
    mode: group ? (at(root, "orchestrator.enabled") === true ? "full" : "group") : "standalone",
    kafkaBrokers: Array.isArray(brokers) ? brokers.join(",") : text(brokers),
    groupName: text(at(root, "group.name")),
    agentId: text(at(root, "group.agentId")),
    name,
  };
}

/**
 * The model part of what the user gave for `provider`: `openai/gpt-4o` and `gpt-4o` both give
 * `gpt-4o` for openai; a name with another prefix (an OpenRouter or Hugging Face name) is kept.
 */
export function modelFor(provider: Provider, model: string): string {
  const trimmed = model.trim();
  return trimmed.startsWith(`${provider}/`) ? trimmed.slice(provider.length + 1) : trimmed;
}

/** A copy of one file in memory, for {@link checkAnswers}: writes never reach the disk. */
function memoryFs(path: string, initial: string | undefined): ConfigFs {
  let content = initial;
  const pending = new Map<string, string>();
  const missing = () => new Deno.errors.NotFound(path);
  return {
    readTextFile: (p) =>
      p === path && content !== undefined ? Promise.resolve(content) : Promise.reject(missing()),
    mode: () => Promise.resolve(0o600),
    realPath: (p) =>
      p === path && content !== undefined ? Promise.resolve(p) : Promise.reject(missing()),
    ensureDir: () => Promise.resolve(),
    writeNewFile: (p, data) => {
      pending.set(p, new TextDecoder().decode(data));
      return Promise.resolve();
    },
    rename: (from) => {
      content = pending.get(from);
      pending.delete(from);
      return Promise.resolve();
    },
    remove: (p) => {
      pending.delete(p);
      return Promise.resolve();
    },
    syncDir: () => Promise.resolve(),
  };
}

/**
 * Checks answers as onboarding would write them, on a copy of config.json in memory (none when
 * `fresh`: a reset). Resolves undefined when they hold, else one line saying what is wrong
 * (what is expected, never the answer itself: it may be a key).
 */
export async function checkAnswers(
  home: string,
  answers: OnboardAnswers,
  options: { fresh?: boolean } = {},
): Promise<string | undefined> {
  const file = configFile(home);
  let initial: string | undefined;
  if (!options.fresh) {
    try {
      initial = await Deno.readTextFile(file);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  const fs = memoryFs(file, initial);
  try {
    for (const change of onboardChanges(answers)) await setConfigValue(home, change, { fs });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError && error.issues.length > 0) {
      return `expected ${error.issues[0]!.expected} (${error.issues[0]!.key})`;
    }
    if (error instanceof ConfigError || error instanceof OnboardError) return error.message;
    if (error instanceof ConfigKeyError) return error.message;
    throw error;
  }
}

/**
 * First set-up: provider, model, workspace, mode and group settings written to the config file,
 * and the soul files scaffolded. `kafclaw onboard` asks for the answers (or takes them as flags).
 *
 * @module
 */
import { loadConfig, paths, type Provider, PROVIDERS, setConfigValue } from "../config/mod.ts";
import { type ScaffoldResult, scaffoldSoul } from "./templates.ts";

/** The modes onboarding sets up; headless is a gateway flag, not a set-up choice. */
export const ONBOARD_MODES = ["standalone", "group", "full"] as const;

/** The answers of an onboarding. */
export interface OnboardAnswers {
  readonly provider: Provider;
  readonly model: string;
  readonly apiKey?: string | undefined;
  readonly apiBase?: string | undefined;
  readonly workspace?: string | undefined;
  readonly mode: typeof ONBOARD_MODES[number];
  readonly groupName?: string | undefined;
  readonly kafkaBrokers?: string | undefined;
  readonly agentId?: string | undefined;
  readonly agentName?: string | undefined;
}

/** A refusal of the answers, naming the answer and what is allowed. */
export class OnboardError extends Error {
  override name = "OnboardError";
}

/** The config changes, in the order they are written (brokers before the switch that needs them). */
export function onboardChanges(a: OnboardAnswers): Array<{ path: string; value: string }> {
  if (!(PROVIDERS as readonly string[]).includes(a.provider)) {
    throw new OnboardError(
      `Unknown provider "${a.provider}": choose one of ${PROVIDERS.join(", ")}`,
    );
  }
  if (!a.model.trim()) throw new OnboardError("The model name cannot be empty");
  const changes = [{ path: "model.name", value: `${a.provider}/${a.model.trim()}` }];
  if (a.apiKey) changes.push({ path: `providers.${a.provider}.apiKey`, value: a.apiKey });
  if (a.apiBase) changes.push({ path: `providers.${a.provider}.apiBase`, value: a.apiBase });
  if (a.workspace) changes.push({ path: "paths.workspace", value: a.workspace });
  if (a.mode !== "standalone") {
    if (!a.kafkaBrokers) {
      throw new OnboardError(`Mode ${a.mode} needs Kafka brokers (host:port, comma-separated)`);
    }
    changes.push({ path: "group.kafkaBrokers", value: a.kafkaBrokers });
    if (a.groupName) changes.push({ path: "group.name", value: a.groupName });
    if (a.agentId) changes.push({ path: "group.agentId", value: a.agentId });
  }
  changes.push({ path: "group.enabled", value: String(a.mode !== "standalone") });
  changes.push({ path: "orchestrator.enabled", value: String(a.mode === "full") });
  return changes;
}

/** What onboarding did. */
export interface OnboardResult {
  readonly configFile: string;
  readonly written: string[];
  readonly soulDir: string;
  readonly soul: ScaffoldResult;
}

/**
 * Writes the answers into `$KAFCLAW_HOME/config.json` (each value validated as `config set` does)
 * and scaffolds the soul files. Existing soul files are kept unless `force`.
 */
export async function applyOnboarding(
  home: string,
  answers: OnboardAnswers,
  options: { force?: boolean; env?: Record<string, string> } = {},
): Promise<OnboardResult> {
  const changes = onboardChanges(answers);
  let configFile = "";
  for (const change of changes) configFile = (await setConfigValue(home, change)).file;
  const config = await loadConfig({ env: { ...options.env, KAFCLAW_HOME: home } });
  const dirs = paths(config);
  await Deno.mkdir(dirs.workspace, { recursive: true, mode: 0o700 });
  const soul = await scaffoldSoul(dirs.soul, {
    name: answers.agentName ?? "KafClaw",
    ...(options.force ? { force: true } : {}),
  });
  return { configFile, written: changes.map((c) => c.path), soulDir: dirs.soul, soul };
}

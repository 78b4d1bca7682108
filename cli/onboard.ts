import { Command } from "commander";
import { ConfigError, type Provider, PROVIDERS, resolveHome } from "../core/config/mod.ts";
import {
  applyOnboarding,
  ONBOARD_MODES,
  type OnboardAnswers,
  OnboardError,
} from "../core/agent/mod.ts";
import { CliError, UsageError } from "./_errors.ts";
import { hint } from "./_hint.ts";
import type { CliContext } from "./_context.ts";

interface OnboardFlags {
  nonInteractive?: boolean;
  force?: boolean;
  provider?: string;
  model?: string;
  apiKey?: string;
  apiBase?: string;
  workspace?: string;
  mode?: string;
  groupName?: string;
  kafkaBrokers?: string;
  agentId?: string;
  name?: string;
}

const LOCAL = new Set(["ollama", "lmstudio", "vllm"]);
const DEFAULT_MODELS: Record<string, string> = {
  openai: "gpt-4o-mini",
  openrouter: "openai/gpt-4o-mini",
  anthropic: "claude-sonnet-4-5",
  ollama: "llama3.1",
  groq: "llama-3.1-8b-instant",
  deepseek: "deepseek-chat",
};

function checkProvider(value: string | undefined): Provider {
  if (value && (PROVIDERS as readonly string[]).includes(value)) return value as Provider;
  throw new UsageError(`--provider must be one of ${PROVIDERS.join(", ")}, got "${value ?? ""}"`);
}

function checkMode(value: string | undefined): OnboardAnswers["mode"] {
  const mode = value ?? "standalone";
  if ((ONBOARD_MODES as readonly string[]).includes(mode)) return mode as OnboardAnswers["mode"];
  throw new UsageError(`--mode must be one of ${ONBOARD_MODES.join(", ")}, got "${mode}"`);
}

async function interview(ctx: CliContext, f: OnboardFlags): Promise<OnboardAnswers> {
  const p = ctx.prompter();
  const provider = checkProvider(
    f.provider ?? await p.ask(`LLM provider (${PROVIDERS.join(", ")})`, "openai"),
  );
  const model = f.model ?? await p.ask("Model", DEFAULT_MODELS[provider] ?? "");
  const apiKey = f.apiKey ??
    (LOCAL.has(provider) ? undefined : await p.askSecret(`API key for ${provider} (empty: none)`));
  const apiBase = f.apiBase ??
    await p.ask("API base URL (empty: the provider's default)", "");
  const mode = checkMode(f.mode ?? await p.ask(`Mode (${ONBOARD_MODES.join(", ")})`, "standalone"));
  let kafkaBrokers = f.kafkaBrokers, groupName = f.groupName, agentId = f.agentId;
  if (mode !== "standalone") {
    kafkaBrokers ??= await p.ask("Kafka brokers (host:port, comma-separated)");
    groupName ??= await p.ask("Group name", "kafclaw");
    agentId ??= await p.ask("Agent id (lower-case letters, digits, - and _)");
  }
  return {
    provider,
    model: model ?? "",
    apiKey: apiKey || undefined,
    apiBase: apiBase || undefined,
    workspace: f.workspace,
    mode,
    groupName,
    kafkaBrokers,
    agentId: agentId || undefined,
    agentName: f.name,
  };
}

/** `kafclaw onboard`: set up provider, model, workspace, mode and soul files. */
export function onboardCommand(ctx: CliContext): Command {
  return new Command("onboard")
    .description("set up provider, model, workspace, mode and soul files")
    .option("--non-interactive", "take every answer from flags (for scripts)")
    .option("-f, --force", "overwrite existing soul files")
    .option("--provider <name>", `LLM provider: ${PROVIDERS.join(", ")}`)
    .option("--model <name>", "model name at that provider (e.g. gpt-4o-mini)")
    .option("--api-key <key>", "API key (prefer the environment: OPENAI_API_KEY)")
    .option("--api-base <url>", "OpenAI-compatible endpoint, when not the provider's default")
    .option("--workspace <path>", "the agent's workspace (default $KAFCLAW_HOME/workspace)")
    .option("--mode <mode>", "standalone, group or full")
    .option("--group-name <name>", "group to join (group and full modes)")
    .option("--kafka-brokers <list>", "host:port,... (group and full modes)")
    .option("--agent-id <id>", "this agent's id in the group")
    .option("--name <name>", "the agent's name in its soul files", "KafClaw")
    .action(async (flags: OnboardFlags) => {
      const env = ctx.env();
      let answers: OnboardAnswers;
      if (flags.nonInteractive) {
        const provider = checkProvider(flags.provider);
        answers = {
          provider,
          model: flags.model ?? DEFAULT_MODELS[provider] ?? "",
          apiKey: flags.apiKey,
          apiBase: flags.apiBase,
          workspace: flags.workspace,
          mode: checkMode(flags.mode),
          groupName: flags.groupName,
          kafkaBrokers: flags.kafkaBrokers,
          agentId: flags.agentId,
          agentName: flags.name,
        };
      } else {
        answers = await interview(ctx, flags);
      }
      try {
        const home = resolveHome(env);
        const r = await applyOnboarding(home, answers, {
          ...(flags.force ? { force: true } : {}),
          env: { ...env },
        });
        ctx.io.out(`Configuration written to ${r.configFile}: ${r.written.join(", ")}`);
        ctx.io.out(
          `Soul files in ${r.soulDir}: ${r.soul.written.length} written` +
            (r.soul.kept.length
              ? `, ${r.soul.kept.length} kept (${r.soul.kept.join(", ")}; --force overwrites)`
              : ""),
        );
        ctx.io.out(`Next: ${hint(env, 'agent -m "hello"')}`);
      } catch (error) {
        // The answers are the user's flags and replies: a bad one is theirs to fix (exit 2).
        if (error instanceof ConfigError) throw new UsageError(error.message);
        if (error instanceof OnboardError) throw error;
        throw new CliError(`Onboarding failed: ${(error as Error).message}`, { cause: error });
      }
    });
}

import { Command } from "commander";
import { ConfigError, configFile, loadConfig, PROVIDERS, resolveHome } from "../core/config/mod.ts";
import { applyOnboarding, type OnboardAnswers, OnboardError } from "../core/agent/mod.ts";
import { Cancelled, CliError, UsageError } from "./_errors.ts";
import { hint } from "./_hint.ts";
import type { CliContext } from "./_context.ts";
import type { Prompter } from "./_prompt.ts";
import { type AnswerFlags, interview } from "./_onboard_ask.ts";
import {
  checkAnswers,
  type Current,
  isProvider,
  readCurrent,
  UNREADABLE,
} from "./_onboard_check.ts";
import { keyWarning, renameName, testCall } from "./_onboard_write.ts";

interface OnboardFlags extends AnswerFlags {
  nonInteractive?: boolean;
  force?: boolean;
  skipTest?: boolean;
}

/** A prompter for --non-interactive: every question takes its default. */
const defaultsOnly: Prompter = {
  ask: (_question, fallback) => Promise.resolve(fallback),
  askSecret: () => Promise.resolve(undefined),
  confirm: () => Promise.resolve(false),
  choose: (_question, _choices, fallback) => Promise.resolve(fallback),
};

/** `kafclaw onboard`: set up provider, model, workspace, mode and soul files. */
export function onboardCommand(ctx: CliContext): Command {
  return new Command("onboard")
    .description("set up provider, model, workspace, mode and soul files")
    .option("--non-interactive", "take every answer from flags (for scripts)")
    .option("-f, --force", "overwrite existing soul files")
    .option("--skip-test", "no one-token test call to the model at the end")
    .option("--provider <name>", `LLM provider: ${PROVIDERS.join(", ")}`)
    .option("--model <name>", "model at that provider: gpt-4o-mini, or openai/gpt-4o-mini")
    .option("--api-key <key>", "API key (prefer the environment: OPENAI_API_KEY)")
    .option("--api-base <url>", "OpenAI-compatible endpoint, when not the provider's default")
    .option(
      "--workspace <path>",
      "the agent's workspace, any folder (default $KAFCLAW_HOME/workspace)",
    )
    .option("--mode <mode>", "standalone, group or full")
    .option("--group-name <name>", "group to join (group and full modes)")
    .option("--kafka-brokers <list>", "host:port,... (group and full modes)")
    .option("--agent-id <id>", "this agent's id in the group")
    .option("--name <name>", "the agent's name in its soul files (default KafClaw)")
    .action(async (flags: OnboardFlags) => {
      try {
        await onboard(ctx, flags);
      } catch (error) {
        // Ctrl-C at a question: nothing was written (answers are written only once all hold).
        if (error instanceof Deno.errors.Interrupted) throw new Cancelled();
        throw error;
      }
    });
}

/** The whole of `kafclaw onboard`: the questions, then the writes, then the checks. */
async function onboard(ctx: CliContext, flags: OnboardFlags): Promise<void> {
  const env = ctx.env();
  let home: string;
  try {
    home = resolveHome(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const interactive = !flags.nonInteractive;
  let current: Current = UNREADABLE;
  let broken: string | undefined;
  try {
    current = await readCurrent(home, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    broken = error.message.split("\n")[0]!;
    if (!interactive) throw new UsageError(`${broken} (fix or move it, then onboard)`);
  }
  // A model given as provider/model names the provider when --provider does not.
  const prefix = flags.model?.split("/")[0];
  if (flags.provider === undefined && isProvider(prefix) && flags.model!.includes("/")) {
    flags.provider = prefix;
  }
  const p = interactive ? ctx.prompter() : defaultsOnly;
  let fresh = false;
  if (interactive && current.exists) {
    const what = current.provider ? `${current.provider}/${current.model}, ` : "";
    const choice = await p.choose(
      broken ?? `A set-up exists in ${configFile(home)} (${what}${current.mode})`,
      [
        { value: "keep", note: broken ? "stop here, to fix it by hand" : "change nothing" },
        ...(broken ? [] : [{ value: "modify", note: "its values are the defaults" }]),
        { value: "reset", note: "start again; the old file is kept as a .bak" },
      ],
      broken ? "keep" : "modify",
    );
    if (choice === "keep" || choice === undefined) {
      ctx.io.out(`Kept the set-up in ${configFile(home)}; nothing was written`);
      return;
    }
    fresh = choice === "reset" || broken !== undefined;
  }
  const answers = await interview({
    home,
    prompter: p,
    interactive,
    say: (line) => ctx.io.err(line),
    current,
    fresh,
    homeDir: env.HOME,
    cwd: Deno.cwd(),
  }, flags);
  const reason = await checkAnswers(home, answers, { fresh });
  if (reason !== undefined) throw new UsageError(`Cannot onboard: ${reason}`);
  await write(ctx, home, answers, { fresh, exists: current.exists, flags, env });
  const ready = keyWarning(await loadConfig({ env: { ...env, KAFCLAW_HOME: home } }));
  if (ready.warning) ctx.io.err(`Warning: ${ready.warning}`);
  let test = !flags.skipTest && ready.config !== undefined;
  if (test && interactive) {
    const answer = await p.ask("Test the model now with a one-token call? [Y/n]", "y");
    test = !/^no?$/i.test(answer ?? "");
  }
  if (test) ctx.io.out(await testCall(ready.config!));
  ctx.io.out(`Next: ${hint(env, 'agent -m "hello"')}`);
}

/** Writes what the answers say, once every answer holds: the workspace first, then the config. */
async function write(
  ctx: CliContext,
  home: string,
  answers: OnboardAnswers,
  o: { fresh: boolean; exists: boolean; flags: OnboardFlags; env: Record<string, string> },
): Promise<void> {
  try {
    if (answers.workspace) {
      await Deno.mkdir(answers.workspace, { recursive: true, mode: 0o700 }).catch((error) => {
        throw new CliError(`Cannot create the workspace ${answers.workspace}: ${error.name}`);
      });
    }
    if (o.fresh && o.exists) {
      const kept = `${configFile(home)}.${new Date().toISOString().replace(/[:.]/g, "-")}.bak`;
      await Deno.rename(configFile(home), kept);
      ctx.io.out(`The old set-up is kept in ${kept}`);
    }
    const r = await applyOnboarding(home, answers, {
      ...(o.flags.force ? { force: true } : {}),
      env: { ...o.env },
    });
    const renamed = await renameName(r.soulDir, r.soul.kept, answers.agentName);
    ctx.io.out(`Configuration written to ${r.configFile}: ${r.written.join(", ")}`);
    ctx.io.out(
      `Soul files in ${r.soulDir}: ${r.soul.written.length} written` +
        (r.soul.kept.length
          ? `, ${r.soul.kept.length} kept (${r.soul.kept.join(", ")}; --force overwrites)`
          : "") +
        (renamed ? `; the agent's name in IDENTITY.md is now ${answers.agentName}` : ""),
    );
  } catch (error) {
    // The answers are the user's flags and replies: a bad one is theirs to fix (exit 2).
    if (error instanceof ConfigError) throw new UsageError(error.message);
    if (error instanceof OnboardError || error instanceof CliError) throw error;
    throw new CliError(`Onboarding failed: ${(error as Error).message}`, { cause: error });
  }
}

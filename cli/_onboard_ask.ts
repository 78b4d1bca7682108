/**
 * The questions of `kafclaw onboard`. Each answer is checked as it is given (cli/_onboard_check.ts)
 * and a bad one is asked again with a line saying what is expected; the defaults are the current
 * set-up's values (Enter keeps them); a flag the user gave answers its question.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { type Provider, PROVIDERS } from "../core/config/mod.ts";
import { ONBOARD_MODES, type OnboardAnswers } from "../core/agent/mod.ts";
import type { Choice, Prompter } from "./_prompt.ts";
import { CliError, UsageError } from "./_errors.ts";
import {
  checkAnswers,
  type Current,
  DEFAULT_MODELS,
  isProvider,
  modelFor,
} from "./_onboard_check.ts";

/** The flags that answer questions. */
export interface AnswerFlags {
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

/** How many answers a question takes before onboarding gives up (input that is not a person's). */
const TRIES = 5;

const LOCAL = new Set(["ollama", "lmstudio", "vllm"]);

/** Where the interview writes and reads. */
export interface Interview {
  readonly home: string;
  readonly prompter: Prompter;
  /** False for --non-interactive: each question takes its default, and a bad one names its flag. */
  readonly interactive: boolean;
  /** Says why an answer was refused (stderr). */
  readonly say: (line: string) => void;
  readonly current: Current;
  /** Start again from built-in defaults (the current set-up is replaced). */
  readonly fresh: boolean;
  /** HOME and the folder onboarding runs in, for a workspace given as `~/…` or relative. */
  readonly homeDir: string | undefined;
  readonly cwd: string;
}

/**
 * Asks until `check` accepts the answer; `check` returns the reason for a bad one. A flag's value
 * answers instead of asking, and a bad one is a usage error naming that flag.
 */
async function until(
  iv: Interview,
  question: string,
  flag: readonly [name: string, value: string | undefined],
  ask: () => Promise<string | undefined>,
  check: (answer: string | undefined) => Promise<string | undefined> | string | undefined,
): Promise<string> {
  if (flag[1] !== undefined) {
    const reason = await check(flag[1]);
    if (reason !== undefined) throw new UsageError(`--${flag[0]}: ${reason}`);
    return flag[1];
  }
  if (!iv.interactive) {
    const answer = await ask();
    const reason = await check(answer);
    if (reason !== undefined) throw new UsageError(`--${flag[0]} is needed: ${reason}`);
    return answer ?? "";
  }
  for (let tries = 1;; tries++) {
    const answer = await ask();
    const reason = await check(answer);
    if (reason === undefined) return answer ?? "";
    if (tries >= TRIES) {
      throw new CliError(
        `Onboarding stopped: no valid answer to "${question}"; nothing was written`,
      );
    }
    iv.say(`  ${reason}; try again`);
  }
}

/** A workspace answer as a host path: `~/x` under HOME, a relative one under the current folder. */
export function workspacePath(answer: string, homeDir: string | undefined, cwd: string): string {
  if (answer === "~" || answer.startsWith("~/")) {
    if (!homeDir) return answer;
    return resolve(homeDir, answer.slice(2));
  }
  return isAbsolute(answer) ? resolve(answer) : resolve(cwd, answer);
}

async function workspaceProblem(path: string): Promise<string | undefined> {
  try {
    if (!(await Deno.stat(path)).isDirectory) return `${path} is a file, not a folder`;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return `cannot use ${path}: ${(error as Error).name}`;
    }
  }
  return undefined;
}

/** Asks every question a flag did not answer, each checked as it is given. */
export async function interview(iv: Interview, f: AnswerFlags): Promise<OnboardAnswers> {
  const { prompter: p, current } = iv;
  const was = iv.fresh ? undefined : current;
  const fresh = { fresh: iv.fresh };
  const provider = await until(
    iv,
    "LLM provider",
    ["provider", f.provider],
    () =>
      p.choose(
        "LLM provider",
        PROVIDERS.map((value): Choice => ({ value })),
        was?.provider ?? "openai",
      ),
    (a) => isProvider(a) ? undefined : `expected one of ${PROVIDERS.join(", ")}`,
  ) as Provider;
  const keep = was?.provider === provider;
  let answers: OnboardAnswers = { provider, model: "", mode: "standalone" };
  const model = modelFor(
    provider,
    await until(
      iv,
      "Model",
      ["model", f.model],
      () => p.ask(`Model at ${provider}`, (keep && was?.model) || DEFAULT_MODELS[provider]),
      async (a) =>
        !a?.trim()
          ? "a model name is needed"
          : await checkAnswers(iv.home, { ...answers, model: modelFor(provider, a) }, fresh),
    ),
  );
  answers = { ...answers, model };
  let apiKey = f.apiKey;
  if (apiKey === undefined && !LOCAL.has(provider)) {
    const kept = keep && was?.hasKey(provider);
    apiKey = await p.askSecret(
      `API key for ${provider} (${kept ? "Enter keeps the current one" : "Enter: none"})`,
    );
  }
  answers = { ...answers, apiKey: apiKey || undefined };
  const apiBase = await until(
    iv,
    "API base URL",
    ["api-base", f.apiBase],
    () =>
      p.ask(
        "API base URL (Enter: the provider's own)",
        (keep ? was?.apiBase(provider) : undefined) ?? "",
      ),
    async (a) => a ? await checkAnswers(iv.home, { ...answers, apiBase: a }, fresh) : undefined,
  );
  answers = { ...answers, apiBase: apiBase || undefined };
  let workspace: string | undefined;
  const ws = await until(
    iv,
    "Workspace",
    ["workspace", f.workspace],
    () => p.ask("Workspace folder", was?.workspace ?? `${iv.home}/workspace`),
    async (a) => {
      if (!a?.trim()) return "a folder is needed";
      workspace = workspacePath(a.trim(), iv.homeDir, iv.cwd);
      if (!isAbsolute(workspace)) return "HOME is not set, so ~ means nothing here";
      return await workspaceProblem(workspace) ??
        await checkAnswers(iv.home, { ...answers, workspace }, fresh);
    },
  );
  // The default place is written only when the file names another one (or a reset dropped it).
  const plain = workspace === `${iv.home}/workspace` && was?.workspace === undefined;
  answers = { ...answers, workspace: ws && !plain ? workspace : undefined };
  const agentName = await until(
    iv,
    "Agent name",
    ["name", f.name],
    () => p.ask("The agent's name", was?.name ?? "KafClaw"),
    (a) => a?.trim() ? undefined : "a name is needed",
  );
  answers = { ...answers, agentName: agentName.trim() };
  const modes = ONBOARD_MODES as readonly string[];
  const mode = await until(
    iv,
    "Mode",
    ["mode", f.mode],
    () =>
      p.choose("Mode", [
        { value: "standalone", note: "one agent, no Kafka" },
        { value: "group", note: "a member of a group over Kafka" },
        { value: "full", note: "a group member that also orchestrates" },
      ], was?.mode ?? "standalone"),
    (a) => modes.includes(a ?? "") ? undefined : `expected one of ${modes.join(", ")}`,
  ) as OnboardAnswers["mode"];
  if (mode === "standalone") return { ...answers, mode };
  answers = { ...answers, mode };
  const group = async (
    key: "kafkaBrokers" | "groupName" | "agentId",
    question: string,
    fallback: string | undefined,
  ) => {
    const value = await until(
      iv,
      question,
      [key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), f[key]],
      () => p.ask(question, fallback),
      async (a) =>
        a?.trim()
          ? await checkAnswers(iv.home, { ...answers, [key]: a.trim() }, fresh)
          : `${question} is needed`,
    );
    answers = { ...answers, [key]: value.trim() };
  };
  await group("kafkaBrokers", "Kafka brokers (host:port, comma-separated)", was?.kafkaBrokers);
  await group("groupName", "Group name", was?.groupName ?? "kafclaw");
  await group("agentId", "Agent id (letters, digits, ., _ and -)", was?.agentId);
  return answers;
}

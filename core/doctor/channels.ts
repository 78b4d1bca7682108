/**
 * The chat channels config enables (none enabled: no line at all). For Telegram: a token, and one
 * that the Bot API accepts (`getMe`, unless offline); a webhook secret and URL in webhook mode. For
 * Discord: a token, and one the REST API accepts (`GET /users/@me`, unless offline). For both: an
 * owner on the channel, without whom approvals cannot reach anyone there; and a word when
 * `dmPolicy` lets anyone talk to the agent.
 *
 * @module
 */
import { type ResolvedConfig, shortSecret } from "../config/mod.ts";
import type { CheckResult } from "./mod.ts";

const CHECK = "channels";

/** How the checks reach the platforms. */
interface Options {
  readonly offline: boolean;
  readonly timeoutMs?: number | undefined;
}

/** The lines of the enabled channels. */
export async function channelChecks(
  config: ResolvedConfig,
  options: Options,
): Promise<CheckResult[]> {
  return [...await telegramChecks(config, options), ...await discordChecks(config, options)];
}

/** `kafclaw config set <key> <value>`, as config names the command. */
const setter = (config: ResolvedConfig) => (key: string, value: string) =>
  `${config.command} config set ${key} ${value}`;

/** Lines about channel `name` any platform shares: no owner on it, and an open `dmPolicy`. */
function accessChecks(
  config: ResolvedConfig,
  name: "telegram" | "discord",
  ownerHint: string,
): CheckResult[] {
  const results: CheckResult[] = [];
  if (!config.policy.owners.some((o) => o.startsWith(`${name}:`))) {
    results.push({
      check: CHECK,
      status: "warn",
      detail: `no owner on ${name} in policy.owners: approvals cannot be answered there`,
      hint: setter(config)("policy.owners", `'["${name}:${ownerHint}"]'`),
    });
  }
  if (config.channels[name].dmPolicy === "open") {
    results.push({
      check: CHECK,
      status: "warn",
      detail: `${name}'s dmPolicy is open: anyone who finds the bot talks to the agent ` +
        "(as untrusted)",
    });
  }
  return results;
}

/** Discord's lines: its token, the owner and dmPolicy, and the token asked of the REST API. */
async function discordChecks(config: ResolvedConfig, options: Options): Promise<CheckResult[]> {
  const discord = config.channels.discord;
  if (!discord.enabled) return [];
  if (!discord.token) {
    return [{
      check: CHECK,
      status: "fail",
      detail: "discord is enabled without channels.discord.token: the gateway will not start",
      hint: setter(config)("channels.discord.token", "<the bot token from the Developer Portal>"),
    }];
  }
  return [
    ...accessChecks(config, "discord", "<your user id>"),
    options.offline
      ? { check: CHECK, status: "skip", detail: "discord's API is not contacted (--offline)" }
      : await discordBotCheck(discord.apiBase, discord.token, options.timeoutMs ?? 10_000),
  ];
}

/** Whether Discord's REST API accepts the bot token (`GET /users/@me`), never showing it. */
async function discordBotCheck(
  apiBase: string,
  token: string,
  timeoutMs: number,
): Promise<CheckResult> {
  const root = apiBase.replace(/\/+$/, "");
  try {
    const response = await fetch(`${root}/users/@me`, {
      headers: { authorization: `Bot ${token}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.json().catch(() => undefined) as
      | { username?: string; message?: string }
      | undefined;
    if (response.ok) {
      return {
        check: CHECK,
        status: "ok",
        detail: `discord: the bot ${body?.username ?? "?"} answers at ${root}`,
      };
    }
    return {
      check: CHECK,
      status: "fail",
      detail: `discord refuses the bot token: HTTP ${response.status}${
        body?.message ? ` ${body.message}` : ""
      }`,
      hint: "reset the token on the application's Bot page and set channels.discord.token",
    };
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replaceAll(token, "…");
    return { check: CHECK, status: "fail", detail: `cannot reach discord at ${root}: ${why}` };
  }
}

/** Telegram's lines; see the module documentation. */
async function telegramChecks(config: ResolvedConfig, options: Options): Promise<CheckResult[]> {
  const telegram = config.channels.telegram;
  if (!telegram.enabled) return [];
  const set = setter(config);
  if (!telegram.token) {
    return [{
      check: CHECK,
      status: "fail",
      detail: "telegram is enabled without channels.telegram.token: the gateway will not start",
      hint: set("channels.telegram.token", "<the token from BotFather>"),
    }];
  }
  const results: CheckResult[] = [];
  if (telegram.mode === "webhook" && !telegram.webhookSecret) {
    results.push({
      check: CHECK,
      status: "fail",
      detail: "telegram's webhook mode needs channels.telegram.webhookSecret: the gateway " +
        "will not start without it",
      hint: set("channels.telegram.webhookSecret", "<a long random text>"),
    });
  }
  const short = telegram.mode === "webhook" && telegram.webhookSecret
    ? shortSecret("channels.telegram.webhookSecret", telegram.webhookSecret)
    : undefined;
  if (short !== undefined) {
    results.push({
      check: CHECK,
      status: "fail",
      detail: `telegram's webhook mode will not start: ${short}`,
      hint: set("channels.telegram.webhookSecret", "<a long random text>"),
    });
  }
  if (telegram.mode === "webhook" && telegram.webhookUrl === undefined) {
    results.push({
      check: CHECK,
      status: "warn",
      detail: "telegram's webhook mode without channels.telegram.webhookUrl: Telegram is not " +
        "told where to send updates (register the webhook yourself, or set the URL)",
    });
  }
  results.push(...accessChecks(config, "telegram", "<your numeric user id>"));
  results.push(
    options.offline
      ? { check: CHECK, status: "skip", detail: "telegram's Bot API is not contacted (--offline)" }
      : await botCheck(telegram.apiBase, telegram.token, options.timeoutMs ?? 10_000),
  );
  return results;
}

/** Whether the Bot API accepts the token (getMe), never showing the token. */
async function botCheck(apiBase: string, token: string, timeoutMs: number): Promise<CheckResult> {
  const root = apiBase.replace(/\/+$/, "");
  try {
    const response = await fetch(`${root}/bot${token}/getMe`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.json().catch(() => undefined) as
      | { ok?: boolean; result?: { username?: string }; description?: string }
      | undefined;
    if (body?.ok) {
      return {
        check: CHECK,
        status: "ok",
        detail: `telegram: the bot @${body.result?.username ?? "?"} answers at ${root}`,
      };
    }
    return {
      check: CHECK,
      status: "fail",
      detail: `telegram refuses the bot token: HTTP ${response.status}${
        body?.description ? ` ${body.description}` : ""
      }`,
      hint: "take the token from BotFather again (/token) and set channels.telegram.token",
    };
  } catch (error) {
    const why = (error instanceof Error ? error.message : String(error)).replaceAll(token, "…");
    return { check: CHECK, status: "fail", detail: `cannot reach telegram at ${root}: ${why}` };
  }
}

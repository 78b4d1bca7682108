/**
 * The chat channels config enables (none enabled: no line at all). For Telegram: a token, and one
 * that the Bot API accepts (`getMe`, unless offline); a webhook secret and URL in webhook mode; an
 * owner on the channel, without whom approvals cannot reach anyone there; and a word when
 * `dmPolicy` lets anyone talk to the agent.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import type { CheckResult } from "./mod.ts";

const CHECK = "channels";

/** The lines of the enabled channels. */
export async function channelChecks(
  config: ResolvedConfig,
  options: { readonly offline: boolean; readonly timeoutMs?: number | undefined },
): Promise<CheckResult[]> {
  const telegram = config.channels.telegram;
  if (!telegram.enabled) return [];
  const set = (key: string, value: string) => `${config.command} config set ${key} ${value}`;
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
  if (telegram.mode === "webhook" && telegram.webhookUrl === undefined) {
    results.push({
      check: CHECK,
      status: "warn",
      detail: "telegram's webhook mode without channels.telegram.webhookUrl: Telegram is not " +
        "told where to send updates (register the webhook yourself, or set the URL)",
    });
  }
  if (!config.policy.owners.some((o) => o.startsWith("telegram:"))) {
    results.push({
      check: CHECK,
      status: "warn",
      detail: "no owner on telegram in policy.owners: approvals cannot be answered there",
      hint: set("policy.owners", `'["telegram:<your numeric user id>"]'`),
    });
  }
  if (telegram.dmPolicy === "open") {
    results.push({
      check: CHECK,
      status: "warn",
      detail: "telegram's dmPolicy is open: anyone who finds the bot talks to the agent " +
        "(as untrusted)",
    });
  }
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

/**
 * A gateway process as the e2e and integration tests start it: a throw-away KAFCLAW_HOME, a fake
 * LLM, and the environment that points one at the other, with the front door on free loopback
 * ports (several gateways run at once). The group's tests add their variables on top
 * (gateway_group.ts).
 *
 * @module
 */
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai_server.ts";
import { Child } from "./child.ts";
import { jsonOf, tempHome } from "./cli.ts";

/** The environment of a gateway in `home` that talks to `llm`; `more` is added last. */
export function gatewayEnv(
  home: string,
  llm: Pick<FakeOpenAI, "url">,
  more: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFCLAW_HOME: home,
    OPENAI_BASE_URL: llm.url,
    OPENAI_API_KEY: "sk-test",
    KAFCLAW_MODEL: "openai/gpt-test",
    KAFCLAW_MEMORY_EMBEDDING_ENABLED: "false",
    KAFCLAW_GATEWAY_PORT: "0",
    KAFCLAW_GATEWAY_DASHBOARD_PORT: "0",
    ...more,
  };
}

/**
 * What enables Telegram against a fake Bot API (`token`, `url`) for a gateway, with Telegram user
 * 1001 as the owner.
 */
export function telegramEnv(telegram: { readonly token: string; readonly url: string }) {
  return {
    KAFCLAW_POLICY_OWNERS: "telegram:1001",
    KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true",
    KAFCLAW_CHANNELS_TELEGRAM_TOKEN: telegram.token,
    KAFCLAW_CHANNELS_TELEGRAM_API_BASE: telegram.url,
  };
}

/** A home, a fake LLM that answers "hi", and {@link gatewayEnv}; disposing removes both. */
export async function gatewaySetting(more: Record<string, string> = {}) {
  const home = await tempHome();
  const llm = await startFakeOpenAI({ fallback: { text: "hi" } });
  return {
    home: home.path,
    llm,
    env: gatewayEnv(home.path, llm, more),
    async [Symbol.asyncDispose]() {
      await llm.close();
      await home[Symbol.asyncDispose]();
    },
  };
}

/** Starts `command` (a gateway with `--json`); resolves with it and its `started` line. */
export async function startedGateway(command: Deno.Command, what = "the gateway") {
  const child = new Child(command);
  await child.until(/"event":"started"/);
  const line = jsonOf(child, { line: "first", what });
  return { child, port: line.port as number, dashboard: line.dashboard_port as number, line };
}

/**
 * The command line of process `pid` as `ps` shows it, split at spaces (the launcher's flags hold
 * none): what permission flags the process the launcher became runs with.
 */
export async function processArgs(pid: number): Promise<string[]> {
  const ps = await new Deno.Command("ps", {
    args: ["-ww", "-o", "args=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(ps.stdout).trim().split(" ");
}

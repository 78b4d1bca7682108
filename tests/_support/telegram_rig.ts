/**
 * An agent with its Telegram channel, as the gateway runs them: a real runtime over a fake LLM,
 * the channel host built from config (`channels.telegram` pointed at a fake Bot API through
 * `apiBase`, which grammY takes as `client.apiRoot`), approvals sent to the owners' chats through
 * the host. {@link restart} builds a fresh runtime and host over the same KAFCLAW_HOME, as a
 * gateway restart does.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import type { AgentRuntime } from "../../core/agent/mod.ts";
import type { ChannelHost } from "../../channels/mod.ts";
import { agentSettings, startChannelAgent, stopChannelAgent } from "./channel_agent.ts";
import { type FakeOpenAIOptions, startFakeOpenAI } from "../fakes/openai_server.ts";
import { type FakeTelegram, startFakeTelegram } from "../fakes/telegram_server.ts";
import type { Task } from "../../core/timeline/mod.ts";
import { waitFor } from "./wait.ts";

/** The owner's Telegram user id in the rig. */
export const OWNER_ID = 1001;

/** A running rig. */
export interface TelegramRig extends AsyncDisposable {
  readonly llm: Awaited<ReturnType<typeof startFakeOpenAI>>;
  readonly telegram: FakeTelegram;
  readonly home: string;
  readonly env: Record<string, string>;
  runtime: AgentRuntime;
  host: ChannelHost;
  /** Stops the host and the runtime and starts new ones on the same home. */
  restart(): Promise<void>;
}

/** Starts a rig; `env` adds to or overrides the rig's settings. */
export async function startTelegramRig(
  script: FakeOpenAIOptions,
  env: Record<string, string> = {},
): Promise<TelegramRig> {
  const llm = await startFakeOpenAI(script);
  const telegram = await startFakeTelegram();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-telegram-" });
  const settings: Record<string, string> = {
    ...agentSettings(home, llm.url, `telegram:${OWNER_ID}`),
    KAFCLAW_CHANNELS_TELEGRAM_ENABLED: "true",
    KAFCLAW_CHANNELS_TELEGRAM_TOKEN: telegram.token,
    KAFCLAW_CHANNELS_TELEGRAM_API_BASE: telegram.url,
    ...env,
  };
  const config = await resolvePrepared({ home, env: settings });
  const start = () => startChannelAgent(config);
  const stop = stopChannelAgent;
  const first = await start();
  const rig: TelegramRig = {
    llm,
    telegram,
    home,
    env: settings,
    runtime: first.runtime,
    host: first.host,
    async restart() {
      await stop(rig);
      const next = await start();
      rig.runtime = next.runtime;
      rig.host = next.host;
    },
    async [Symbol.asyncDispose]() {
      await stop(rig);
      await telegram[Symbol.asyncDispose]();
      await llm[Symbol.asyncDispose]();
      await Deno.remove(home, { recursive: true });
    },
  };
  return rig;
}

/**
 * The owner writes `text` while the Bot API's sendMessage is down; once the answer's first attempt
 * has failed, sendMessage is back. Resolves with a reader of the answer's task.
 */
export async function firstAttemptFailed(
  rig: TelegramRig,
  text: string,
): Promise<() => Task | undefined> {
  rig.telegram.down.add("sendMessage");
  rig.telegram.pushMessage(OWNER_ID, text);
  const task = () => rig.runtime.timeline.tasks.list().items[0];
  await waitFor(() => task()?.deliveryAttempts === 1, "the first failed attempt");
  rig.telegram.down.delete("sendMessage");
  return task;
}

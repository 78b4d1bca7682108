/**
 * An agent with its WhatsApp channel, as the gateway runs them: a real runtime over a fake LLM,
 * the channel host built from config (`channels.whatsapp` pointed at the fake Graph API through
 * `apiBase`, its webhook on a free port of 127.0.0.1), approvals sent to the owners' chats through
 * the host. {@link WhatsAppRig.send} is Meta notifying the webhook of a message.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import type { AgentRuntime } from "../../core/agent/mod.ts";
import type { ChannelHost } from "../../channels/mod.ts";
import { agentSettings, startChannelAgent, stopChannelAgent } from "./channel_agent.ts";
import { WEBHOOK_PATH } from "../../channels/whatsapp/mod.ts";
import { type FakeOpenAIOptions, startFakeOpenAI } from "../fakes/openai_server.ts";
import {
  APP_SECRET,
  type FakeWhatsApp,
  notification,
  PHONE_NUMBER_ID,
  startFakeWhatsApp,
  textMessage,
  VERIFY_TOKEN,
} from "../fakes/whatsapp_server.ts";

/** The owner's WhatsApp id (their phone number) in the rig. */
export const OWNER = "15551230001";

/** The settings of WhatsApp enabled against `fake`, its webhook on a free port. */
export function whatsappSettings(fake: FakeWhatsApp): Record<string, string> {
  return {
    KAFCLAW_CHANNELS_WHATSAPP_ENABLED: "true",
    KAFCLAW_CHANNELS_WHATSAPP_ACCESS_TOKEN: fake.accessToken,
    KAFCLAW_CHANNELS_WHATSAPP_APP_SECRET: APP_SECRET,
    KAFCLAW_CHANNELS_WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN,
    KAFCLAW_CHANNELS_WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    KAFCLAW_CHANNELS_WHATSAPP_API_BASE: fake.url,
    KAFCLAW_CHANNELS_WHATSAPP_WEBHOOK_PORT: "0",
  };
}

/** A running rig. */
export interface WhatsAppRig extends AsyncDisposable {
  readonly llm: Awaited<ReturnType<typeof startFakeOpenAI>>;
  readonly whatsapp: FakeWhatsApp;
  readonly home: string;
  readonly env: Record<string, string>;
  readonly runtime: AgentRuntime;
  readonly host: ChannelHost;
  /** The webhook's URL on its listener (a new one after {@link WhatsAppRig.restart}). */
  readonly webhook: string;
  /** Meta notifies the webhook of a text from `from`; resolves with the message sent. */
  send(from: string, text: string): Promise<Record<string, unknown>>;
  /** Meta notifies the webhook of `messages` as they are (the same again: a redelivery). */
  notify(...messages: Record<string, unknown>[]): Promise<void>;
  /** Stops the host and the runtime and starts new ones on the same home, as a gateway restart. */
  restart(): Promise<void>;
}

/** Starts a rig; `env` adds to or overrides the rig's settings. */
export async function startWhatsAppRig(
  script: FakeOpenAIOptions,
  env: Record<string, string> = {},
): Promise<WhatsAppRig> {
  const llm = await startFakeOpenAI(script);
  const whatsapp = await startFakeWhatsApp();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-whatsapp-" });
  const settings: Record<string, string> = {
    ...agentSettings(home, llm.url, `whatsapp:${OWNER}`),
    ...whatsappSettings(whatsapp),
    ...env,
  };
  const config = await resolvePrepared({ home, env: settings });
  let agent = await startChannelAgent(config);
  const webhook = () => `http://${agent.host.status().whatsapp!.listening}${WEBHOOK_PATH}`;
  const notify = async (...messages: Record<string, unknown>[]) => {
    const response = await whatsapp.deliver(webhook(), notification(messages));
    await response.body?.cancel();
    if (response.status !== 200) throw new Error(`the webhook answered ${response.status}`);
  };
  return {
    llm,
    whatsapp,
    home,
    env: settings,
    get runtime() {
      return agent.runtime;
    },
    get host() {
      return agent.host;
    },
    get webhook() {
      return webhook();
    },
    async send(from, text) {
      const message = textMessage(from, text);
      await notify(message);
      return message;
    },
    notify,
    async restart() {
      await stopChannelAgent(agent);
      agent = await startChannelAgent(config);
    },
    async [Symbol.asyncDispose]() {
      await stopChannelAgent(agent);
      await whatsapp[Symbol.asyncDispose]();
      await llm[Symbol.asyncDispose]();
      await Deno.remove(home, { recursive: true });
    },
  };
}

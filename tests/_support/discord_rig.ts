/**
 * An agent with its Discord channel, as the gateway runs them: a real runtime over a fake LLM,
 * the channel host built from config (`channels.discord.apiBase` pointed at a fake Discord, whose
 * `GET /gateway/bot` sends discord.js on to the fake's gateway websocket), approvals sent to the
 * owners' DMs through the host. {@link DiscordRig.restart} builds a fresh runtime and host over
 * the same KAFCLAW_HOME, as a gateway restart does.
 */
import { resolvePrepared } from "../../core/config/mod.ts";
import { agentSettings, runChannelAgent, type RunningChannelAgent } from "./channel_agent.ts";
import { type FakeOpenAIOptions, startFakeOpenAI } from "../fakes/openai_server.ts";
import { type FakeDiscord, startFakeDiscord } from "../fakes/discord_server.ts";

/** The owner's Discord user id in the rig. */
export const OWNER_ID = "800000000000000001";

/** A running rig. */
export interface DiscordRig extends RunningChannelAgent {
  readonly llm: Awaited<ReturnType<typeof startFakeOpenAI>>;
  readonly discord: FakeDiscord;
  readonly home: string;
  readonly env: Record<string, string>;
}

/** Starts a rig; `env` adds to or overrides the rig's settings. */
export async function startDiscordRig(
  script: FakeOpenAIOptions,
  env: Record<string, string> = {},
): Promise<DiscordRig> {
  const llm = await startFakeOpenAI(script);
  const discord = await startFakeDiscord();
  const home = await Deno.makeTempDir({ prefix: "kafclaw-discord-" });
  const settings: Record<string, string> = {
    ...agentSettings(home, llm.url, `discord:${OWNER_ID}`),
    KAFCLAW_CHANNELS_DISCORD_ENABLED: "true",
    KAFCLAW_CHANNELS_DISCORD_TOKEN: discord.token,
    KAFCLAW_CHANNELS_DISCORD_API_BASE: `${discord.url}/api/v10`,
    ...env,
  };
  const config = await resolvePrepared({ home, env: settings });
  const agent = await runChannelAgent(config, home, [discord, llm]);
  return Object.assign(agent, { llm, discord, home, env: settings });
}

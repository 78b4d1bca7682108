/**
 * Discord through discord.js (discord.ts). Loaded only by a gateway that runs Discord, so no
 * other command pays for discord.js.
 *
 * @module
 */
export {
  DISCORD_INTENTS,
  DISCORD_TEXT_LIMIT,
  DiscordChannel,
  type DiscordOptions,
  restBase,
} from "./discord.ts";

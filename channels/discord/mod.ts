/**
 * Discord through discord.js (discord.ts), and the attachments that arrive on it
 * (attachments.ts). Loaded only by a gateway that runs Discord, so no
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
export { DISCORD_CDN_HOSTS, MAX_ATTACHMENT_BYTES } from "./attachments.ts";

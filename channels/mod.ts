/**
 * Chat channels: people talk to the agent where they already are.
 *
 * - types.ts: the {@link Channel} every platform implements, and the messages it passes.
 * - inbox.ts: what happens to every inbound message, whatever the platform: access by `dmPolicy`
 *   (access.ts) and pairing (pairing.ts), one stored task per platform message id (a redelivery
 *   is answered once, also after a restart), the one door into a turn, the answer sent and, when
 *   that fails, left to the delivery worker's retries.
 * - telegram/: Telegram through grammY, long polling or webhook, loaded by the host only when
 *   Telegram is enabled (so `kafclaw pairing` never loads grammY).
 * - discord/: Discord through discord.js (DMs and mentions in servers), likewise loaded only when
 *   enabled.
 * - whatsapp/: WhatsApp through the official Cloud API (a signed webhook in, the Graph API out),
 *   likewise loaded only when enabled.
 * - media.ts: inbound files saved into the workspace under `inbox/<channel>/`.
 * - body.ts: bodies read from the network up to a bound as they stream in (webhook requests,
 *   downloaded files), and the webhooks' secrets compared in constant time.
 * - webhook_listener.ts: the listener of a platform's webhook calls (Telegram, WhatsApp): one
 *   line naming the address when it cannot listen, a handler's failure in the channel's status.
 * - host.ts: the channels of one gateway, built from config, with the owners' channel for
 *   approvals and the delivery worker's way back.
 *
 * @example
 * ```ts ignore
 * import { ChannelHost } from "./mod.ts";
 * const host = await ChannelHost.fromConfig(config);
 * await using agent = await createAgentRuntime(config, { sendToOwner: host.sendToOwner });
 * await host.start(agent);
 * ```
 *
 * @module
 */
export type { Channel, ChannelStatus, InboundMessage, Inbox, OutboundMessage } from "./types.ts";
export { type Access, accessOf, isOwner } from "./access.ts";
export { ChannelInbox, type ChannelInboxOptions } from "./inbox.ts";
export { type OutboxOptions, type OutboxTasks, sendRecorded } from "./outbox.ts";
export {
  CODE_ALPHABET,
  CODE_TTL_MS,
  MAX_PENDING,
  type PairedSender,
  PAIRING_CHANNELS,
  PairingError,
  type PairingState,
  PairingStore,
  type PendingPairing,
} from "./pairing.ts";
export { splitMessage } from "./split.ts";
export {
  type ChannelAgent,
  ChannelHost,
  channelsFromConfig,
  type ChannelsReport,
  STATUS_EVERY_MS,
  statusFile,
} from "./host.ts";

/**
 * Files that arrive on Discord as a message's attachments: downloaded from Discord's CDN (never
 * from another host; the bot token is not sent, the CDN's URLs are signed), then transcribed
 * (audio, voice messages included) or saved into the workspace under `inbox/discord/`
 * (channels/media.ts), where the agent's file tools find them.
 *
 * @module
 */
import { saveInbound } from "../media.ts";
import { readUpTo } from "../body.ts";

/** The largest attachment the channel downloads (Discord's free upload limit). */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/**
 * Where Discord serves attachments (their `url`; a headless gateway's network grants this host,
 * core/config/network.ts).
 */
export const DISCORD_CDN_HOSTS: readonly string[] = ["cdn.discordapp.com"];

/** One attachment as the channel reads it. */
export interface Attachment {
  readonly name: string;
  readonly url: string;
  readonly size: number;
  readonly contentType: string | undefined;
}

/**
 * Downloads `attachment`: from https on {@link DISCORD_CDN_HOSTS}, or from `apiOrigin` (the REST
 * API's own origin: a proxy of yours, or a test's fake); anything else is refused, as is a file
 * over {@link MAX_ATTACHMENT_BYTES}.
 */
export async function downloadAttachment(
  attachment: Attachment,
  apiOrigin: string,
): Promise<Uint8Array> {
  const url = URL.canParse(attachment.url) ? new URL(attachment.url) : undefined;
  const onCdn = url?.protocol === "https:" && DISCORD_CDN_HOSTS.includes(url.hostname);
  if (!url || !(onCdn || url.origin === apiOrigin)) {
    throw new Error("the attachment is not on Discord's CDN");
  }
  if (attachment.size > MAX_ATTACHMENT_BYTES) {
    throw new Error(`${attachment.size} bytes is over the 25 MB limit`);
  }
  const response = await fetch(url, { redirect: "error" });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`HTTP ${response.status}`);
  }
  const bytes = await readUpTo(response.body, MAX_ATTACHMENT_BYTES);
  if (bytes === undefined) throw new Error("the file is over the 25 MB limit");
  return bytes;
}

/** Saves `bytes` as `inbox/discord/<name>` in `workspace` (channels/media.ts). */
export function saveAttachment(workspace: string, name: string, bytes: Uint8Array) {
  return saveInbound(workspace, "discord", name, bytes);
}

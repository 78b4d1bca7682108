/**
 * Files that arrive on Telegram: downloaded from the Bot API's file endpoint, then either
 * transcribed (voice notes and audio, through the agent's speech provider) or saved into the
 * workspace under `inbox/telegram/` (channels/media.ts), where the agent's file tools find them.
 *
 * @module
 */

import { readUpTo } from "../body.ts";
import { inboxDir, saveInbound } from "../media.ts";
export { safeName } from "../media.ts";

/** The largest file the Bot API lets a bot download (20 MB). */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/** Where inbound files go, relative to the workspace. */
export const INBOX_DIR = inboxDir("telegram");

/** Downloads `filePath` (from getFile) from `apiRoot`. */
export async function downloadFile(
  apiRoot: string,
  token: string,
  filePath: string,
): Promise<Uint8Array> {
  const response = await fetch(`${apiRoot}/file/bot${token}/${filePath}`);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot download a Telegram file: HTTP ${response.status}`);
  }
  const bytes = response.body === null
    ? new Uint8Array()
    : await readUpTo(response.body, MAX_DOWNLOAD_BYTES);
  if (bytes === undefined) {
    throw new Error("Cannot take a Telegram file over the 20 MB limit");
  }
  return bytes;
}

/** Saves `bytes` as `inbox/telegram/<name>` in `workspace` (channels/media.ts). */
export function saveToWorkspace(workspace: string, name: string, bytes: Uint8Array) {
  return saveInbound(workspace, "telegram", name, bytes);
}

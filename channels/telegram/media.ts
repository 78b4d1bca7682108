/**
 * Files that arrive on Telegram: downloaded from the Bot API's file endpoint, then either
 * transcribed (voice notes and audio, through the agent's speech provider) or saved into the
 * workspace under `inbox/telegram/`, where the agent's file tools find them.
 *
 * Saving is a host-side write into a folder the agent can change, so it refuses what would lead
 * outside: the folder's real path must lie inside the workspace's (a symlink the agent planted as
 * `inbox` leads nowhere), and the file is created new, never written through an existing name.
 *
 * @module
 */

/** The largest file the Bot API lets a bot download (20 MB). */
export const MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024;

/** Where inbound files go, relative to the workspace. */
export const INBOX_DIR = "inbox/telegram";

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
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (bytes.length > MAX_DOWNLOAD_BYTES) {
    throw new Error(`Cannot take a Telegram file of ${bytes.length} bytes: the limit is 20 MB`);
  }
  return bytes;
}

/** A file name with only letters, digits, `.`, `_` and `-`, never hidden, at most 100 long. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[.]+/, "").slice(-100);
  return cleaned === "" ? "file" : cleaned;
}

/**
 * Saves `bytes` as `inbox/telegram/<name>` in `workspace` (a suffix added when the name is taken);
 * returns the path relative to the workspace.
 */
export async function saveToWorkspace(
  workspace: string,
  name: string,
  bytes: Uint8Array,
): Promise<string> {
  const dir = `${workspace}/${INBOX_DIR}`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const [root, real] = await Promise.all([Deno.realPath(workspace), Deno.realPath(dir)]);
  if (real !== `${root}/${INBOX_DIR}`) {
    throw new Error(`Cannot save a Telegram file: ${INBOX_DIR} in the workspace leads elsewhere`);
  }
  const safe = safeName(name);
  for (let n = 0; n < 100; n++) {
    const file = n === 0 ? safe : safe.replace(/(\.[^.]*)?$/, `-${n}$1`);
    try {
      await Deno.writeFile(`${real}/${file}`, bytes, { createNew: true, mode: 0o600 });
      return `${INBOX_DIR}/${file}`;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
  throw new Error(`Cannot save a Telegram file: too many files named ${safe}`);
}

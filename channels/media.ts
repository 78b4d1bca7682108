/**
 * Files that arrive on a chat channel, saved into the agent's workspace under
 * `inbox/<channel>/`, where its file tools find them.
 *
 * Saving is a host-side write into a folder the agent can change, so it refuses what would lead
 * outside: the folder's real path must lie inside the workspace's (a symlink the agent planted as
 * `inbox` leads nowhere), and the file is created new, never written through an existing name.
 * The bytes go to a hidden file of their own first, which is then linked under its name, so a
 * write that fails half way (a full disk, a stream that breaks) leaves no partial file for the
 * agent to read.
 *
 * @module
 */

/** Where `channel`'s inbound files go, relative to the workspace. */
export function inboxDir(channel: string): string {
  return `inbox/${channel}`;
}

/** A file name with only letters, digits, `.`, `_` and `-`, never hidden, at most 100 long. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[.]+/, "").slice(-100);
  return cleaned === "" ? "file" : cleaned;
}

/**
 * Saves `bytes` as `inbox/<channel>/<name>` in `workspace` (a suffix added when the name is
 * taken); returns the path relative to the workspace.
 */
export async function saveInbound(
  workspace: string,
  channel: string,
  name: string,
  bytes: Uint8Array | ReadableStream<Uint8Array>,
): Promise<string> {
  const inbox = inboxDir(channel);
  const dir = `${workspace}/${inbox}`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const [root, real] = await Promise.all([Deno.realPath(workspace), Deno.realPath(dir)]);
  if (real !== `${root}/${inbox}`) {
    throw new Error(`Cannot save a ${channel} file: ${inbox} in the workspace leads elsewhere`);
  }
  const safe = safeName(name);
  const partial = `${real}/.partial-${crypto.randomUUID()}`;
  try {
    await Deno.writeFile(partial, bytes, { createNew: true, mode: 0o600 });
    for (let n = 0; n < 100; n++) {
      const file = n === 0 ? safe : safe.replace(/(\.[^.]*)?$/, `-${n}$1`);
      try {
        await Deno.link(partial, `${real}/${file}`);
        return `${inbox}/${file}`;
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    }
    throw new Error(`Cannot save a ${channel} file: too many files named ${safe}`);
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
}

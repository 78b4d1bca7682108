/**
 * `doctor`'s check of the workspace for the configured secrets themselves: a key in a workspace
 * file (a `.env`, a script) is a file the agent's tools read, so the model sees it but masked,
 * and every piece of it a command prints is masked too; it is still a key where it should not be.
 *
 * @module
 */
import { getAt, KEYS, paths, type ResolvedConfig } from "../config/mod.ts";
import type { CheckResult } from "./mod.ts";

/** Files larger than this are not read; folders past this many files are not walked further. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_FILES = 5000;

/** The secret keys of the config that have a value long enough to be found: dotted key, value. */
function secrets(config: ResolvedConfig): [string, string][] {
  return KEYS.keys.filter((k) => k.secret)
    .map((k): [string, unknown] => [k.key, getAt(config, k.segments)])
    .filter((e): e is [string, string] => typeof e[1] === "string" && e[1].length >= 8);
}

/** The workspace's regular files (not through links, not in `.git`), up to {@link MAX_FILES}. */
async function* files(dir: string, seen = { count: 0 }): AsyncGenerator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (seen.count >= MAX_FILES) return;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && entry.name !== ".git") yield* files(path, seen);
    else if (entry.isFile) {
      seen.count++;
      yield path;
    }
  }
}

/** Warns about each workspace file holding a configured secret, naming the file and the key. */
export async function workspaceSecretsCheck(config: ResolvedConfig): Promise<CheckResult> {
  const keys = secrets(config);
  const workspace = paths(config).workspace;
  const found: string[] = [];
  if (keys.length > 0) {
    for await (const file of files(workspace)) {
      if ((await Deno.stat(file)).size > MAX_FILE_BYTES) continue;
      const text = new TextDecoder().decode(await Deno.readFile(file));
      const named = keys.filter(([, value]) => text.includes(value)).map(([key]) => key);
      if (named.length) found.push(`${file.slice(workspace.length + 1)} (${named.join(", ")})`);
    }
  }
  if (found.length === 0) {
    return { check: "workspace secrets", status: "ok", detail: "no configured secret in it" };
  }
  return {
    check: "workspace secrets",
    status: "warn",
    detail: `the workspace holds configured secrets: ${found.join("; ")}. The model sees them ` +
      `masked, but the agent's tools read these files`,
    hint:
      `move the secrets out of the workspace (${config.command} config set, or the environment)`,
  };
}

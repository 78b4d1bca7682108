/**
 * `doctor --fix`: the fixes that cannot lose or expose anything, and nothing else. A missing
 * KAFCLAW_HOME is made (0700); KAFCLAW_HOME and the folders of conversations and keys (sessions/,
 * identity/) that others can enter are made 0700; config.json, the timeline database and the files
 * of sessions/ and identity/ that others can read are made 0600. Symbolic links are never followed
 * or changed, and the workspace, the soul files and everything else are left as they are.
 *
 * @module
 */
import { join } from "node:path";
import { paths, type ResolvedConfig } from "../config/mod.ts";

/** One fix made, or one that could not be. */
export interface FixResult {
  readonly path: string;
  /** What was done (`chmod 600 (was 644)`, `created (mode 700)`), or why it could not be. */
  readonly did: string;
  readonly ok: boolean;
}

async function lstatOf(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

const reason = (error: unknown) =>
  (error as Error).message.replace(/ \(os error \d+\).*$/, "").toLowerCase();

/** Narrows `path` to `mode` when it is a `kind` that others may use; never through a link. */
async function narrow(
  path: string,
  kind: "file" | "dir",
  mode: number,
  out: FixResult[],
): Promise<void> {
  const info = await lstatOf(path);
  if (info === undefined || (kind === "file" ? !info.isFile : !info.isDirectory)) return;
  const was = info.mode! & 0o777;
  if ((was & 0o077) === 0) return;
  try {
    await Deno.chmod(path, mode);
    out.push({
      path,
      did: `chmod ${mode.toString(8)} (was ${was.toString(8)})`,
      ok: true,
    });
  } catch (error) {
    out.push({ path, did: `cannot chmod ${mode.toString(8)}: ${reason(error)}`, ok: false });
  }
}

async function filesIn(dir: string): Promise<string[]> {
  const info = await lstatOf(dir);
  if (!info?.isDirectory) return [];
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(join(dir, entry.name));
  return out.sort();
}

/** Applies the safe fixes; resolves what was done, in order. */
export async function applyFixes(config: ResolvedConfig): Promise<FixResult[]> {
  const p = paths(config);
  const out: FixResult[] = [];
  if (await lstatOf(p.home) === undefined) {
    try {
      await Deno.mkdir(p.home, { recursive: true, mode: 0o700 });
      out.push({ path: p.home, did: "created (mode 700)", ok: true });
    } catch (error) {
      out.push({ path: p.home, did: `cannot create it: ${reason(error)}`, ok: false });
    }
    return out;
  }
  await narrow(p.home, "dir", 0o700, out);
  await narrow(p.config, "file", 0o600, out);
  for (const suffix of ["", "-wal", "-shm"]) await narrow(p.timeline + suffix, "file", 0o600, out);
  for (const dir of [p.sessions, p.identity]) {
    await narrow(dir, "dir", 0o700, out);
    for (const file of await filesIn(dir)) await narrow(file, "file", 0o600, out);
  }
  return out;
}

/** The fixes as lines of text. */
export function formatFixes(fixes: readonly FixResult[]): string {
  if (fixes.length === 0) return "fixed nothing: no safe fix was needed";
  return fixes.map((f) => `${f.ok ? "fixed" : "not fixed"}  ${f.path}: ${f.did}`).join("\n");
}

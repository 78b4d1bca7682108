/**
 * Finding the protected entries of a workspace (_protected.ts) around each `exec`, and setting
 * aside the ones a command planted. The kernel enforces both halves:
 *
 * - before the command, every protected entry found is bound read-only into its sandbox (so it
 *   cannot be changed, removed, renamed or hard-linked from inside), each checked by `dev:ino`
 *   at start (_exec_init.ts);
 * - after it, when every process of the command is gone, entries that were not there before
 *   (by identity, so one the command merely moved is kept) are renamed to an inert name:
 *   `sub/.git` becomes `sub/.git.kafclaw-disabled-1a2b3c`, nothing is deleted.
 *
 * The lists come from `find` inside a sandbox view (file names are bytes; Deno would decode a
 * name that is not UTF-8 into one it cannot open), and the renames happen there too, with the
 * paths given as bytes on stdin. Nothing else runs in the workspace meanwhile (the sandbox runs
 * one command or file write at a time), and no link is followed: `find` does not, `mv -T`
 * renames a link itself, and inside the view nothing outside the workspace exists anyway.
 *
 * @module
 */
import type { GuardedBind } from "./_exec_init.ts";
import { isGitDir, isProtectedName } from "./_protected.ts";
import { SandboxError } from "./types.ts";

/** Runs a command in a fresh sandbox view of the workspace (read-only unless `writable`). */
export type ViewRunner = (
  command: readonly string[],
  options: { readonly writable: boolean; readonly stdin?: Uint8Array },
) => Promise<{ code: number; stdout: Uint8Array; stderr: string }>;

/** One protected entry: a protected name, or a folder git takes for a repository. */
export interface ProtectedEntry {
  /** Below /work, as bytes; empty for the workspace itself. */
  readonly path: Uint8Array;
  /** Identity: kind, `dev:ino` (of a repository folder's HEAD) and a link's target. */
  readonly key: string;
  /** How a command's sandbox binds it read-only; null for a link (bound links are followed). */
  readonly bind: GuardedBind | null;
  /** What to rename when it is new: the entry, or the HEAD that makes a folder a repository. */
  readonly aside: Uint8Array;
  /** Why it cannot be protected (so a command must not run), or null. */
  readonly refusal: string | null;
}

const FORMAT = "%y %D:%i %n %P\\0%l\\0";
/** Names `find` prunes at: protected for sure, so nothing below them needs listing. */
const PRUNED = [".git", ".hg", ".jj", ".vscode", ".idea", ".devcontainer"];
/** Everything that might be protected, or mark a repository folder; the code decides. */
const LISTED = ["-name", ".*", "-o", "-name", "*[! -~]*", "-o", "-name", "*~*"];
const MARKERS = ["head", "objects", "refs", "commondir"];
/** What a set-aside entry's name gets; never a protected name itself. */
const ASIDE = ".kafclaw-disabled-";
/** Renames each NUL-terminated path on stdin (below /work) to itself plus `$1`. */
const RENAME =
  'while IFS= read -r -d "" path; do mv -T -- "/work/$path" "/work/$path$1" || exit; done';

/** The `find` command that lists candidates, NUL-separated (LC_ALL=C: names are bytes). */
export function scanCommand(): string[] {
  const either = (tests: string[][]) => tests.flatMap((test, i) => i ? ["-o", ...test] : test);
  const pruned = either(PRUNED.map((name) => ["-name", name]));
  const markers = either(MARKERS.map((name) => ["-iname", name]));
  return [
    "env",
    "LC_ALL=C",
    "find",
    "/work/",
    "-mindepth",
    "1",
    "(",
    ...pruned,
    ")",
    "-printf",
    FORMAT,
    "-prune",
    "-o",
    "(",
    ...LISTED,
    "-o",
    ...markers,
    ")",
    "-printf",
    FORMAT,
  ];
}

const text = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const SLASH = 0x2f;
/** A byte string as a JS string one char per byte: a lossless map key. */
const keyOf = (bytes: Uint8Array) => String.fromCharCode(...bytes);

interface Found {
  readonly kind: string;
  readonly id: string;
  readonly links: number;
  readonly path: Uint8Array;
  readonly target: Uint8Array;
}

function parse(output: Uint8Array): Found[] {
  const found: Found[] = [];
  for (let at = 0; at < output.length;) {
    const head = output.indexOf(0, at);
    const tail = output.indexOf(0, head + 1);
    if (head < 0 || tail < 0) throw new SandboxError("Cannot scan the workspace: cut output");
    const record = output.subarray(at, head);
    const spaces: number[] = [];
    for (let i = 0; i < record.length && spaces.length < 3; i++) {
      if (record[i] === 0x20) spaces.push(i);
    }
    const [first = 0, second = 0, third = 0] = spaces;
    found.push({
      kind: text.decode(record.subarray(0, first)),
      id: text.decode(record.subarray(first + 1, second)),
      links: Number(text.decode(record.subarray(second + 1, third))),
      path: record.slice(third + 1),
      target: output.slice(head + 1, tail),
    });
    at = tail + 1;
  }
  return found;
}

function pathText(path: Uint8Array): string | null {
  try {
    return strict.decode(path);
  } catch {
    return null;
  }
}

/** `found` itself, or (`head` set) the repository folder that `found`, its HEAD, makes. */
function entryOf(found: Found, head: boolean): ProtectedEntry {
  const path = head
    ? found.path.subarray(0, Math.max(found.path.lastIndexOf(SLASH), 0))
    : found.path;
  const link = found.kind === "l" && !head;
  const at = pathText(path);
  const check = head ? pathText(found.path) : null;
  const shown = JSON.stringify(text.decode(path) || ".");
  let refusal: string | null = null;
  if (!link && (at === null || (head && check === null))) {
    refusal = `${shown} (a name that is not UTF-8) cannot be protected; rename it`;
  } else if (found.kind === "f" && found.links > 1 && !head) {
    refusal = `${shown} has another hard link, through which a command could change it`;
  }
  return {
    path,
    key: `${head ? "git" : found.kind} ${found.id} ${link ? keyOf(found.target) : ""}`,
    bind: link || at === null || refusal !== null
      ? null
      : { path: at, id: found.id, ...(check === null ? {} : { check }) },
    aside: found.path,
    refusal,
  };
}

/** The workspace's protected entries, outermost only (what is below one is covered by it). */
export async function scanProtected(run: ViewRunner): Promise<ProtectedEntry[]> {
  const result = await run(scanCommand(), { writable: false });
  // A folder the sandbox's uid may not read is one its commands may not touch either.
  const errors = result.stderr.split("\n").filter((line) =>
    line.trim() !== "" && !/Permission denied/.test(line)
  );
  if (result.code !== 0 && errors.length > 0) {
    throw new SandboxError(`Cannot scan the workspace: ${errors[0]}`);
  }
  const found = parse(result.stdout);
  const entries = new Map<string, ProtectedEntry>();
  const markers = new Map<string, { names: Set<string>; head: Found | null }>();
  for (const item of found) {
    const slash = item.path.lastIndexOf(SLASH);
    const name = text.decode(item.path.subarray(slash + 1));
    if (isProtectedName(name)) entries.set(keyOf(item.path), entryOf(item, false));
    if (!MARKERS.includes(name.toLowerCase())) continue;
    const parent = keyOf(item.path.subarray(0, Math.max(slash, 0)));
    const seen = markers.get(parent) ?? { names: new Set<string>(), head: null };
    seen.names.add(name.toLowerCase());
    if (name.toLowerCase() === "head") seen.head = item;
    markers.set(parent, seen);
  }
  for (const [parent, seen] of markers) {
    if (seen.head === null || !isGitDir((name) => seen.names.has(name.toLowerCase()))) continue;
    if (!entries.has(parent)) entries.set(parent, entryOf(seen.head, true));
  }
  const keys = [...entries.keys()];
  const covered = (key: string) =>
    keys.some((other) => other !== key && (other === "" || key.startsWith(`${other}/`)));
  return keys.filter((key) => !covered(key)).map((key) => entries.get(key)!);
}

/**
 * Renames every protected entry whose identity is not in `keep` (what was there before the
 * command), until none is left; returns what was renamed, as text. Throws when an entry cannot
 * be renamed: the caller must then stop trusting the workspace.
 */
export async function setAside(run: ViewRunner, keep: ReadonlySet<string>): Promise<string[]> {
  const renamed: string[] = [];
  // A renamed folder may reveal a protected entry below it that `find` had pruned: look again.
  for (let round = 0; round < 8; round++) {
    const planted = (await scanProtected(run)).filter((entry) => !keep.has(entry.key));
    if (planted.length === 0) return renamed;
    const suffix = `${ASIDE}${crypto.randomUUID().slice(0, 6)}`;
    const list = new Uint8Array(planted.flatMap((entry) => [...entry.aside, 0]));
    const moved = await run(["bash", "-c", RENAME, "kafclaw-set-aside", suffix], {
      writable: true,
      stdin: list,
    });
    if (moved.code !== 0) {
      throw new SandboxError(
        `Cannot set aside what the command planted (${
          planted.map((entry) => JSON.stringify(text.decode(entry.aside))).join(", ")
        }): ${moved.stderr.trim() || `exit code ${moved.code}`}`,
      );
    }
    // What a later round finds inside a folder renamed before is not worth naming again.
    const shown = planted.map((entry) => text.decode(entry.aside))
      .filter((path) => !renamed.some((done) => path.startsWith(`${done}/`)));
    renamed.push(...shown.map((path) => `${path}${suffix}`));
  }
  throw new SandboxError("Cannot set aside what the command planted: it keeps reappearing");
}

/**
 * The file helper: a small resident Deno program that serves read, write and list over JSON lines
 * on stdin/stdout; binary content (`encoding: "base64"`) travels base64-encoded in the same
 * lines. It runs inside bubblewrap, where the only writable files are the workspace at /work (or,
 * without bubblewrap, as a Deno process allowed to read and write the workspace only).
 * Every path is checked twice: by text (no `..` above the root) and by real path (links included)
 * against the root.
 *
 * {@link fsHelperMain}, {@link splitWorkspacePath}, `isProtectedName`, `isGitDir` and
 * `explainFsError` are serialised into the helper's source, so they refer to nothing else: no
 * imports at run time, no module-level names.
 *
 * @module
 */
import { explainFsError } from "./_fs_explain.ts";
import { isGitDir, isProtectedName } from "./_protected.ts";
import { splitWorkspacePath } from "./paths.ts";

/** What the helper is told when it starts. */
export interface FsHelperConfig {
  /** The workspace as the helper sees it: `/work` inside bubblewrap, the host path otherwise. */
  readonly root: string;
  /** `dev:ino` that `<root>/.git` must have (the read-only bind inside bubblewrap), or null. */
  readonly gitGuard: string | null;
  /** Largest content `write` accepts, in bytes. */
  readonly maxFileBytes: number;
}

/**
 * How a read answers and a write's `content` is given: UTF-8 text (the default), or base64 of
 * the bytes.
 */
export type FsEncoding = "utf8" | "base64";

/** What one request asks. */
export type FsOperation =
  | {
    readonly op: "read";
    readonly path: string;
    readonly maxBytes: number;
    readonly encoding?: FsEncoding;
  }
  | {
    readonly op: "write";
    readonly path: string;
    readonly content: string;
    readonly encoding?: FsEncoding;
  }
  | { readonly op: "list"; readonly path: string };

/** One request line. */
export type FsRequest = FsOperation & { readonly id: number };

/** One answer line; `{ready: true}` comes first, once the helper runs. */
export type FsResponse =
  | { readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly code: string; readonly reason: string };

/** The helper's program: serves requests until stdin ends. */
export function fsHelperMain(config: FsHelperConfig): void {
  type Refusal = { refusal: true; code: string; reason: string };
  const encoder = new TextEncoder();
  const send = (message: unknown): void => {
    const bytes = encoder.encode(JSON.stringify(message) + "\n");
    for (let at = 0; at < bytes.length;) at += Deno.stdout.writeSync(bytes.subarray(at));
  };
  const fail = (code: string, reason: string): never => {
    throw { refusal: true, code, reason } satisfies Refusal;
  };
  const root = Deno.realPathSync(config.root);
  if (config.gitGuard !== null) {
    const git = Deno.statSync(`${root}/.git`);
    if (`${git.dev}:${git.ino}` !== config.gitGuard) {
      console.error("kafclaw sandbox: .git changed while the sandbox started; refusing to serve");
      Deno.exit(3);
    }
  }
  const inside = (real: string) => real === root || real.startsWith(`${root}/`);
  const lstatOrNull = (path: string) => {
    try {
      return Deno.lstatSync(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  };
  const joined = (path: string): string[] => {
    const split = splitWorkspacePath(path);
    return split.ok ? [...split.parts] : fail("outside", split.reason);
  };
  // Whether a part of `path` (which starts at the root) is a link that leads out or nowhere.
  const leadsOut = (path: string): boolean => {
    const parts = path.slice(root.length + 1).split("/");
    for (let depth = 1; depth <= parts.length; depth++) {
      const prefix = [root, ...parts.slice(0, depth)].join("/");
      const info = lstatOrNull(prefix);
      if (info === null) return false;
      if (!info.isSymlink) continue;
      try {
        if (!inside(Deno.realPathSync(prefix))) return true;
      } catch {
        return true;
      }
    }
    return false;
  };
  // The real path of `path`, which must stay inside the workspace.
  const real = (path: string): string => {
    let resolved = "";
    try {
      resolved = Deno.realPathSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      if (leadsOut(path)) {
        fail("outside", "it goes through a link to something outside the workspace, or to nothing");
      }
      fail("not_found", "no such file or folder in the workspace");
    }
    return inside(resolved) ? resolved : fail("outside", "the path leads outside the workspace");
  };
  const below = (real: string) => real === root ? [] : real.slice(root.length + 1).split("/");
  // A path through or to a protected name (_protected.ts), as given or as it resolves.
  const writable = (parts: readonly string[]) => {
    const hit = parts.find((part) => isProtectedName(part));
    if (hit === undefined) return;
    fail(
      "protected",
      `${JSON.stringify(hit)} runs code when the owner uses the workspace (git, direnv, ` +
        "editors); tools may not create or change it",
    );
  };
  // A folder git takes for a repository, or one that adding `name` would make one.
  const notGitDir = (dir: string, adding: string | null) => {
    const adds = (name: string) => adding?.toLowerCase() === name.toLowerCase();
    if (!isGitDir((name) => adds(name) || lstatOrNull(`${dir}/${name}`) !== null)) return;
    fail(
      "protected",
      `${JSON.stringify(below(dir).join("/") || ".")} is or would become a git repository's ` +
        "folder, which runs code when the owner uses it; tools may not change it",
    );
  };

  const read = (path: string, maxBytes: number): Uint8Array => {
    const target = real([root, ...joined(path)].join("/"));
    const info = Deno.statSync(target);
    if (info.isDirectory) fail("wrong_kind", "it is a folder, not a file");
    if (!info.isFile) fail("wrong_kind", "it is not a regular file");
    if (info.size > maxBytes) {
      fail("too_large", `the file has ${info.size} bytes, more than the limit of ${maxBytes}`);
    }
    const buffer = new Uint8Array(Math.min(info.size, maxBytes) + 1);
    const file = Deno.openSync(target, { read: true });
    let size = 0;
    try {
      for (let n: number | null = 0; n !== null && size < buffer.length;) {
        n = file.readSync(buffer.subarray(size));
        size += n ?? 0;
      }
    } finally {
      file.close();
    }
    if (size > maxBytes) fail("too_large", `it grew past the limit of ${maxBytes} bytes`);
    return buffer.subarray(0, size);
  };

  const write = (path: string, bytes: Uint8Array): null => {
    const parts = joined(path);
    const base = parts.pop();
    if (base === undefined) return fail("wrong_kind", "it is the workspace folder, not a file");
    if (bytes.length > config.maxFileBytes) {
      fail("too_large", `${bytes.length} bytes is more than the limit of ${config.maxFileBytes}`);
    }
    writable([...parts, base]);
    // Folders: create what is missing, follow links only where they stay inside.
    let dir = root;
    notGitDir(dir, null);
    for (const name of parts) {
      if (lstatOrNull(`${dir}/${name}`) === null) {
        notGitDir(dir, name);
        Deno.mkdirSync(`${dir}/${name}`);
      }
      dir = real(`${dir}/${name}`);
      writable(below(dir));
      if (!Deno.statSync(dir).isDirectory) fail("wrong_kind", `"${name}" is not a folder`);
      notGitDir(dir, null);
    }
    let target = `${dir}/${base}`;
    const link = lstatOrNull(target);
    if (link === null) notGitDir(dir, base);
    if (link?.isSymlink) {
      target = real(target);
      writable(below(target));
      notGitDir(target.slice(0, target.lastIndexOf("/")), null);
    }
    const old = link === null ? null : Deno.statSync(target);
    if (old?.isDirectory) fail("wrong_kind", "it is a folder, not a file");
    // Atomic: a temporary file beside the target, then a rename over it.
    const slash = target.lastIndexOf("/");
    const name = `.${target.slice(slash + 1)}.${crypto.randomUUID().slice(0, 8)}.kafclaw-tmp`;
    const temp = `${target.slice(0, slash)}/${name}`;
    const file = Deno.openSync(temp, { write: true, createNew: true });
    try {
      for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
      file.syncSync();
      if (old?.isFile && old.mode !== null) Deno.chmodSync(temp, old.mode & 0o7777);
      Deno.renameSync(temp, target);
    } catch (error) {
      try {
        Deno.removeSync(temp);
      } catch { /* gone already */ }
      throw error;
    } finally {
      file.close();
    }
    return null;
  };

  const list = (path: string) => {
    const target = real([root, ...joined(path)].join("/"));
    if (!Deno.statSync(target).isDirectory) fail("wrong_kind", "it is a file, not a folder");
    const entries: { name: string; kind: string; size: number }[] = [];
    for (const entry of Deno.readDirSync(target)) {
      const kind = entry.isSymlink
        ? "symlink"
        : entry.isDirectory
        ? "dir"
        : entry.isFile
        ? "file"
        : "other";
      const info = kind === "file" ? lstatOrNull(`${target}/${entry.name}`) : null;
      entries.push({ name: entry.name, kind, size: info?.size ?? 0 });
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };

  const encoded = (bytes: Uint8Array, encoding: FsEncoding | undefined): string =>
    encoding === "base64" ? bytes.toBase64() : new TextDecoder().decode(bytes);
  const decoded = (content: string, encoding: FsEncoding | undefined): Uint8Array => {
    if (encoding !== "base64") return encoder.encode(content);
    try {
      return Uint8Array.fromBase64(content);
    } catch {
      return fail("failed", "the content is not base64");
    }
  };

  const handle = (line: string): void => {
    let request: FsRequest;
    try {
      request = JSON.parse(line);
    } catch {
      return send({ id: -1, ok: false, code: "failed", reason: "the request is not JSON" });
    }
    try {
      const value = request.op === "read"
        ? encoded(read(request.path, request.maxBytes), request.encoding)
        : request.op === "write"
        ? write(request.path, decoded(request.content, request.encoding))
        : request.op === "list"
        ? list(request.path)
        : fail("failed", `unknown operation ${JSON.stringify((request as { op: unknown }).op)}`);
      send({ id: request.id, ok: true, value });
    } catch (error) {
      const refusal = (error as Refusal | null)?.refusal === true ? error as Refusal : null;
      const { code, reason } = refusal ?? explainFsError(error);
      send({ id: request.id, ok: false, code, reason });
    }
  };

  send({ ready: true });
  const decoder = new TextDecoder();
  const chunk = new Uint8Array(1 << 16);
  // A line (base64 of a large file) spans many chunks: only each new chunk is searched.
  let pending: string[] = [];
  for (let n = Deno.stdin.readSync(chunk); n !== null; n = Deno.stdin.readSync(chunk)) {
    const pieces = decoder.decode(chunk.subarray(0, n), { stream: true }).split("\n");
    for (let i = 0; i < pieces.length - 1; i++) {
      const line = pending.join("") + (pieces[i] ?? "");
      pending = [];
      if (line.trim() !== "") handle(line);
    }
    pending.push(pieces[pieces.length - 1] ?? "");
  }
}

/** The helper's whole source, as a `data:` URL that `deno run` accepts as its main module. */
export function fsHelperUrl(config: FsHelperConfig): string {
  const parts = [splitWorkspacePath, isProtectedName, isGitDir, explainFsError].join("\n");
  const source = `${parts}\n(${fsHelperMain})(${JSON.stringify(config)});\n`;
  const bytes = new TextEncoder().encode(source);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return `data:text/javascript;base64,${btoa(binary)}`;
}

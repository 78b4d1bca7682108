/**
 * An in-memory Sandbox for tool tests: files in a Map, folders implied by paths, paths confined
 * like the real one (anything that leaves the root is a SandboxError), and exec answered by a
 * script the test supplies, with every call recorded.
 */
import {
  type DirEntry,
  type ExecOptions,
  type ExecResult,
  type Sandbox,
  SandboxError,
  type WorkspaceFs,
} from "../../../../core/tools/sandbox/types.ts";

/** Resolves a workspace path to its normal form ("" is the root), refusing escapes. */
export function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) {
        throw new SandboxError(`Path "${path}" leads outside the workspace`, { code: "outside" });
      }
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

/** A file's size in bytes. */
function sizeOf(content: string | Uint8Array): number {
  return typeof content === "string" ? new TextEncoder().encode(content).length : content.length;
}

/**
 * In-memory {@link WorkspaceFs}: files written as text hold a string, files written as bytes a
 * copy of them; either kind reads either way. `writes` counts writeText and writeBytes calls.
 */
export class FakeFs implements WorkspaceFs {
  readonly files = new Map<string, string | Uint8Array>();
  writes = 0;

  constructor(files: Record<string, string | Uint8Array> = {}) {
    for (const [path, content] of Object.entries(files)) this.files.set(normalize(path), content);
  }

  async readText(path: string, options: { maxBytes: number }): Promise<string> {
    const content = await this.#read(path, options.maxBytes);
    return typeof content === "string" ? content : new TextDecoder().decode(content);
  }

  async readBytes(path: string, options: { maxBytes: number }): Promise<Uint8Array> {
    const content = await this.#read(path, options.maxBytes);
    return typeof content === "string" ? new TextEncoder().encode(content) : content.slice();
  }

  writeText(path: string, content: string): Promise<void> {
    return this.#write(path, content);
  }

  writeBytes(path: string, bytes: Uint8Array): Promise<void> {
    return this.#write(path, bytes.slice());
  }

  #read(path: string, maxBytes: number): Promise<string | Uint8Array> {
    const content = this.files.get(normalize(path));
    if (content === undefined) {
      return Promise.reject(new SandboxError(`No such file: ${path}`, { code: "not_found" }));
    }
    if (sizeOf(content) > maxBytes) {
      const message = `${path} is larger than ${maxBytes} bytes`;
      return Promise.reject(new SandboxError(message, { code: "too_large" }));
    }
    return Promise.resolve(content);
  }

  #write(path: string, content: string | Uint8Array): Promise<void> {
    const key = normalize(path);
    if (key === "") {
      return Promise.reject(
        new SandboxError("Cannot write the workspace root", { code: "wrong_kind" }),
      );
    }
    this.writes++;
    this.files.set(key, content);
    return Promise.resolve();
  }

  list(path: string): Promise<DirEntry[]> {
    const dir = normalize(path);
    const prefix = dir === "" ? "" : `${dir}/`;
    const entries = new Map<string, DirEntry>();
    for (const [file, content] of this.files) {
      if (!file.startsWith(prefix)) continue;
      const [name, ...rest] = file.slice(prefix.length).split("/");
      if (name === undefined) continue;
      entries.set(
        name,
        rest.length > 0
          ? { name, kind: "dir", size: 0 }
          : { name, kind: "file", size: sizeOf(content) },
      );
    }
    if (entries.size === 0 && dir !== "") {
      return Promise.reject(new SandboxError(`No such folder: ${path}`, { code: "not_found" }));
    }
    return Promise.resolve([...entries.values()]);
  }
}

/** How a test answers a command. */
export type ExecScript = (
  command: string,
  options: ExecOptions,
) => ExecResult | Promise<ExecResult>;

/** A finished command's result with defaults. */
export function execResult(partial: Partial<ExecResult> = {}): ExecResult {
  return { exitCode: 0, stdout: "", stderr: "", timedOut: false, truncated: false, ...partial };
}

/** Options of {@link FakeSandbox}. */
export interface FakeSandboxOptions {
  readonly kind?: "bwrap" | "worker";
  readonly files?: Record<string, string | Uint8Array>;
  readonly exec?: ExecScript;
}

/** In-memory {@link Sandbox}; `execCalls` records each command run. */
export class FakeSandbox implements Sandbox {
  readonly kind: "bwrap" | "worker";
  readonly workspace = "/fake/workspace";
  readonly fs: FakeFs;
  readonly execCalls: { command: string; options: ExecOptions }[] = [];
  readonly #script: ExecScript;
  closed = false;

  constructor(options: FakeSandboxOptions = {}) {
    this.kind = options.kind ?? "bwrap";
    this.fs = new FakeFs(options.files);
    this.#script = options.exec ?? (() => execResult());
  }

  async exec(command: string, options: ExecOptions): Promise<ExecResult> {
    this.execCalls.push({ command, options });
    return await this.#script(command, options);
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

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

/** In-memory {@link WorkspaceFs}; `writes` counts writeText calls. */
export class FakeFs implements WorkspaceFs {
  readonly files = new Map<string, string>();
  writes = 0;

  constructor(files: Record<string, string> = {}) {
    for (const [path, text] of Object.entries(files)) this.files.set(normalize(path), text);
  }

  readText(path: string, options: { maxBytes: number }): Promise<string> {
    const text = this.files.get(normalize(path));
    if (text === undefined) {
      return Promise.reject(new SandboxError(`No such file: ${path}`, { code: "not_found" }));
    }
    if (new TextEncoder().encode(text).length > options.maxBytes) {
      const message = `${path} is larger than ${options.maxBytes} bytes`;
      return Promise.reject(new SandboxError(message, { code: "too_large" }));
    }
    return Promise.resolve(text);
  }

  writeText(path: string, content: string): Promise<void> {
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
    for (const [file, text] of this.files) {
      if (!file.startsWith(prefix)) continue;
      const [name, ...rest] = file.slice(prefix.length).split("/");
      if (name === undefined) continue;
      entries.set(
        name,
        rest.length > 0
          ? { name, kind: "dir", size: 0 }
          : { name, kind: "file", size: new TextEncoder().encode(text).length },
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
  readonly files?: Record<string, string>;
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

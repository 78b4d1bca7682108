/**
 * The host side of the file helper: starts it lazily, sends one request at a time, restarts it
 * when it dies or stalls, and turns its refusals into {@link SandboxError}s.
 *
 * @module
 */
import type { FsOperation, FsResponse } from "./_fs_helper.ts";
import { DEFAULT_START_LIMITS_MS, timedOutReason } from "./_start_check.ts";
import {
  type DirEntry,
  MAX_BINARY_BYTES,
  SandboxError,
  type SandboxErrorCode,
  type WorkspaceFs,
} from "./types.ts";

/** Starts one helper process (stdin, stdout and stderr piped). */
export type HelperSpawner = () => Promise<Deno.ChildProcess>;

const VERBS = { read: "read", write: "write", list: "list" } as const;
const CODES: ReadonlySet<string> = new Set<SandboxErrorCode>([
  "outside",
  "not_found",
  "protected",
  "too_large",
  "wrong_kind",
  "unavailable",
  "failed",
]);

/** The helper ended before it answered (not a stall, not a refusal). */
class HelperStopped extends SandboxError {}

/** One running helper. */
interface Running {
  readonly child: Deno.ChildProcess;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly lines: AsyncIterator<string>;
  readonly stderr: Promise<string>;
  readonly done: Promise<unknown>;
  /** Set once the process has ended (between calls, the next call starts a new one). */
  exited: boolean;
}

async function* splitLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  // A line (base64 of a large file) spans many chunks: only each new chunk is searched.
  let pending: string[] = [];
  for await (const text of stream.pipeThrough(new TextDecoderStream())) {
    const pieces = text.split("\n");
    for (let i = 0; i < pieces.length - 1; i++) {
      yield pending.join("") + (pieces[i] ?? "");
      pending = [];
    }
    pending.push(pieces[pieces.length - 1] ?? "");
  }
}

async function lastText(stream: ReadableStream<Uint8Array>, keep = 2000): Promise<string> {
  let text = "";
  for await (const part of stream.pipeThrough(new TextDecoderStream())) {
    text = (text + part).slice(-keep);
  }
  return text.trim();
}

/** How long the client waits for its helper. */
export interface FsHelperTimes {
  /** An answer to one request that takes longer stops the helper (the call fails). */
  readonly timeoutMs: number;
  /**
   * How long a starting helper has to say it is ready: the sum of these limits (at least
   * `timeoutMs`). A Deno runtime that starts in 50 ms on an idle machine can take many seconds
   * on a busy one; that is slowness, not a broken helper. Default: 10 s, then 50 s.
   */
  readonly startLimitsMs?: readonly number[];
}

/** A {@link WorkspaceFs} served by a helper process. */
export class FsHelperClient implements WorkspaceFs {
  readonly #spawn: HelperSpawner;
  readonly #timeoutMs: number;
  readonly #startLimitsMs: readonly number[];
  #running: Running | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #closed = false;

  constructor(spawn: HelperSpawner, options: FsHelperTimes) {
    this.#spawn = spawn;
    this.#timeoutMs = options.timeoutMs;
    this.#startLimitsMs = options.startLimitsMs ?? DEFAULT_START_LIMITS_MS;
  }

  readText(path: string, options: { maxBytes: number }): Promise<string> {
    return this.#call({ op: "read", path, maxBytes: options.maxBytes }) as Promise<string>;
  }

  async writeText(path: string, content: string): Promise<void> {
    await this.#call({ op: "write", path, content });
  }

  async readBytes(path: string, options: { maxBytes: number }): Promise<Uint8Array> {
    const maxBytes = Math.min(options.maxBytes, MAX_BINARY_BYTES);
    const base64 = await this.#call({ op: "read", path, maxBytes, encoding: "base64" });
    return Uint8Array.fromBase64(base64 as string);
  }

  async writeBytes(path: string, bytes: Uint8Array): Promise<void> {
    if (bytes.length > MAX_BINARY_BYTES) {
      throw new SandboxError(
        `Cannot write ${JSON.stringify(path)}: ${bytes.length} bytes is more than the limit of ` +
          `${MAX_BINARY_BYTES} for one write`,
        { code: "too_large" },
      );
    }
    await this.#call({ op: "write", path, content: bytes.toBase64(), encoding: "base64" });
  }

  list(path: string): Promise<DirEntry[]> {
    return this.#call({ op: "list", path }) as Promise<DirEntry[]>;
  }

  /** Stops the helper; later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    await this.#stop();
  }

  #call(request: FsOperation): Promise<unknown> {
    const run = this.#queue.then(() => this.#send(request));
    this.#queue = run.catch(() => {});
    return run;
  }

  /**
   * Sends one request. A helper that ended before it answered (killed while idle, before this
   * process noticed, or by this very request) gets one more try with a new helper: every
   * operation may run twice (reads change nothing; a write replaces the file whole).
   */
  async #send(request: FsOperation, again = false): Promise<unknown> {
    const what = `Cannot ${VERBS[request.op]} ${JSON.stringify(request.path)}`;
    if (this.#closed) throw new SandboxError(`${what}: the sandbox is closed`);
    let answer: FsResponse;
    let id: number;
    try {
      const running = await this.#ensure(what);
      id = this.#nextId++;
      const line = new TextEncoder().encode(JSON.stringify({ ...request, id }) + "\n");
      const send = () => running.writer.write(line);
      answer = await this.#answer(running, { what, send, limitMs: this.#timeoutMs });
    } catch (error) {
      if (error instanceof HelperStopped && !again) return await this.#send(request, true);
      throw error;
    }
    if (!("id" in answer) || answer.id !== id) {
      await this.#stop();
      throw new SandboxError(`${what}: the file helper answered out of turn`);
    }
    if (answer.ok) return answer.value;
    const code = CODES.has(answer.code) ? answer.code as SandboxErrorCode : "failed";
    throw new SandboxError(`${what}: ${answer.reason}`, { code });
  }

  async #ensure(what: string): Promise<Running> {
    if (this.#running?.exited) await this.#stop();
    if (this.#running !== null) return this.#running;
    let child: Deno.ChildProcess;
    try {
      child = await this.#spawn();
    } catch (error) {
      if (error instanceof SandboxError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new SandboxError(`${what}: the file helper did not start: ${reason}`, { cause: error });
    }
    const running: Running = {
      child,
      writer: child.stdin.getWriter(),
      lines: splitLines(child.stdout),
      stderr: lastText(child.stderr),
      done: child.status,
      exited: false,
    };
    child.status.then(() => running.exited = true, () => running.exited = true);
    this.#running = running;
    const started = this.#startLimitsMs.reduce((sum, ms) => sum + ms, 0);
    const ready = await this.#answer(running, {
      what,
      send: () => Promise.resolve(),
      limitMs: Math.max(started, this.#timeoutMs),
      starting: true,
    });
    if (!("ready" in ready)) {
      await this.#stop();
      throw new SandboxError(`${what}: the file helper did not say it was ready`);
    }
    return running;
  }

  /**
   * The next line from the helper, within `limitMs` of `send`; on death or stall the helper is
   * stopped and this throws. `starting`: the line awaited is the ready line of a new helper.
   */
  async #answer(
    running: Running,
    wait: { what: string; send: () => Promise<void>; limitMs: number; starting?: boolean },
  ): Promise<FsResponse> {
    const { what, send, limitMs } = wait;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<"stalled">((resolve) => {
      timer = setTimeout(() => resolve("stalled"), limitMs);
    });
    try {
      const next = send().then(() => running.lines.next());
      const outcome = await Promise.race([next, stalled]).catch(() => null);
      if (outcome !== "stalled" && outcome !== null && outcome.done !== true) {
        return JSON.parse(outcome.value) as FsResponse;
      }
      next.catch(() => {});
      await this.#stop();
      if (outcome === "stalled" && wait.starting) {
        const reason = timedOutReason("its start", [limitMs]);
        throw new SandboxError(`${what}: the file helper did not say it was ready: ${reason}`);
      }
      if (outcome === "stalled") {
        throw new SandboxError(
          `${what}: the file helper did not answer within ${limitMs} ms; it was restarted`,
        );
      }
      const status = await running.child.status;
      const stderr = await running.stderr;
      throw new HelperStopped(
        `${what}: the file helper stopped (exit code ${status.code})${stderr ? `: ${stderr}` : ""}`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async #stop(): Promise<void> {
    const running = this.#running;
    if (running === null) return;
    this.#running = null;
    try {
      running.child.kill("SIGKILL");
    } catch { /* exited already */ }
    await running.writer.close().catch(() => {});
    await running.lines.return?.(undefined).catch(() => {});
    await Promise.all([running.done, running.stderr]).catch(() => {});
  }
}

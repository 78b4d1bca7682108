/**
 * A child process whose output is collected as it comes, for tests that act on it at a known step:
 * wait for a line, then signal it (SIGTERM, or SIGKILL for a crash at that point).
 */
import { waitFor } from "./wait.ts";

/** A spawned process; `await using` kills what is left of it. */
export class Child implements AsyncDisposable {
  stdout = "";
  stderr = "";
  /** The exit code once the process has ended (a crash or a kill, too). */
  exited: number | undefined;
  /** The process (its `stdin` when the command pipes it). */
  readonly process: Deno.ChildProcess;
  readonly #reading: Promise<unknown>;

  /** Spawns `command`, which must pipe stdout and stderr. */
  constructor(command: Deno.Command) {
    this.process = command.spawn();
    this.process.status.then((status) => this.exited = status.code);
    this.#reading = Promise.all([
      this.#collect(this.process.stdout, (t) => this.stdout += t),
      this.#collect(this.process.stderr, (t) => this.stderr += t),
    ]);
  }

  async #collect(stream: ReadableStream<Uint8Array>, add: (text: string) => void) {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
  }

  /** Waits (up to a minute) until stdout, or stderr, matches `pattern`. */
  until(pattern: RegExp, on: "stdout" | "stderr" = "stdout"): Promise<void> {
    return waitFor(() => pattern.test(this[on]), `${pattern} on ${on}`, {
      timeoutMs: 60_000,
      state: () => ({ stdout: this.stdout, stderr: this.stderr }),
    });
  }

  /** Waits for the exit; resolves with the exit code once all output is read. */
  async exit(): Promise<number> {
    const { code } = await this.process.status;
    await this.#reading;
    return code;
  }

  /** Sends `signal` and waits for the exit. */
  stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    this.process.kill(signal);
    return this.exit();
  }

  /**
   * Sends `signal` and waits up to `ms` for the exit (a process that ignores it fails the wait,
   * with what it printed, instead of holding the test); resolves with the exit code.
   */
  async stopWithin(signal: Deno.Signal, ms: number): Promise<number> {
    this.process.kill(signal);
    await waitFor(() => this.exited !== undefined, `the exit after ${signal}`, {
      timeoutMs: ms,
      state: () => ({ stdout: this.stdout, stderr: this.stderr }),
    });
    return await this.exit();
  }

  async [Symbol.asyncDispose]() {
    try {
      this.process.kill("SIGKILL");
    } catch { /* already ended */ }
    await this.process.status;
    await this.#reading;
  }
}

/** A `deno eval` of `code` with every permission, its output piped. */
export function denoEval(code: string, options: { stdin?: "piped" | "null" } = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", "-A", "--quiet", code],
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}

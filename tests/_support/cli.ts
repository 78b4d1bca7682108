import { commandName } from "../../core/config/mod.ts";

/** Runs the CLI as a user does, through scripts/kafclaw, in a throw-away KAFCLAW_HOME. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The arguments it ran with (after `kafclaw`); not enumerable, so tests compare the rest. */
  readonly command?: readonly string[];
}

/** `result` with the arguments it ran with as its (not enumerable) `command`. */
export function withCommand<T extends object>(result: T, args: readonly string[]): T & CliResult {
  return Object.defineProperty(result, "command", { value: [...args], enumerable: false }) as
    & T
    & CliResult;
}

/** The first 2 kB of a process's output, for an error message. */
function head(text: string): string {
  return text.length > 2048 ? `${text.slice(0, 2048)}… (${text.length} characters)` : text;
}

/**
 * A command's stdout (or its first or last line) parsed as JSON; when it does not parse, an error
 * that names the command (`what`, else kafclaw and its arguments) and shows the first 2 kB of its
 * stdout and stderr, so a failure says what printed instead of JSON.
 */
export function jsonOf(
  result: {
    readonly stdout: string;
    readonly stderr: string;
    readonly command?: readonly string[];
  },
  options: { readonly line?: "first" | "last"; readonly what?: string } = {},
): ReturnType<typeof JSON.parse> {
  const lines = result.stdout.trim().split("\n");
  const text = options.line === "first"
    ? lines[0]!
    : options.line === "last"
    ? lines.at(-1)!
    : result.stdout;
  try {
    return JSON.parse(text);
  } catch (error) {
    const what = options.what ?? `kafclaw ${(result.command ?? []).join(" ")}`;
    throw new Error(
      `Cannot parse the output of ${what} as JSON: ${(error as Error).message}\n` +
        `stdout: ${head(result.stdout)}\nstderr: ${head(result.stderr)}`,
    );
  }
}

const root = new URL("../../", import.meta.url).pathname;

/**
 * The name the commands kafclaw suggests start with when {@link kafclawCommand} runs it by its
 * absolute path (and no `kafclaw` on PATH is this launcher).
 */
export const LAUNCHER_NAME = commandName({ KAFCLAW_COMMAND: `${root}scripts/kafclaw` });

/** A clean environment for a kafclaw run: PATH, HOME and DENO_DIR kept, plus `env`. */
export function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
    ...env,
  };
}

/**
 * `scripts/kafclaw ARGS` as a command with a clean environment plus `env` (PATH, HOME and
 * DENO_DIR kept), stdin closed (or piped) and the output piped; spawn it for a long-running
 * subcommand. It is run by its absolute path, or with `relative` as a user in the checkout runs
 * it: `scripts/kafclaw` from the checkout's root.
 */
export function kafclawCommand(
  args: string[],
  env: Record<string, string> = {},
  options: { readonly stdin?: "piped" | "null"; readonly relative?: boolean } = {},
): Deno.Command {
  // Deno makes a relative program path absolute: a shell keeps it as typed.
  const how = options.relative
    ? { program: "sh", args: ["-c", 'exec scripts/kafclaw "$@"', "sh", ...args], cwd: root }
    : { program: `${root}scripts/kafclaw`, args };
  return new Deno.Command(how.program, {
    args: how.args,
    ...(how.cwd ? { cwd: how.cwd } : {}),
    env: cleanEnv(env),
    clearEnv: true,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * How long a kafclaw run goes before the test's output says so, each time that long again: with
 * what it printed so far and where it and its children wait (ps), so that a run that stalls says
 * where, even when it ends well later.
 */
const SLOW_MS = 60_000;

/** Runs `scripts/kafclaw ARGS` with a clean environment plus `env`. */
export async function kafclaw(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const child = kafclawCommand(args, env).spawn();
  const out = { stdout: "", stderr: "" };
  const read = (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (text) => void (out[into] += text) }),
    );
  const started = Date.now();
  let saying: Promise<void> | undefined;
  const slow = setInterval(() => saying = saySlow(args, child.pid, started, out), SLOW_MS);
  try {
    const [status] = await Promise.all([
      child.status,
      read(child.stdout, "stdout"),
      read(child.stderr, "stderr"),
    ]);
    return withCommand({ code: status.code, ...out }, args);
  } finally {
    clearInterval(slow);
    // Its ps ends before the test does (an op left running fails a test's sanitizer).
    await saying;
  }
}

/** Says in the test's output that a kafclaw run is still going, and where it waits. */
async function saySlow(
  args: readonly string[],
  pid: number,
  started: number,
  out: { readonly stdout: string; readonly stderr: string },
): Promise<void> {
  const ps = await new Deno.Command("ps", {
    args: ["-o", "pid,ppid,stat,wchan:24,etime,args", "-p", String(pid), "--ppid", String(pid)],
    stdout: "piped",
    stderr: "null",
  }).output().then(
    (r) =>
      new TextDecoder().decode(r.stdout).trimEnd().split("\n").map((l) => l.slice(0, 240))
        .join("\n"),
    () => "(no ps)",
  );
  console.error(
    `kafclaw ${args.join(" ")} still runs after ${Math.round((Date.now() - started) / 1000)} s` +
      `\nstdout so far: ${head(out.stdout) || "(none)"}\nstderr so far: ` +
      `${head(out.stderr) || "(none)"}\n${ps}`,
  );
}

/** A temp KAFCLAW_HOME that removes itself. */
export async function tempHome(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-home-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

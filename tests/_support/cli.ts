import { commandName } from "../../core/config/mod.ts";

/** Runs the CLI as a user does, through scripts/kafclaw, in a throw-away KAFCLAW_HOME. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
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

/** Runs `scripts/kafclaw ARGS` with a clean environment plus `env`. */
export async function kafclaw(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await kafclawCommand(args, env).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** A temp KAFCLAW_HOME that removes itself. */
export async function tempHome(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "kafclaw-home-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Runs the CLI in this process, as main.ts does, with a given environment and captured output. */
import { withCommand } from "./cli.ts";
import { memoryIo } from "./io.ts";
import { runCli } from "../../cli/mod.ts";
import type { Prompter } from "../../cli/_prompt.ts";
import { reportError } from "../../main.ts";
import { noPrompter } from "./prompter.ts";

/** `kafclaw <args>` with `env` as its environment: the exit code and what it printed. */
export function kafclawInProcess(env: Record<string, string>, ...args: string[]) {
  return kafclawAnswering(env, noPrompter, args);
}

/** {@link kafclawInProcess} whose questions `prompter` answers. */
export async function kafclawAnswering(
  env: Record<string, string>,
  prompter: () => Prompter,
  args: readonly string[],
) {
  const io = memoryIo();
  let code: number;
  try {
    code = await runCli({ io, env: () => env, prompter }, [...args]);
  } catch (error) {
    code = reportError(error, false, io.err);
  }
  return withCommand({ code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") }, args);
}

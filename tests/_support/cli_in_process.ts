/** Runs the CLI in this process, as main.ts does, with a given environment and captured output. */
import { memoryIo } from "./io.ts";
import { runCli } from "../../cli/mod.ts";
import { reportError } from "../../main.ts";
import { noPrompter } from "./prompter.ts";

/** `kafclaw <args>` with `env` as its environment: the exit code and what it printed. */
export async function kafclawInProcess(env: Record<string, string>, ...args: string[]) {
  const io = memoryIo();
  let code: number;
  try {
    code = await runCli({ io, env: () => env, prompter: noPrompter }, args);
  } catch (error) {
    code = reportError(error, false, io.err);
  }
  return { code, stdout: io.stdout.join("\n"), stderr: io.stderr.join("\n") };
}

/**
 * Builds the `kafclaw` command tree. Each subcommand lives in its own file and only parses flags
 * and calls core; this file wires them together and maps commander's own errors to ours.
 *
 * @module
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../core/version.ts";
import type { CliContext } from "./_context.ts";
import { agentCommand } from "./agent.ts";
import { approvalsCommand } from "./approvals.ts";
import { completionCommand } from "./completion.ts";
import { configCommand } from "./config.ts";
import { cronCommand } from "./cron.ts";
import { doctorCommand } from "./doctor.ts";
import { gatewayCommand } from "./gateway.ts";
import { groupCommand } from "./group.ts";
import { kshark } from "./kshark.ts";
import { memoryCommand } from "./memory.ts";
import { onboardCommand } from "./onboard.ts";
import { statusCommand } from "./status.ts";
import { taskCommand } from "./task.ts";
import { versionCommand } from "./version.ts";

/** Builds the whole program; `run` parses and executes one argv. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("kafclaw")
    .description("Agents that work together over Apache Kafka")
    .version(VERSION, "-V, --version", "print the version")
    .option("--debug", "print stack traces of errors")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, "")),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, "")),
    });
  const subcommands = [
    agentCommand(ctx),
    gatewayCommand(ctx),
    onboardCommand(ctx),
    statusCommand(ctx),
    doctorCommand(ctx),
    configCommand(ctx),
    groupCommand(ctx),
    taskCommand(ctx),
    cronCommand(ctx),
    approvalsCommand(ctx),
    memoryCommand(ctx),
    kshark(ctx),
    versionCommand(ctx),
  ];
  for (const sub of subcommands) program.addCommand(sub);
  program.addCommand(completionCommand(ctx, program));
  program.exitOverride();
  inheritSettings(program);
  return program;
}

/** Gives every descendant the root's output, error and exit settings. */
function inheritSettings(command: Command): void {
  for (const sub of command.commands) {
    sub.copyInheritedSettings(command);
    inheritSettings(sub);
  }
}

/**
 * Runs one command line. Resolves with the exit code for everything commander decides on its own
 * (help, version, usage errors); errors thrown by subcommands propagate to the caller.
 */
export async function runCli(ctx: CliContext, argv: readonly string[]): Promise<number> {
  const program = buildProgram(ctx);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // commander already printed its message; usage errors exit 2 like every other.
      return 2;
    }
    throw error;
  }
}

export type { CliContext } from "./_context.ts";
export { CliError, UsageError } from "./_errors.ts";
export { type Io, processIo } from "./_io.ts";
export { type Prompter, terminalPrompter } from "./_prompt.ts";

/**
 * Builds the `kafclaw` command tree. Each subcommand lives in its own file and only parses flags
 * and calls core; this file wires them together and maps commander's own errors to ours.
 *
 * @module
 */
import type { Command } from "commander";
import { VERSION } from "../core/version.ts";
import type { CliContext } from "./_context.ts";
import { CliError, kafkaErrorText, missingTopicLine } from "./_errors.ts";
import type { KafkaUnreachableError } from "../core/transport/mod.ts";
import { isPlainVersion, printVersion } from "./_version.ts";
import { permissionSetFor, type Subcommand } from "../core/permissions/mod.ts";

/**
 * Each subcommand's file, loaded only when the command line names it: `kafclaw status` never
 * loads the agent, its providers or its tools. Help, completion and unknown words load none of
 * them: they build the tree from the subcommands' descriptions (cli/_command_table.json). commander
 * itself loads with the program; `kafclaw version [--json]` is answered without it.
 */
const SUBCOMMANDS: Readonly<Record<LoadedSubcommand, Loader>> = {
  agent: async (ctx) => (await import("./agent.ts")).agentCommand(ctx),
  gateway: async (ctx) => (await import("./gateway.ts")).gatewayCommand(ctx),
  onboard: async (ctx) => (await import("./onboard.ts")).onboardCommand(ctx),
  status: async (ctx) => (await import("./status.ts")).statusCommand(ctx),
  doctor: async (ctx) => (await import("./doctor.ts")).doctorCommand(ctx),
  config: async (ctx) => (await import("./config.ts")).configCommand(ctx),
  group: async (ctx) => (await import("./group.ts")).groupCommand(ctx),
  zone: async (ctx) => (await import("./zone.ts")).zoneCommand(ctx),
  task: async (ctx) => (await import("./task.ts")).taskCommand(ctx),
  orchestrator: async (ctx) => (await import("./orchestrator.ts")).orchestratorCommand(ctx),
  cron: async (ctx) => (await import("./cron.ts")).cronCommand(ctx),
  approvals: async (ctx) => (await import("./approvals.ts")).approvalsCommand(ctx),
  pairing: async (ctx) => (await import("./pairing.ts")).pairingCommand(ctx),
  channels: async (ctx) => (await import("./channels.ts")).channelsCommand(ctx),
  memory: async (ctx) => (await import("./memory.ts")).memoryCommand(ctx),
  kshark: async (ctx) => (await import("./kshark.ts")).kshark(ctx),
  version: async (ctx) => (await import("./version.ts")).versionCommand(ctx),
};

type Loader = (ctx: CliContext) => Promise<Command>;

/** The subcommands whose modules {@link loadSubcommand} loads: all but `completion`. */
export type LoadedSubcommand = Exclude<Subcommand, "completion">;

/** Loads one subcommand's module and builds its command, ready to run. */
export function loadSubcommand(name: LoadedSubcommand, ctx: CliContext): Promise<Command> {
  return SUBCOMMANDS[name](ctx);
}

/**
 * Builds the program for one command line: the root and the subcommand it names, or, when it names
 * none of them (help, completion, a typo commander answers), every subcommand as its description
 * shows it, with nothing to run.
 */
export async function buildProgram(
  ctx: CliContext,
  argv: readonly string[] = [],
): Promise<Command> {
  const commander = await import("commander");
  const program = new commander.Command("kafclaw")
    .description("Agents that work together over Apache Kafka")
    // Long only: commander reads the root's options anywhere on the line, and a short -V would
    // take an option's value that starts with -V (a base64url key may) for the version flag.
    .version(VERSION, "--version", "print the version (or -V before any command)")
    .option("--debug", "print stack traces of errors")
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, "")),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, "")),
    });
  const named = permissionSetFor(argv);
  const one = named !== "help" && named !== "completion" ? SUBCOMMANDS[named] : undefined;
  if (one) program.addCommand(await one(ctx));
  else {
    const [{ commandOf, commandTable }, { completionCommand }] = await Promise.all([
      import("./_command_spec.ts"),
      import("./completion.ts"),
    ]);
    for (const spec of await commandTable()) program.addCommand(commandOf(spec, commander));
    program.addCommand(completionCommand(ctx, program));
  }
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
  if (isPlainVersion(argv)) {
    printVersion(ctx.io, argv.includes("--json"));
    return 0;
  }
  const { CommanderError } = await import("commander");
  const program = await buildProgram(ctx, argv);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(versionFlag(argv), { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      // commander already printed its message; usage errors exit 2 like every other.
      return 2;
    }
    throw await worded(error, ctx);
  }
}

/**
 * Kafka errors in the CLI's words: Kafka that cannot be reached as one line with its key and the
 * kshark command (cli/_kafka_line.ts), a group's topic it does not have with where to look, any
 * other error of the Kafka client as its message alone.
 */
async function worded(error: unknown, ctx: CliContext): Promise<unknown> {
  const name = error instanceof Error ? error.name : "";
  if (name === "KafkaUnreachableError") {
    const [{ unreachableLine }, { commandName }] = await Promise.all([
      import("./_kafka_line.ts"),
      import("../core/config/mod.ts"),
    ]);
    const facts = error as KafkaUnreachableError;
    // --debug shows the client's own error, the one that failed the connection.
    return new CliError(unreachableLine(facts, commandName(ctx.env())), {
      cause: facts.cause ?? error,
    });
  }
  if (name === "TopicMissingError") {
    const { commandName } = await import("../core/config/mod.ts");
    const { topic, message } = error as Error & { topic: string };
    const line = missingTopicLine(topic, message, commandName(ctx.env()));
    return line === undefined ? error : new CliError(line, { cause: error });
  }
  if (name.startsWith("KafkaJS")) {
    return new CliError(`Kafka failed: ${kafkaErrorText(error)}`, { cause: error });
  }
  return error;
}

/** The command line with a `-V` before the subcommand's name read as `--version`. */
function versionFlag(argv: readonly string[]): string[] {
  const named = argv.findIndex((arg) => !arg.startsWith("-"));
  return argv.map((arg, i) => arg === "-V" && (named === -1 || i < named) ? "--version" : arg);
}

export type { CliContext } from "./_context.ts";
export { Cancelled, CliError, Terminated, UsageError } from "./_errors.ts";
export { type Io, processIo } from "./_io.ts";
export { type Prompter, terminalPrompter } from "./_prompt.ts";

/**
 * A subcommand's face as plain data: its name, what it does, its arguments, its options and its
 * own subcommands, with nothing to run. `kafclaw --help`, `kafclaw help <command>`, unknown words
 * and `kafclaw completion` build their command tree from these ({@link commandOf}), so they load
 * neither the subcommands' modules nor what those import (kafkajs, openai, zod, SQLite, hono).
 * cli/_command_table.json holds every subcommand's description but `completion`'s (made from the
 * others at run time); scripts/command_table.ts writes it from the real parsers, and
 * tests/unit/cli/command_table_test.ts fails when the two differ.
 *
 * @module
 */
import type { Argument, Command, Option } from "commander";

/** A value an option or argument defaults to, as help prints it. */
export type DefaultValue = string | number | boolean | readonly string[];

/** One option: what `.option()` or `new Option()` was given. */
export interface OptionSpec {
  /** As written: `-m, --message <text>`. */
  readonly flags: string;
  readonly description: string;
  readonly default?: DefaultValue;
  /** Help's text for the default instead of the value itself. */
  readonly defaultDescription?: string;
  readonly choices?: readonly string[];
  readonly mandatory?: true;
  readonly hidden?: true;
}

/** One positional argument: `<name>`, `[name]`, `<names...>`. */
export interface ArgumentSpec {
  /** As written: `<shell>`, `[command...]`. */
  readonly name: string;
  readonly description: string;
  readonly default?: DefaultValue;
  readonly defaultDescription?: string;
  readonly choices?: readonly string[];
}

/** A command and its subcommands, as help and completion show them. */
export interface CommandSpec {
  readonly name: string;
  readonly description: string;
  readonly summary?: string;
  readonly aliases?: readonly string[];
  readonly arguments?: readonly ArgumentSpec[];
  readonly options?: readonly OptionSpec[];
  readonly commands?: readonly CommandSpec[];
}

/** The commander classes {@link commandOf} builds with (commander is imported by the caller). */
export interface CommanderClasses {
  readonly Command: typeof Command;
  readonly Option: typeof Option;
  readonly Argument: typeof Argument;
}

/** Every subcommand's description but `completion`'s, in `--help`'s order. */
export async function commandTable(): Promise<readonly CommandSpec[]> {
  const table = await import("./_command_table.json", { with: { type: "json" } });
  return table.default as readonly CommandSpec[];
}

/**
 * A commander command with the names, texts, arguments and options of `spec` and no action: it
 * prints help and completes words, the subcommand's own module runs it.
 */
export function commandOf(spec: CommandSpec, classes: CommanderClasses): Command {
  const command = new classes.Command(spec.name).description(spec.description);
  if (spec.summary !== undefined) command.summary(spec.summary);
  if (spec.aliases !== undefined) command.aliases([...spec.aliases]);
  for (const arg of spec.arguments ?? []) {
    const argument = new classes.Argument(arg.name, arg.description);
    if (arg.choices !== undefined) argument.choices([...arg.choices]);
    if (arg.default !== undefined) argument.default(arg.default, arg.defaultDescription);
    command.addArgument(argument);
  }
  for (const opt of spec.options ?? []) command.addOption(optionOf(opt, classes));
  for (const sub of spec.commands ?? []) command.addCommand(commandOf(sub, classes));
  return command;
}

function optionOf(spec: OptionSpec, classes: CommanderClasses): Option {
  const option = new classes.Option(spec.flags, spec.description);
  if (spec.choices !== undefined) option.choices([...spec.choices]);
  if (spec.default !== undefined || spec.defaultDescription !== undefined) {
    option.default(spec.default, spec.defaultDescription);
  }
  if (spec.mandatory) option.makeOptionMandatory();
  if (spec.hidden) option.hideHelp();
  return option;
}

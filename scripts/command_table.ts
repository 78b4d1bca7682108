/**
 * Writes cli/_command_table.json, the plain-data description of every subcommand that help and
 * completion read, from the subcommands' real parsers: each subcommand's module is loaded and its
 * commander tree read. `--write` rewrites the file, `--check` exits 1 when it differs, no flag
 * prints the table as JSON. Run it with `-P=test` after changing a subcommand's name, text,
 * arguments or options; tests/unit/cli/command_table_test.ts fails until then.
 *
 * @module
 */
import type { Command } from "commander";
import { type CliContext, type LoadedSubcommand, loadSubcommand } from "../cli/mod.ts";
import {
  type ArgumentSpec,
  type CommandSpec,
  commandTable,
  type DefaultValue,
  type OptionSpec,
} from "../cli/_command_spec.ts";
import { SUBCOMMANDS } from "../core/permissions/mod.ts";
import { generatedTableMain } from "./_generated_table.ts";

/** The file this script writes. */
export const TABLE_PATH = new URL("../cli/_command_table.json", import.meta.url);

/** Every subcommand but `completion` (made from the others at run time), in `--help`'s order. */
export const DESCRIBED: readonly LoadedSubcommand[] = SUBCOMMANDS.filter(
  (name): name is LoadedSubcommand => name !== "completion",
);

/** A context for building the subcommands' parsers without running them: it prints nothing. */
export const QUIET_CONTEXT: CliContext = {
  io: { out: () => {}, err: () => {}, write: () => {} },
  env: () => ({}),
  prompter: () => {
    throw new Error("Cannot ask while describing the subcommands");
  },
};

/** Every subcommand's real parser, each module loaded. */
export function realSubcommands(): Promise<Command[]> {
  return Promise.all(DESCRIBED.map((name) => loadSubcommand(name, QUIET_CONTEXT)));
}

/** The descriptions of every subcommand, read from their real parsers. */
export async function describeSubcommands(): Promise<CommandSpec[]> {
  return (await realSubcommands()).map(specOf);
}

/** A commander command as plain data: what its help and completion show. */
export function specOf(command: Command): CommandSpec {
  const summary = command.summary();
  const aliases = command.aliases();
  const args = command.registeredArguments.map((arg): ArgumentSpec => {
    const name = `${arg.name()}${arg.variadic ? "..." : ""}`;
    return {
      name: arg.required ? `<${name}>` : `[${name}]`,
      description: arg.description,
      ...defaults(arg, `argument ${name} of ${command.name()}`),
      ...(arg.argChoices ? { choices: [...arg.argChoices] } : {}),
    };
  });
  const options = command.options.map((opt): OptionSpec => ({
    flags: opt.flags,
    description: opt.description,
    ...defaults(opt, `option ${opt.flags} of ${command.name()}`),
    ...(opt.argChoices ? { choices: [...opt.argChoices] } : {}),
    ...(opt.mandatory ? { mandatory: true } : {}),
    ...(opt.hidden ? { hidden: true } : {}),
  }));
  return {
    name: command.name(),
    description: command.description(),
    ...(summary ? { summary } : {}),
    ...(aliases.length > 0 ? { aliases } : {}),
    ...(args.length > 0 ? { arguments: args } : {}),
    ...(options.length > 0 ? { options } : {}),
    ...(command.commands.length > 0 ? { commands: command.commands.map(specOf) } : {}),
  };
}

function defaults(
  of: { defaultValue?: unknown; defaultValueDescription?: string | undefined },
  where: string,
): { default?: DefaultValue; defaultDescription?: string } {
  const value = of.defaultValue;
  const plain = value === undefined || ["string", "number", "boolean"].includes(typeof value) ||
    (Array.isArray(value) && value.every((v) => typeof v === "string"));
  if (!plain) throw new TypeError(`Cannot describe the default of ${where}: not plain data`);
  return {
    ...(value !== undefined ? { default: value as DefaultValue } : {}),
    ...(of.defaultValueDescription !== undefined
      ? { defaultDescription: of.defaultValueDescription }
      : {}),
  };
}

if (import.meta.main) {
  await generatedTableMain({
    path: TABLE_PATH,
    name: "cli/_command_table.json",
    source: "the subcommands' parsers",
    script: "scripts/command_table.ts",
    table: await describeSubcommands(),
    written: commandTable,
  }, Deno.args);
}

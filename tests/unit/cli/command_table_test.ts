import assert from "node:assert/strict";
import * as commander from "commander";
import { commandOf, commandTable } from "../../../cli/_command_spec.ts";
import { completionTable } from "../../../cli/completion.ts";
import {
  DESCRIBED,
  describeSubcommands,
  realSubcommands,
  specOf,
} from "../../../scripts/command_table.ts";

/** A root named like the real one, holding `subs`, every command at one help width. */
function rootOf(subs: commander.Command[]): commander.Command {
  const root = new commander.Command("kafclaw").option("--debug", "print stack traces of errors");
  for (const sub of subs) root.addCommand(sub);
  const settle = (command: commander.Command) => {
    command.configureHelp({ helpWidth: 80 });
    command.commands.forEach(settle);
  };
  settle(root);
  return root;
}

/** Every command under `root` with its help text, by path. */
function helpByPath(root: commander.Command): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (command: commander.Command, path: string) => {
    out.set(path, command.helpInformation());
    for (const sub of command.commands) walk(sub, `${path} ${sub.name()}`);
  };
  walk(root, "kafclaw");
  return out;
}

const real = async () => rootOf(await realSubcommands());
const COMMAND_TABLE = await commandTable();
const fromTable = () => rootOf(COMMAND_TABLE.map((spec) => commandOf(spec, commander)));

Deno.test("the command table describes every subcommand exactly as its parser does", async () => {
  // Plain data both sides: a flag, text, default or choice changed in a subcommand's module
  // without `scripts/command_table.ts --write` fails here.
  assert.deepEqual(
    JSON.parse(JSON.stringify(COMMAND_TABLE)),
    JSON.parse(JSON.stringify(await describeSubcommands())),
  );
  assert.deepEqual(COMMAND_TABLE.map((spec) => spec.name), [...DESCRIBED]);
});

Deno.test("help built from the table is word for word the real parsers' help, for every command", async () => {
  const want = helpByPath(await real());
  const got = helpByPath(fromTable());
  assert.deepEqual([...got.keys()], [...want.keys()]);
  assert.ok(want.size > 60, `only ${want.size} commands`);
  for (const [path, text] of want) assert.equal(got.get(path), text, path);
});

Deno.test("completion built from the table offers the real parsers' words", async () => {
  assert.deepEqual(completionTable(fromTable()), completionTable(await real()));
});

Deno.test("a description round-trips: choices, defaults, aliases, hidden and mandatory options", () => {
  const { Command, Option } = commander;
  const original = new Command("probe").description("d").summary("s").aliases(["p"])
    .argument("[where...]", "places", ["here"])
    .addOption(new Option("--start <at>", "where").choices(["a", "b"]).default("a"))
    .addOption(new Option("--secret", "not shown").hideHelp())
    .requiredOption("--name <n>", "a name")
    .option("--limit <n>", "how many", "5");
  original.command("sub").description("child");
  const spec = specOf(original);
  assert.deepEqual(specOf(commandOf(spec, commander)), spec);
  assert.equal(
    rootOf([commandOf(spec, commander)]).commands[0]!.helpInformation(),
    rootOf([original]).commands[0]!.helpInformation(),
  );
});

Deno.test("a default that is not plain data cannot be described", () => {
  const command = new commander.Command("x").option("--when <t>", "a time", new Date(0) as never);
  assert.throws(() => specOf(command), /Cannot describe the default of option --when <t> of x/);
});

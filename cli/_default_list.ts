/**
 * A `list` that runs when its parent is given no subcommand (`kafclaw zone` lists the zones).
 * Commander hands a default subcommand every word that follows its parent, so a mistyped
 * subcommand (`kafclaw zone add lab bob`) read as too many arguments for `list`; here it is
 * refused as the unknown command it is, naming the parent's commands.
 *
 * @module
 */
import type { Command } from "commander";

/** Adds `parent`'s default `list` subcommand; describe it and give it its options and action. */
export function defaultList(parent: Command): Command {
  // Set as it is dispatched to: the root's settings, copied down to every command, refuse them.
  parent.hook("preSubcommand", (_parent, sub) => {
    if (sub.name() === "list") sub.allowExcessArguments(true);
  });
  return parent.command("list", { isDefault: true })
    .hook("preAction", (list) => {
      const [unknown] = list.args;
      if (unknown === undefined) return;
      const names = parent.commands.map((command) => command.name()).join(", ");
      parent.error(
        `error: unknown command '${unknown}' for '${parent.name()}' (its commands: ${names})`,
        { code: "commander.unknownCommand", exitCode: 2 },
      );
    });
}

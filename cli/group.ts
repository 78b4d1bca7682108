import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw group`: join, leave and inspect a group of agents over Kafka. */
export function groupCommand(_ctx: CliContext): Command {
  const group = new Command("group")
    .description("join, leave and inspect a group of agents (not in this build yet)");
  for (
    const [name, description] of [
      ["join", "join a group"],
      ["leave", "leave the group"],
      ["status", "show the group's topics and members"],
      ["members", "list the group's members"],
      ["invite", "make a one-time invite for gated onboarding"],
    ] as const
  ) {
    group.command(name).description(description).action(() =>
      notBuiltYet(`group ${name}`, "arrives with the group step")
    );
  }
  return group;
}

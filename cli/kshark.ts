import { Command } from "commander";
import { notBuiltYet } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `kafclaw kshark`: diagnose a Kafka connection layer by layer. */
export function kshark(_ctx: CliContext): Command {
  return new Command("kshark")
    .description("diagnose a Kafka connection layer by layer (not in this build yet)")
    .option("-p, --props <file>", "a client.properties file")
    .option("--auto", "build the client properties from the group config")
    .option("-t, --topic <topics>", "topics to probe, comma separated")
    .action(() => notBuiltYet("kshark", "arrives with the kshark step"));
}

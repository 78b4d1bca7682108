/**
 * `kafclaw pairing list|approve|deny`: the owner's answers to strangers who asked to talk to the
 * agent on a channel whose `dmPolicy` is `pairing` (channels/pairing.ts): Telegram, Discord or
 * WhatsApp, whichever the config knows. Approving lets the sender in from their next message on;
 * the running gateway reads the same file.
 *
 * @module
 */
import { Command } from "commander";
import { loadConfig } from "../core/config/mod.ts";
import { wire } from "../core/wire/mod.ts";
import { PAIRING_CHANNELS, PairingError, PairingStore } from "../channels/mod.ts";
import { CliError, UsageError } from "./_errors.ts";
import type { CliContext } from "./_context.ts";

/** `telegram, discord or whatsapp`. */
const CHANNEL_LIST = `${PAIRING_CHANNELS.slice(0, -1).join(", ")} or ${PAIRING_CHANNELS.at(-1)}`;

async function store(ctx: CliContext): Promise<PairingStore> {
  return new PairingStore((await loadConfig({ env: ctx.env() })).home);
}

/** `channel` as given, when it is a chat channel; a usage error naming the channels otherwise. */
function chatChannel(channel: string): string {
  if ((PAIRING_CHANNELS as readonly string[]).includes(channel)) return channel;
  throw new UsageError(
    `Unknown channel ${JSON.stringify(channel)}: pairing codes are given on ${CHANNEL_LIST}`,
  );
}

/** Runs `act`, turning a code that is not waiting into a usage error and a bad file into exit 1. */
async function answering<T>(act: () => Promise<T>): Promise<T> {
  try {
    return await act();
  } catch (error) {
    if (!(error instanceof PairingError)) throw error;
    throw error.message.startsWith("No pairing code")
      ? new UsageError(error.message)
      : new CliError(error.message);
  }
}

/** `kafclaw pairing`. */
export function pairingCommand(ctx: CliContext): Command {
  const pairing = new Command("pairing")
    .description(
      `list the pairing codes strangers were given on chat channels (${CHANNEL_LIST}) and ` +
        "approve them",
    );
  pairing.command("list")
    .description("the codes waiting for the owner, and the senders paired so far")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      const state = await answering(async () => await (await store(ctx)).read());
      if (opts.json) {
        // snake_case keys, as every --json prints them (core/wire).
        const json = { pending: state.pending.map(wire), paired: state.paired.map(wire) };
        return ctx.io.out(JSON.stringify(json, null, 2));
      }
      if (state.pending.length === 0) ctx.io.out("No pairing codes waiting");
      for (const p of state.pending) {
        ctx.io.out(`${p.channel}  ${p.code}  from ${p.sender}  until ${p.expiresAt}`);
      }
      for (const p of state.paired) {
        ctx.io.out(`paired: ${p.channel}:${p.sender} since ${p.approvedAt}`);
      }
    });
  pairing.command("approve")
    .description("let the sender of a code talk to the agent")
    .argument("<channel>", `the channel the code was given on: ${CHANNEL_LIST}`)
    .argument("<code>", "the code the sender was given")
    .action(async (given: string, code: string) => {
      const channel = chatChannel(given);
      const paired = await answering(async () => await (await store(ctx)).approve(channel, code));
      ctx.io.out(`Paired ${channel}:${paired.sender}; the agent answers them from now on`);
    });
  pairing.command("deny")
    .description("drop a code without letting its sender in")
    .argument("<channel>", `the channel the code was given on: ${CHANNEL_LIST}`)
    .argument("<code>", "the code the sender was given")
    .action(async (given: string, code: string) => {
      const channel = chatChannel(given);
      const dropped = await answering(async () => await (await store(ctx)).deny(channel, code));
      ctx.io.out(`Dropped the code of ${channel}:${dropped.sender}`);
    });
  return pairing;
}

/**
 * Approvals on the terminal, for `kafclaw agent`: the owner sees the call and answers y or n.
 * Without a terminal there is no asker (the request then waits for `kafclaw approvals` or an
 * owner channel, or is denied when there is none). One question at a time.
 *
 * @module
 */
import type { AskOwner } from "../core/agent/mod.ts";
import { approvalArguments } from "../core/timeline/mod.ts";

/** How much of a call's arguments the terminal shows before it says where to read the rest. */
const TERMINAL_ARGUMENT_CHARS = 8000;
import type { Io } from "./_io.ts";
import type { Prompter } from "./_prompt.ts";

/**
 * The terminal asker, or undefined when no terminal is attached; `command` starts the commands it
 * suggests (commandName).
 */
export function terminalAsker(
  options: { io: Io; prompter: () => Prompter; interactive: boolean; command: string },
): AskOwner | undefined {
  if (!options.interactive) return undefined;
  const { command } = options;
  let queue: Promise<unknown> = Promise.resolve();
  return (approval, signal) => {
    const answer = queue.then(async () => {
      if (signal.aborted) return undefined;
      options.io.err(
        `\nApproval needed [${approval.approvalId}]: ${approval.tool} (tier ${approval.tier})\n` +
          `  ${approvalArguments(approval, TERMINAL_ARGUMENT_CHARS, { command })}\n` +
          `  (or from another terminal: ${command} approvals approve|deny ${approval.approvalId})`,
      );
      return await options.prompter().confirm("Allow this call?");
    });
    queue = answer.catch(() => {});
    return answer.catch(() => false);
  };
}

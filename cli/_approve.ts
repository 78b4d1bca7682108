/**
 * Approvals on the terminal, for `kafclaw agent`: the owner sees the call and answers y or n.
 * Without a terminal nobody can answer, so the call is denied. One question at a time.
 *
 * @module
 */
import type { ApprovalRequest } from "../core/tools/types.ts";
import type { Io } from "./_io.ts";
import type { Prompter } from "./_prompt.ts";

/** Makes the approve function of the agent loop. */
export function terminalApprover(
  options: { io: Io; prompter: () => Prompter; interactive: boolean },
): (request: ApprovalRequest) => Promise<boolean> {
  let queue: Promise<unknown> = Promise.resolve();
  return (request) => {
    if (!options.interactive) {
      options.io.err(
        `kafclaw: denied ${request.tool} (tier ${request.tier}): it needs the owner's approval ` +
          "and no terminal is attached to ask",
      );
      return Promise.resolve(false);
    }
    const answer = queue.then(async () => {
      options.io.err(
        `\nApproval needed: ${request.tool} (tier ${request.tier}) — ${request.reason}\n` +
          `  ${JSON.stringify(request.arguments)}`,
      );
      return await options.prompter().confirm("Allow this call?");
    });
    queue = answer.catch(() => {});
    return answer.catch(() => false);
  };
}

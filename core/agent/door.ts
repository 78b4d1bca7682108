/**
 * Where messages from people enter the agent: each channel (and, later, the gateway API) hands a
 * message to {@link Inbound.handle}. The owner's `approve <id>` and `deny <id>` answer pending
 * approvals there and never reach the LLM; the same words from anyone else are refused, so a
 * sender can never approve what their own message asked for. Everything else becomes a turn,
 * internal when the sender is the owner (`policy.owners`), external otherwise.
 *
 * The other half, {@link ownerNotifier}, tells the owners about each new approval request on
 * their channels, and only them.
 *
 * @module
 */
import { classifyMessage, identity } from "../policy/mod.ts";
import type { Approval } from "../timeline/mod.ts";
import type { Approvals, AskOwner } from "./approvals.ts";
import type { AgentLoop, TurnResult } from "./loop.ts";

/** A message from a person on a channel. */
export interface InboundMessage {
  readonly channel: string;
  readonly sender: string;
  readonly text: string;
  /** The session it belongs to (default `<channel>:<sender>`). */
  readonly sessionKey?: string;
  readonly signal?: AbortSignal;
}

/** What became of a message. */
export type InboundResult =
  | { readonly kind: "approval"; readonly content: string }
  | { readonly kind: "refused"; readonly content: string }
  | { readonly kind: "turn"; readonly content: string; readonly turn: TurnResult };

const COMMAND = /^\s*\/?(approve|deny)\s+([A-Za-z0-9_-]{1,64})\s*$/i;

/** `approve <id>` / `deny <id>` (a leading `/` allowed, any case), or undefined. */
export function parseApprovalCommand(
  text: string,
): { readonly approved: boolean; readonly id: string } | undefined {
  const match = COMMAND.exec(text);
  if (!match) return undefined;
  return { approved: match[1]!.toLowerCase() === "approve", id: match[2]! };
}

/** Routes messages; see the module documentation. */
export class Inbound {
  readonly #loop: AgentLoop;
  readonly #approvals: Approvals;
  readonly #owners: readonly string[];

  constructor(deps: { loop: AgentLoop; approvals: Approvals; owners: readonly string[] }) {
    this.#loop = deps.loop;
    this.#approvals = deps.approvals;
    this.#owners = deps.owners;
  }

  /** Handles one message: an owner's answer to an approval, or a turn. */
  async handle(message: InboundMessage): Promise<InboundResult> {
    const who = identity(message.channel, message.sender);
    const command = parseApprovalCommand(message.text);
    const isOwner = this.#owners.includes(who);
    if (command && isOwner) {
      return {
        kind: "approval",
        content: this.#approvals.answer(command.id, command.approved, who),
      };
    }
    if (command) {
      return { kind: "refused", content: "Only the owner can answer approval requests." };
    }
    const turn = await this.#loop.runTurn({
      sessionKey: message.sessionKey ?? who,
      text: message.text,
      messageType: classifyMessage(message, { owners: this.#owners }),
      channel: message.channel,
      sender: message.sender,
      ...(message.signal ? { signal: message.signal } : {}),
    });
    return { kind: "turn", content: turn.content, turn };
  }
}

/** Sends a text to one owner identity (`channel:sender`) on its channel. */
export type SendToOwner = (owner: string, text: string) => Promise<void>;

/** The text an owner receives about a request. */
export function approvalNotice(approval: Approval): string {
  return `Approval needed ${approval.approvalId}: ${approval.tool} (tier ${approval.tier}) ` +
    `${JSON.stringify(approval.arguments)}, asked for by ${approval.requester}. ` +
    `Reply "approve ${approval.approvalId}" or "deny ${approval.approvalId}" ` +
    `(until ${approval.expiresAt.toISOString()}).`;
}

/**
 * An {@link AskOwner} that notifies every owner (`policy.owners`) through `send` and leaves the
 * answer to their `approve <id>` / `deny <id>` ({@link Inbound}). When no notice can be delivered
 * it resolves false, so the request is denied rather than left waiting for nobody.
 */
export function ownerNotifier(owners: readonly string[], send: SendToOwner): AskOwner {
  return async (approval) => {
    const results = await Promise.allSettled(
      owners.map(async (owner) => await send(owner, approvalNotice(approval))),
    );
    return results.some((r) => r.status === "fulfilled") ? undefined : false;
  };
}

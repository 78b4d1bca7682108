/**
 * Who a message comes from: the owner (internal) or anyone else (external), whether the sender may
 * talk to the agent at all, and whether an owner can be asked to approve a call.
 *
 * Internal: the terminal (`cli`), the scheduler's jobs (`scheduler`), a `channel:sender` listed in
 * `policy.owners`, and another agent whose membership certificate says `vouched`. Everything else
 * is external, including other agents' tasks by default (PROTOCOL.md, "Taint fails closed").
 * Work derived from a turn (sub-agents, messages between sessions) keeps its parent's type and
 * taint instead of being classified by its channel.
 *
 * @module
 */
import { identity, type MessageType, type PolicySettings, type Taint } from "./settings.ts";

/** Channels whose messages always come from the owner or the owner's own jobs. */
export const INTERNAL_CHANNELS: readonly string[] = Object.freeze(["cli", "scheduler"]);

/**
 * Who a turn acts for: decided once, where a message becomes a turn (core/agent's door), and read
 * by everything after it (the guard, the tools, work the turn starts). Never decided again.
 */
export interface TurnOrigin {
  /** Where the message came in: `cli`, `scheduler`, a chat channel, `group:<name>`. */
  readonly channel: string;
  /** Who sent it there (`owner` at the terminal and for the owner's own jobs). */
  readonly sender: string;
  readonly messageType: MessageType;
  /** The trust the message brings (untrusted when an untrusted turn made it); it only lowers. */
  readonly taint: Taint;
  /** Whether an approval request can reach the owner (the terminal, an owner channel). */
  readonly ownerReachable: boolean;
  /** Set on work a turn started for itself: a `message` to another session, a subagent. */
  readonly via?: "message" | "subagent" | undefined;
}

/** Where a message comes from. */
export interface MessageSource {
  readonly channel: string;
  readonly sender: string;
  /** For another agent's task: its membership certificate says `vouched`. */
  readonly vouched?: boolean;
}

/**
 * Whether a message is internal (the owner) or external (anyone else).
 *
 * @example
 * ```ts
 * import { classifyMessage } from "./classify.ts";
 * const owners = ["telegram:42"];
 * classifyMessage({ channel: "telegram", sender: "42" }, { owners }); // "internal"
 * classifyMessage({ channel: "telegram", sender: "43" }, { owners }); // "external"
 * ```
 */
export function classifyMessage(
  source: MessageSource,
  settings: Pick<PolicySettings, "owners">,
): MessageType {
  if (INTERNAL_CHANNELS.includes(source.channel)) return "internal";
  if (source.vouched === true) return "internal";
  return settings.owners.includes(identity(source.channel, source.sender))
    ? "internal"
    : "external";
}

/**
 * Whether the sender may talk to the agent: the allowlist is empty, the message is internal (the
 * owner is never locked out by their own allowlist), or `channel:sender` is on it.
 */
export function isSenderAllowed(
  source: MessageSource,
  settings: Pick<PolicySettings, "owners" | "allowedSenders">,
): boolean {
  if (settings.allowedSenders.length === 0) return true;
  if (classifyMessage(source, settings) === "internal") return true;
  return settings.allowedSenders.includes(identity(source.channel, source.sender));
}

/**
 * Whether an approval request has somewhere to go: the owner is at the terminal (`cli`), or an
 * owner channel is configured. Without either, a call that needs approval is denied.
 */
export function canAskOwner(channel: string, settings: Pick<PolicySettings, "owners">): boolean {
  return channel === "cli" || settings.owners.length > 0;
}

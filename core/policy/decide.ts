/**
 * The policy decision for one tool call: allow, deny, or ask the owner (ARCHITECTURE.md, Policy).
 *
 * The checks run in this order; the first that applies decides:
 *
 * | # | When                                             | Action | Code                        |
 * |---|--------------------------------------------------|--------|-----------------------------|
 * | 1 | the sender is not on a non-empty allowlist       | deny   | `sender_not_allowed`        |
 * | 2 | the tool always needs approval (`toolApproval`)  | ask    | `tool_needs_approval`       |
 * | 3 | tier 0 (read-only), even in a tainted turn       | allow  | `tier0_always_allowed`      |
 * | 4 | the turn is tainted (tier 1-2, any message type) | ask    | `tainted_needs_approval`    |
 * | 5 | internal, tier > `maxAutoTier`                   | ask    | `internal_above_auto_tier`  |
 * | 6 | external, tier > `externalMaxTier`               | ask    | `external_above_max_tier`   |
 * | 7 | internal, tier <= `maxAutoTier`                  | allow  | `internal_within_auto_tier` |
 * | 8 | external, tier <= `externalMaxTier`              | allow  | `external_within_max_tier`  |
 *
 * "Ask" goes to the owner, never to the sender. When no owner can be asked (not at the terminal and
 * no `policy.owners`), every "ask" becomes deny `no_owner_to_ask`.
 *
 * Notes:
 * - The allowlist comes first, unlike the Go engine (which let tier 0 through): a sender who may
 *   not talk to the agent gets no tools at all. The turn should not even start; this is the backstop.
 * - The rule of two (never untrusted input + sensitive data + outside action without a human) holds
 *   without knowing what data is sensitive: a tainted turn gets no tier 1-2 call without a human.
 * - External calls above `externalMaxTier` ask the owner (the Go engine denied them): the owner is
 *   the human of the rule of two. With no owner configured they are denied, as before.
 * - A tool that always needs approval says why (`toolApproval`): changing the agent's own soul
 *   files, or a command that would run without the sandbox. It is asked like any other call, so
 *   approval is asked in this one place, never by the tool itself.
 * - Input that is not what the types say fails closed: a tier other than 0, 1 or 2 counts as 2, a
 *   message type other than "internal" as external, a taint other than "trusted" as untrusted, and
 *   a `senderAllowed` other than `true` as not allowed. `decide` never throws.
 *
 * @module
 */
import { canAskOwner } from "./classify.ts";
import type { MessageType, PolicySettings, Taint, Tier } from "./settings.ts";

/** What to do with the call. */
export type Action = "allow" | "deny" | "ask";

/** Stable machine codes of decisions, for the timeline and the audit topic. */
export const DECISION_CODES = [
  "sender_not_allowed",
  "tool_needs_approval",
  "tier0_always_allowed",
  "tainted_needs_approval",
  "internal_above_auto_tier",
  "external_above_max_tier",
  "internal_within_auto_tier",
  "external_within_max_tier",
  "no_owner_to_ask",
] as const;

/** One of {@link DECISION_CODES}. */
export type DecisionCode = typeof DECISION_CODES[number];

/** What `decide` needs to know about one call. */
export interface DecisionInput {
  readonly tool: string;
  readonly tier: number;
  readonly messageType: MessageType;
  readonly channel: string;
  readonly sender: string;
  readonly taint: Taint;
  /** From {@link isSenderAllowed}. */
  readonly senderAllowed: boolean;
  /**
   * Why this call always needs the owner's approval, whatever its tier and whoever asked (the
   * tool says so: see core/tools `Tool.approval`); absent for most tools.
   */
  readonly toolApproval?: string | undefined;
  /** Whether an approval request can reach the owner; default {@link canAskOwner}. */
  readonly ownerReachable?: boolean;
}

/** The decision: the action, a stable code, and a sentence for the model and the owner. */
export interface Decision {
  readonly action: Action;
  readonly code: DecisionCode;
  /** e.g. `Policy: exec (tier 2) needs the owner's approval because this turn read untrusted content` */
  readonly reason: string;
}

/** The settings `decide` reads. */
export type DecideSettings = Pick<PolicySettings, "maxAutoTier" | "externalMaxTier" | "owners">;

function normalTier(tier: unknown): Tier {
  return tier === 0 || tier === 1 ? tier : 2;
}

function toolName(tool: unknown): string {
  const name = typeof tool === "string" && tool !== "" ? tool : "the tool";
  return name.length > 64 ? `${name.slice(0, 61)}...` : name;
}

function describeSender(channel: unknown, sender: unknown): string {
  return JSON.stringify(`${String(channel)}:${String(sender)}`);
}

/** Why approval is needed, as the end of a sentence. */
function askWhy(code: DecisionCode, settings: DecideSettings, toolApproval: string): string {
  switch (code) {
    case "tool_needs_approval":
      return toolApproval;
    case "tainted_needs_approval":
      return "this turn read untrusted content";
    case "internal_above_auto_tier":
      return `only tools up to tier ${settings.maxAutoTier} run without approval`;
    default:
      return `messages from others use tools up to tier ${settings.externalMaxTier} only`;
  }
}

/**
 * Decides one tool call. Never throws.
 *
 * @example
 * ```ts
 * import { decide } from "./decide.ts";
 * const d = decide(
 *   { tool: "exec", tier: 2, messageType: "internal", channel: "cli", sender: "me", taint: "untrusted", senderAllowed: true },
 *   { maxAutoTier: 1, externalMaxTier: 0, owners: [] },
 * );
 * d.action; // "ask"
 * d.reason; // "Policy: exec (tier 2) needs the owner's approval because this turn read untrusted content"
 * ```
 */
export function decide(input: DecisionInput, settings: DecideSettings): Decision {
  const i: Partial<DecisionInput> = typeof input === "object" && input !== null ? input : {};
  const tier = normalTier(i.tier);
  const subject = `Policy: ${toolName(i.tool)} (tier ${tier})`;
  if (i.senderAllowed !== true) {
    return {
      action: "deny",
      code: "sender_not_allowed",
      reason: `${subject} is denied because ${
        describeSender(i.channel, i.sender)
      } is not on the list of allowed senders`,
    };
  }
  if (typeof i.toolApproval === "string" && i.toolApproval !== "") {
    return ask("tool_needs_approval", subject, i, settings);
  }
  if (tier === 0) {
    return {
      action: "allow",
      code: "tier0_always_allowed",
      reason: `${subject} is allowed: read-only tools always are`,
    };
  }
  const internal = i.messageType === "internal";
  const max = internal ? settings.maxAutoTier : settings.externalMaxTier;
  let code: DecisionCode | undefined;
  if (i.taint !== "trusted") code = "tainted_needs_approval";
  else if (!(tier <= max)) code = internal ? "internal_above_auto_tier" : "external_above_max_tier";
  if (code === undefined) {
    return internal
      ? {
        action: "allow",
        code: "internal_within_auto_tier",
        reason: `${subject} is allowed: the owner's messages use tools up to tier ${max}`,
      }
      : {
        action: "allow",
        code: "external_within_max_tier",
        reason: `${subject} is allowed: messages from others use tools up to tier ${max}`,
      };
  }
  return ask(code, subject, i, settings);
}

/** Ask the owner, for `code`; denied when no owner can be asked. */
function ask(
  code: DecisionCode,
  subject: string,
  i: Partial<DecisionInput>,
  settings: DecideSettings,
): Decision {
  const why = askWhy(code, settings, String(i.toolApproval));
  const reachable = i.ownerReachable ?? canAskOwner(String(i.channel), settings);
  return reachable === true
    ? { action: "ask", code, reason: `${subject} needs the owner's approval because ${why}` }
    : {
      action: "deny",
      code: "no_owner_to_ask",
      reason: `${subject} is denied: it needs the owner's approval because ${why}, ` +
        `and no owner channel is configured to ask`,
    };
}

/**
 * Who may talk to the agent on a chat channel: the owners (`policy.owners`, as `channel:sender`)
 * always, everyone else by the channel's `dmPolicy`:
 *
 * | dmPolicy    | a sender in `allowFrom` | a paired sender | anyone else          |
 * | ----------- | ----------------------- | --------------- | -------------------- |
 * | `allowlist` | answered                | ignored         | ignored              |
 * | `pairing`   | answered                | answered        | gets a pairing code  |
 * | `open`      | answered                | answered        | answered             |
 * | `disabled`  | ignored                 | ignored         | ignored              |
 *
 * Whoever is answered and is not an owner is external and untrusted (the door decides that, by
 * the owners list alone).
 *
 * @module
 */
import type { DmPolicy } from "../core/config/mod.ts";

/** What to do with a message: a turn, a pairing code, or nothing at all. */
export type Access = "answer" | "pair" | "ignore";

/** Who is asking and the channel's rules. */
export interface AccessQuestion {
  readonly channel: string;
  readonly sender: string;
  readonly dmPolicy: DmPolicy;
  /** The channel's `allowFrom` (`*` lets everyone in). */
  readonly allowFrom: readonly string[];
  /** `policy.owners`. */
  readonly owners: readonly string[];
  /** Whether the owner paired this sender. */
  readonly paired: boolean;
}

/** Whether `sender` is one of the owners on `channel`. */
export function isOwner(owners: readonly string[], channel: string, sender: string): boolean {
  return owners.includes(`${channel}:${sender}`);
}

/** Decides by the table of the module documentation. */
export function accessOf(q: AccessQuestion): Access {
  if (isOwner(q.owners, q.channel, q.sender)) return "answer";
  const listed = q.allowFrom.includes(q.sender) || q.allowFrom.includes("*");
  switch (q.dmPolicy) {
    case "disabled":
      return "ignore";
    case "open":
      return "answer";
    case "allowlist":
      return listed ? "answer" : "ignore";
    case "pairing":
      return listed || q.paired ? "answer" : "pair";
  }
}

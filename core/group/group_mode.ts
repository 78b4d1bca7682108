/**
 * Whether an agent runs in its group's security mode. The group's manifest, which the owner signs
 * (`kafclaw group init`), says whether the group is `signed` or `open`; an agent configured for the
 * other mode cannot take part: in a signed group its unsigned records are dropped by every member,
 * and in an open one it drops theirs. Worse, it still holds its share of the shared work queue, so
 * each task that lands there is taken from the group and answered to no one (found by hand: a task
 * sent to a signed group expired at its deadline, read by a member started with
 * `KAFCLAW_GROUP_SECURITY=open`). So an agent refuses to join in the other mode (membership.ts),
 * before it announces itself or takes any work, in one line naming the setting that fixes it.
 *
 * A group with no manifest (made by hand, or by a foreign tool) is not checked.
 *
 * @module
 */
import type { GroupManifest } from "../protocol/mod.ts";

/** The agent cannot join as configured; the message says what to set. */
export class GroupSetupError extends Error {
  override name = "GroupSetupError";
}

/**
 * What is wrong when `security` (this agent's `group.security`) is not the mode `manifest` gives
 * `group`; undefined when they agree or there is no manifest. `command` is how the user runs
 * kafclaw, for the fix.
 */
export function securityMismatch(
  group: string,
  security: "signed" | "open",
  manifest: Pick<GroupManifest, "security_mode"> | undefined,
  command = "kafclaw",
): string | undefined {
  const mode = manifest?.security_mode;
  if (mode === undefined || mode === security) return undefined;
  const effect = mode === "signed"
    ? "every member would drop its unsigned records"
    : "it would drop every member's unsigned records";
  return `Group "${group}" runs ${mode} (its owner's manifest says so), but this agent's ` +
    `group.security is ${security}: ${effect}, and the tasks it took from the work queue would ` +
    `go unanswered. Set KAFCLAW_GROUP_SECURITY=${mode}, or run ${command} config set ` +
    `group.security ${mode}`;
}

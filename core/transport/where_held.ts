/**
 * Where a group's members run, said in an error: what a member's run tag (run_tag.ts) told of
 * its process. Apart from the Kafka client's files, so a message can name it without loading them.
 *
 * @module
 */
import type { GroupHolder } from "./types.ts";

/**
 * Where the members of a group run, for an error: ` (pid 4242 on host h)` for one of this host
 * (the first such), else ` (pid 4242 on another host)` or ` (pid 4242)` as far as is known; empty
 * when no member is tagged.
 */
export function whereHeld(holders: readonly GroupHolder[]): string {
  const here = holders.find((h) => h.host !== undefined && h.pid !== undefined);
  if (here !== undefined) return ` (pid ${here.pid} on host ${here.host})`;
  const tagged = holders.find((h) => h.pid !== undefined);
  if (tagged === undefined) return "";
  return tagged.elsewhere ? ` (pid ${tagged.pid} on another host)` : ` (pid ${tagged.pid})`;
}

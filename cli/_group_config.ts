/**
 * The configuration the `kafclaw group` subcommands start from, and whether this home's member
 * runs: the light part of their helpers (config.json, the store's `group.alive_at`), which loads
 * neither the group's code nor the Kafka client. `group skills` and `group members` beside a
 * running gateway need nothing more; the rest is cli/_group.ts.
 *
 * @module
 */
import type { ResolvedConfig } from "../core/config/mod.ts";
import { STALE_AFTER } from "../core/protocol/mod.ts";
import { QUEUE_FOLLOWED_AT, type Timeline } from "../core/timeline/mod.ts";
import type { CliContext } from "./_context.ts";
import { UsageError } from "./_errors.ts";
import { trustedConfig } from "./_trusted_config.ts";

export { trustedConfig };

/** The configuration, refused when others could have written config.json, with its brokers. */
export async function groupConfig(ctx: CliContext): Promise<ResolvedConfig> {
  return needBrokers(await trustedConfig(ctx));
}

/** `config`, when it names the group's brokers; else a usage error that says how to. */
export function needBrokers(config: ResolvedConfig): ResolvedConfig {
  if (config.group.kafkaBrokers.length === 0) {
    throw new UsageError(
      "group.kafkaBrokers is empty: set KAFCLAW_GROUP_KAFKA_BROKERS (host:port, comma-separated)",
    );
  }
  return config;
}

/**
 * Whether this home's member (its gateway, or `group join`) runs: it wrote `group.alive_at` in
 * the store within {@link STALE_AFTER} heartbeat intervals.
 */
export function memberRunsHere(config: ResolvedConfig, timeline: Timeline): boolean {
  return freshIn(config, timeline, "group.alive_at");
}

/**
 * Whether this home's gateway follows the tasks queued in the store (`QUEUE_FOLLOWED_AT`, within
 * {@link STALE_AFTER} heartbeat intervals): a member that runs here without it (`group join`, a
 * `task submit --wait` that joined) sends none of them.
 */
export function queueFollowedHere(config: ResolvedConfig, timeline: Timeline): boolean {
  return freshIn(config, timeline, QUEUE_FOLLOWED_AT);
}

/** Whether the time the store's setting `key` holds is within {@link STALE_AFTER} heartbeat intervals. */
function freshIn(config: ResolvedConfig, timeline: Timeline, key: string): boolean {
  const at = timeline.settings.get(key);
  const window = STALE_AFTER * config.group.heartbeatIntervalMs;
  return at !== undefined && Date.now() - Date.parse(at) < window;
}

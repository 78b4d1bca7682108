/**
 * `kafclaw gateway` follows config.json for `group.skills` (and the `skills` of the agents of
 * `agents.list` it runs), as `cron serve` follows it for its
 * jobs: when the file changes (looked at every second), or on SIGHUP, it is read again and the
 * skills it lists are offered at once (the consumers of new skills start, those of removed ones
 * stop, and the skills' records say so), with a line saying what changed. A file that does not
 * load, or that others could write, is not applied, and the line says why. Other keys still need
 * a restart of the gateway.
 *
 * @module
 */
import {
  checkConfigTrust,
  type ConfigFileChange,
  loadConfig,
  type ResolvedConfig,
  watchConfigFile,
} from "../core/config/mod.ts";
import type { SkillChange } from "../core/group/mod.ts";

/** What following config.json needs from the gateway. */
export interface SkillFollowOptions {
  readonly env: () => Readonly<Record<string, string>>;
  /**
   * Offers exactly the skills that `next` gives (core/gateway `Swarm.offerSkills`: each agent's,
   * for the agents of agents.list).
   */
  readonly offer: (next: ResolvedConfig) => Promise<SkillChange>;
  /** A line about what happened. */
  readonly say: (line: string) => void;
  /** How often the file is looked at (default 1 s). */
  readonly intervalMs?: number;
}

/** Starts following `config.file` for group.skills; dispose of the result to stop. */
export function followSkills(config: ResolvedConfig, options: SkillFollowOptions): Disposable {
  const file = config.file;
  const reload = async (why: ConfigFileChange) => {
    const seen = why === "SIGHUP" ? `SIGHUP: read ${file} again` : `${file} changed`;
    try {
      const next = await loadConfig({ env: options.env(), home: config.home });
      await checkConfigTrust(next.file);
      const { added, removed } = await options.offer(next);
      const parts = [
        ...(added.length ? [`added ${added.join(", ")}`] : []),
        ...(removed.length ? [`removed ${removed.join(", ")}`] : []),
      ];
      options.say(`${seen}: group.skills ${parts.length ? parts.join("; ") : "unchanged"}`);
    } catch (error) {
      options.say(`${seen} but group.skills was not applied: ${(error as Error).message}`);
    }
  };
  return watchConfigFile(
    file,
    reload,
    options.intervalMs ? { intervalMs: options.intervalMs } : {},
  );
}

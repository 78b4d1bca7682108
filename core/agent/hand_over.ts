/**
 * Whether the sandbox may take the workspace, as root: bubblewrap drops from root to an
 * unprivileged uid (65534), which can use the workspace only once its files are that uid's, so
 * opening the sandbox would give them that owner. That is done only with a yes:
 *
 * - `tools.sandbox.handOver` `yes` hands any workspace over, `no` none;
 * - `ask` (the default) goes by the answer recorded for this workspace in
 *   `$KAFCLAW_HOME/sandbox-handover.json`; without one, an interactive `kafclaw agent` asks once
 *   and records the answer, and other runs (gateway, task, cron, `agent -m` without a terminal)
 *   refuse, saying how to allow it. Only the empty workspace KAFCLAW_HOME holds (which kafclaw
 *   made itself) is taken without asking: no file of the user's changes owner.
 *
 * Refused, the sandbox falls back to the worker sandbox (no exec), whose reason says this.
 *
 * @module
 */
import { join, relative } from "node:path";
import type { ResolvedConfig } from "../config/mod.ts";

/** The file of the recorded answers, by the workspace's real path. */
export const HAND_OVER_FILE = "sandbox-handover.json";

/** Asks the owner a yes/no question (the terminal of `kafclaw agent`). */
export type AskYesNo = (question: string) => Promise<boolean>;

/** The answers recorded in KAFCLAW_HOME, by workspace; a file that cannot be read holds none. */
export async function recordedHandOvers(home: string): Promise<Record<string, "yes" | "no">> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(join(home, HAND_OVER_FILE)));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

async function record(home: string, workspace: string, answer: "yes" | "no"): Promise<void> {
  const answers = { ...await recordedHandOvers(home), [workspace]: answer };
  await Deno.writeTextFile(join(home, HAND_OVER_FILE), JSON.stringify(answers, null, 2) + "\n", {
    mode: 0o600,
  });
}

/** Whether `path` is inside `home` (or is it). */
function inside(home: string, path: string): boolean {
  let real = home;
  try {
    real = Deno.realPathSync(home);
  } catch {
    // A home that is not there holds nothing.
  }
  const rel = relative(real, path);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}

function isEmpty(folder: string): boolean {
  try {
    for (const _ of Deno.readDirSync(folder)) return false;
    return true;
  } catch {
    return false;
  }
}

/** Whether the workspace is the empty one KAFCLAW_HOME holds, which is taken without asking. */
export function takenWithoutAsking(home: string, workspace: string): boolean {
  return inside(home, workspace) && isEmpty(workspace);
}

/**
 * The sandbox's `handOver` question for this configuration: undefined to hand the workspace
 * over, else the one-line reason why not. `ask` is given only where a person answers.
 */
export function handOverPolicy(
  config: ResolvedConfig,
  options: {
    readonly ask?: AskYesNo | undefined;
    readonly uid?: number;
    /** Told a refusal: commands then cannot run (the worker sandbox has no exec). */
    readonly warn?: (message: string) => void;
  } = {},
): (workspace: string) => Promise<string | undefined> {
  return async (workspace) => {
    const refused = await decide(config, workspace, options);
    if (refused !== undefined) options.warn?.(`Commands cannot run in the sandbox: ${refused}`);
    return refused;
  };
}

async function decide(
  config: ResolvedConfig,
  workspace: string,
  options: { readonly ask?: AskYesNo | undefined; readonly uid?: number },
): Promise<string | undefined> {
  const uid = options.uid ?? 65534;
  const allow = `\`${config.command} config set tools.sandbox.handOver yes\``;
  const setting = config.tools.sandbox.handOver;
  if (setting === "yes") return undefined;
  const refusal = `the sandbox runs as uid ${uid} and the workspace ${workspace} is not ` +
    `its own; handing it over changes the owner of its files`;
  if (setting === "no") return `${refusal}, and tools.sandbox.handOver is no`;
  const recorded = (await recordedHandOvers(config.home))[workspace];
  if (recorded === "yes") return undefined;
  if (recorded === "no") {
    return `${refusal}, which was answered no (${join(config.home, HAND_OVER_FILE)}); ` +
      `allow it with ${allow}`;
  }
  if (takenWithoutAsking(config.home, workspace)) {
    await record(config.home, workspace, "yes");
    return undefined;
  }
  if (options.ask === undefined) {
    return `${refusal}: allow it by answering yes in \`${config.command} agent\` at a ` +
      `terminal, or with ${allow}`;
  }
  const yes = await options.ask(
    `Run commands in the sandbox as uid ${uid}? The files of ${workspace} then belong to ` +
      `uid ${uid} (asked once for this workspace) [y/N] `,
  );
  await record(config.home, workspace, yes ? "yes" : "no");
  return yes ? undefined : `${refusal}, which was answered no; allow it with ${allow}`;
}

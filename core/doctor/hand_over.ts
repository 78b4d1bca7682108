/**
 * `doctor`'s line on the root hand-over: as root, what opening the sandbox will do with the
 * workspace's owners (core/agent/hand_over.ts decides it; this says it beforehand, changing
 * nothing). Not root: no line.
 *
 * @module
 */
import { paths, type ResolvedConfig } from "../config/mod.ts";
import { recordedHandOvers, takenWithoutAsking } from "../agent/mod.ts";
import { needsAdoption } from "../tools/sandbox/mod.ts";
import type { CheckResult } from "./mod.ts";

/** The sandbox's uid as root (the sandbox's default). */
const SANDBOX_UID = 65534;

/** What the sandbox will do with the workspace's owners, as root. */
export async function handOverCheck(
  config: ResolvedConfig,
  uid: number | null = Deno.uid(),
): Promise<CheckResult[]> {
  if (uid !== 0) return [];
  const line = (status: CheckResult["status"], detail: string, hint?: string): CheckResult[] => [
    { check: "hand-over", status, detail, ...(hint ? { hint } : {}) },
  ];
  let workspace: string;
  try {
    workspace = await Deno.realPath(paths(config).workspace);
  } catch {
    return line(
      "ok",
      `the workspace is made empty at the first start and given to uid ${SANDBOX_UID}`,
    );
  }
  const owner = { uid: SANDBOX_UID, gid: SANDBOX_UID };
  if (!needsAdoption(workspace, owner)) {
    return line("ok", `${workspace} belongs to the sandbox's uid ${SANDBOX_UID}`);
  }
  const allow = `${config.command} config set tools.sandbox.handOver yes`;
  const setting = config.tools.sandbox.handOver;
  const recorded = (await recordedHandOvers(config.home))[workspace];
  const fresh = setting === "ask" && recorded === undefined &&
    takenWithoutAsking(config.home, workspace);
  if (setting === "yes" || (setting === "ask" && recorded === "yes") || fresh) {
    const why = setting === "yes"
      ? "tools.sandbox.handOver is yes"
      : fresh
      ? "it is empty"
      : "answered yes";
    return line(
      "ok",
      `as root, the files of ${workspace} are given to uid ${SANDBOX_UID} when the sandbox ` +
        `opens (${why})`,
    );
  }
  const why = setting === "no"
    ? "tools.sandbox.handOver is no"
    : recorded === "no"
    ? "the owner answered no"
    : `${config.command} agent at a terminal asks first; other runs wait for that yes`;
  return line(
    "warn",
    `commands cannot run until ${workspace} is handed to the sandbox's uid ${SANDBOX_UID}: ${why}`,
    allow,
  );
}

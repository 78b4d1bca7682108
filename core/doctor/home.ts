/**
 * `doctor`'s checks of KAFCLAW_HOME itself: that it exists, that only its owner can read it and
 * that kafclaw can write in it, and that config.json is trusted and private. Nothing here creates
 * anything: whether the folder takes writes is learnt from a file made and removed at once.
 *
 * @module
 */
import {
  checkConfigTrust,
  paths,
  type ResolvedConfig,
  UntrustedConfigError,
} from "../config/mod.ts";
import type { CheckResult } from "./mod.ts";

/** The permission bits of `path`, or undefined when it does not exist. */
export async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).mode! & 0o777;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Why nothing can be written in `dir`, or undefined when something can. The probe file is
 * removed before this resolves, so the folder holds what it held.
 */
export async function unwritable(dir: string): Promise<string | undefined> {
  let probe: string;
  try {
    probe = await Deno.makeTempFile({ dir, prefix: ".kafclaw-doctor-" });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return "kafclaw may not write there";
    if (error instanceof Error) {
      return error.message.replace(/ \(os error \d+\).*$/, "").toLowerCase();
    }
    throw error;
  }
  await Deno.remove(probe);
  return undefined;
}

/** KAFCLAW_HOME: there, private, writable. */
async function homeCheck(home: string, command: string): Promise<CheckResult> {
  const mode = await modeOf(home);
  if (mode === undefined) {
    return {
      check: "home",
      status: "fail",
      detail: `${home} does not exist`,
      hint: `run ${command} onboard`,
    };
  }
  if (mode & 0o077) {
    return {
      check: "home",
      status: "fail",
      detail: `${home} is readable by others (mode ${mode.toString(8)})`,
      hint: `chmod 700 ${home}`,
    };
  }
  const why = await unwritable(home);
  if (why !== undefined) {
    return {
      check: "home",
      status: "fail",
      detail: `${home} cannot be written (${why}): agent, gateway and cron cannot keep sessions`,
      hint: `make ${home} writable by this user (its owner, mode, an immutable flag: lsattr -d)`,
    };
  }
  return { check: "home", status: "ok", detail: `${home} (mode ${mode.toString(8)})` };
}

/** The checks of KAFCLAW_HOME and its config.json. */
export async function homeChecks(config: ResolvedConfig): Promise<CheckResult[]> {
  const out = [await homeCheck(config.home, config.command)];
  const file = await modeOf(paths(config).config);
  try {
    await checkConfigTrust(paths(config).config);
  } catch (error) {
    if (!(error instanceof UntrustedConfigError)) throw error;
    // Others could have written it: agent and cron refuse it.
    out.push({ check: "config file", status: "fail", detail: error.problem, hint: error.fix });
    return out;
  }
  if (file !== undefined && file & 0o077) {
    out.push({
      check: "config file",
      status: "fail",
      detail: `${paths(config).config} is readable by others (mode ${
        file.toString(8)
      }); it may hold keys`,
      hint: `chmod 600 ${paths(config).config}`,
    });
  }
  return out;
}

/**
 * `kafclaw group skills [list|add <name>|remove <name>]`: the skills this agent offers its group,
 * kept in config.json's `group.skills` (written atomically: a failed write leaves the old file).
 * A gateway running under the same KAFCLAW_HOME follows config.json and starts or stops the
 * skill's consumer within a second or two, without a restart (cli/_gateway_reload.ts).
 * KAFCLAW_GROUP_SKILLS, when set, overrides the file; the commands say so.
 *
 * @module
 */
import {
  ConfigError,
  loadConfig,
  type ResolvedConfig,
  setConfigValue,
} from "../core/config/mod.ts";
import { isId } from "../core/protocol/mod.ts";
import type { CliContext } from "./_context.ts";
import { CliError, UsageError } from "./_errors.ts";
import { trustedConfig } from "./_group_config.ts";

const ENV = "KAFCLAW_GROUP_SKILLS";

/** The skills in config.json itself (the environment left out). */
async function fileSkills(ctx: CliContext): Promise<readonly string[]> {
  const env = { ...ctx.env() };
  delete env[ENV];
  return (await loadConfig({ env })).group.skills;
}

function skillName(name: string): string {
  if (!isId(name)) {
    throw new UsageError(
      `skill "${name}" is not valid: a-z, 0-9, _ and - (starting with a letter or digit), at most 64`,
    );
  }
  return name;
}

/** Writes `skills` as group.skills and reports the result. */
async function write(
  ctx: CliContext,
  config: ResolvedConfig,
  change: { readonly skills: readonly string[]; readonly done: string; readonly json?: boolean },
): Promise<void> {
  try {
    await setConfigValue(config.home, {
      path: "group.skills",
      value: JSON.stringify(change.skills),
    });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof Deno.errors.NotCapable) throw error;
    throw new CliError(`Cannot write ${config.file}: ${(error as Error).message}`);
  }
  const overridden = ctx.env()[ENV] !== undefined;
  ctx.io.out(
    change.json
      ? JSON.stringify({ skills: change.skills, file: config.file, overridden_by_env: overridden })
      : `${change.done}; group.skills is now ${show(change.skills)} in ${config.file}`,
  );
  if (overridden) {
    ctx.io.err(`kafclaw: ${ENV} is set and overrides config.json here; unset it to use the file`);
  }
}

function show(skills: readonly string[]): string {
  return skills.length === 0 ? "empty" : skills.join(", ");
}

/** `group skills list`: the skills offered, and where that is set. */
export async function listSkills(ctx: CliContext, opts: { json?: boolean }): Promise<void> {
  const config = await trustedConfig(ctx);
  const source = ctx.env()[ENV] !== undefined ? ENV : config.file;
  const list = config.group.skills;
  ctx.io.out(
    opts.json
      ? JSON.stringify({ skills: list, source })
      : list.length === 0
      ? `no skills offered (group.skills is empty in ${source})`
      : list.join("\n"),
  );
}

/** `group skills add <name>`: offers a skill (no change when it is offered already). */
export async function addSkill(ctx: CliContext, name: string, opts: { json?: boolean }) {
  const skill = skillName(name);
  const config = await trustedConfig(ctx);
  const now = await fileSkills(ctx);
  const done = now.includes(skill) ? `already offered ${skill}` : `added ${skill}`;
  const next = now.includes(skill) ? now : [...now, skill];
  await write(ctx, config, { skills: next, done, ...opts });
}

/** `group skills remove <name>`: stops offering a skill; a usage error when it is not offered. */
export async function removeSkill(ctx: CliContext, name: string, opts: { json?: boolean }) {
  const skill = skillName(name);
  const config = await trustedConfig(ctx);
  const now = await fileSkills(ctx);
  if (!now.includes(skill)) {
    throw new UsageError(`skill "${skill}" is not in group.skills (${show(now)})`);
  }
  const next = now.filter((s) => s !== skill);
  await write(ctx, config, { skills: next, done: `removed ${skill}`, ...opts });
}

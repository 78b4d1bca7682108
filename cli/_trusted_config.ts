/**
 * This home's configuration as every command that acts on it starts from: loaded from config.json
 * and the environment, and refused when others could have written config.json (its jobs, skills,
 * tasks and brokers would be theirs). Light: config alone.
 *
 * @module
 */
import { checkConfigTrust, loadConfig, type ResolvedConfig } from "../core/config/mod.ts";
import type { CliContext } from "./_context.ts";

/** This home's config, refused when others could have written it. */
export async function trustedConfig(ctx: CliContext): Promise<ResolvedConfig> {
  const config = await loadConfig({ env: ctx.env() });
  await checkConfigTrust(config.file);
  return config;
}

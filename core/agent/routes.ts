/**
 * The models policy.sensitivity routes content to, checked: a route that cannot be reached
 * must stop the agent at start (content meant for it must never go elsewhere), and `doctor`
 * reports it. One check serves both.
 *
 * @module
 */
import type { ResolvedConfig } from "../config/mod.ts";
import { ProviderNotConfiguredError, resolveModel } from "../provider/mod.ts";

/** A sensitivity rule whose `routeTo` model cannot be used, and why. */
export interface UnreachableRoute {
  readonly rule: string;
  readonly routeTo: string;
  readonly error: ProviderNotConfiguredError;
}

/** Every sensitivity rule whose model cannot be reached, in rule order. */
export function unreachableRoutes(
  config: Pick<ResolvedConfig, "policy" | "providers" | "model" | "memory">,
): UnreachableRoute[] {
  const out: UnreachableRoute[] = [];
  for (const rule of config.policy.sensitivity) {
    if (rule.routeTo === undefined) continue;
    try {
      resolveModel(config, rule.routeTo);
    } catch (error) {
      if (!(error instanceof ProviderNotConfiguredError)) throw error;
      out.push({ rule: rule.name, routeTo: rule.routeTo, error });
    }
  }
  return out;
}

import { resolveConfig } from "../../core/config/mod.ts";
import type { PolicySettings } from "../../core/policy/mod.ts";

/** The policy of an agent with nothing configured: config's defaults, the only ones there are. */
export const DEFAULT_POLICY: PolicySettings = resolveConfig({ home: "/nonexistent", env: {} })
  .policy;

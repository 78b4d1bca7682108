/**
 * What the API's endpoints work on: the running gateway (core/gateway: its agent runtime with the
 * door, timeline, sessions, memory and approvals; its membership, tasks and orchestrator) and the
 * config it was started with. The endpoints call the same core functions the CLI commands call.
 *
 * @module
 */
import type { ResolvedConfig } from "../../core/config/mod.ts";
import type { Gateway } from "../../core/gateway/mod.ts";

/** The running parts behind the API. */
export interface ApiParts {
  readonly gateway: Gateway;
  readonly config: ResolvedConfig;
}

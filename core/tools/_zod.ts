/**
 * zod, loaded when a tool's arguments are first checked: the tools offered to the model carry
 * JSON Schemas generated ahead (`_tool_parameters.json`), so a turn that calls no tool, and every
 * command that only lists tools, never loads it.
 *
 * @module
 */
import type { z } from "zod";

/** zod's namespace (`z`). */
export type Zod = typeof z;

let loading: Promise<Zod> | undefined;
let loaded: Zod | undefined;

/** Loads zod (once). */
export function loadZod(): Promise<Zod> {
  return loading ??= import("zod").then((module) => loaded = module.z);
}

/** zod, if it is loaded. */
export function loadedZod(): Zod | undefined {
  return loaded;
}

/** A ToolContext for tests. */
import type { ToolContext } from "../../../../core/tools/mod.ts";

/** Makes a context for a tool call in session `sessionKey` (default `local:test`). */
export function testContext(
  options: { signal?: AbortSignal; sessionKey?: string } = {},
): ToolContext {
  return {
    sessionKey: options.sessionKey ?? "local:test",
    workspace: "/fake/workspace",
    signal: options.signal ?? new AbortController().signal,
  };
}

/** Origins of turns and an allow-all guard, for tests of the loop's own work. */
import type { ToolRunner, TurnGuard } from "../../core/agent/mod.ts";
import { type TurnOrigin, TurnTaint } from "../../core/policy/mod.ts";

/** The owner at the terminal, as the door decides it. */
export const OWNER: TurnOrigin = Object.freeze({
  channel: "cli",
  sender: "owner",
  messageType: "internal",
  taint: "trusted",
  ownerReachable: true,
});

/** An origin: the owner at the terminal, with `changes`. */
export function origin(changes: Partial<TurnOrigin> = {}): TurnOrigin {
  return { ...OWNER, ...changes };
}

/**
 * A guard that lets every call through and records nothing, for tests of what the loop itself
 * does. It still tracks the turn's taint (what the turn leaves in sessions and memory carries it).
 */
export const openGuard: TurnGuard = {
  begin(start, inner) {
    const taint = TurnTaint.start({
      messageType: start.origin.messageType,
      declared: start.origin.taint,
    });
    const tools: ToolRunner = {
      definitions: () => inner.tools.definitions(),
      tierOf: (name) => inner.tools.tierOf(name),
      approvalOf: (name) => inner.tools.approvalOf(name),
      outputOf: (name) => inner.tools.outputOf(name),
      run: async (name, args, ctx) => {
        const result = await inner.tools.run(name, args, { ...ctx, taint: taint.value });
        taint.afterToolResult(name, result, {
          output: inner.tools.outputOf(name),
          workspaceFilesUntrusted: false,
        });
        return result;
      },
    };
    return { taint, refusal: undefined, provider: inner.provider, tools };
  },
  redact: (text) => text,
};

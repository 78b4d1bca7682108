/**
 * Subagents: `sessions_spawn` starts a child turn in a session of its own
 * (`<parent>:subagent:<n>`), within limits on depth, children per session and runs at once, and
 * hands the child's answer back to the parent as the tool's result.
 *
 * @module
 */
import type { Taint } from "../policy/mod.ts";
import type { ParentTurn } from "./door.ts";

/** The limits, from `tools.subagents`. */
export interface SubagentLimits {
  readonly maxSpawnDepth: number;
  readonly maxChildren: number;
  readonly maxConcurrent: number;
  readonly timeoutMs: number;
}

/** What a spawn asks for. */
export interface SpawnRequest {
  readonly task: string;
  readonly label?: string | undefined;
  readonly model?: string | undefined;
  readonly timeoutMs?: number | undefined;
  /** The turn that spawns it: the child acts for the same origin, with at most its trust. */
  readonly parent: ParentTurn;
}

/** Runs one child turn and resolves with its final answer and the child turn's taint. */
export type ChildRunner = (child: {
  sessionKey: string;
  task: string;
  model?: string | undefined;
  parent: ParentTurn;
  signal: AbortSignal;
}) => Promise<{ content: string; taint: Taint }>;

/** A spawn the limits do not allow; the message says which limit and its config key. */
export class SubagentLimitError extends Error {
  override name = "SubagentLimitError";
}

const MARK = ":subagent:";
const HANDOFF_CHARS = 4000;

/** How deep a session is: 0 for a top-level session, 1 for its subagents, and so on. */
export function subagentDepth(sessionKey: string): number {
  return sessionKey.split(MARK).length - 1;
}

/** Starts subagents within limits. */
export class Subagents {
  readonly #limits: SubagentLimits;
  readonly #run: ChildRunner;
  readonly #children = new Map<string, number>();
  #running = 0;

  constructor(limits: SubagentLimits, run: ChildRunner) {
    this.#limits = limits;
    this.#run = run;
  }

  /** Subagents running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs a child for `parentKey`; throws SubagentLimitError when a limit says no. */
  async spawn(
    parentKey: string,
    request: SpawnRequest,
    signal: AbortSignal,
  ): Promise<{ answer: string; taint: Taint }> {
    const limits = this.#limits;
    if (subagentDepth(parentKey) + 1 > limits.maxSpawnDepth) {
      throw new SubagentLimitError(
        limits.maxSpawnDepth === 0
          ? "Subagents are off (tools.subagents.maxSpawnDepth is 0)"
          : `A subagent at depth ${subagentDepth(parentKey)} cannot start another: the limit is ` +
            `${limits.maxSpawnDepth} (tools.subagents.maxSpawnDepth)`,
      );
    }
    const started = this.#children.get(parentKey) ?? 0;
    if (started >= limits.maxChildren) {
      throw new SubagentLimitError(
        `This session already started ${started} subagents, the limit (tools.subagents.maxChildren)`,
      );
    }
    if (this.#running >= limits.maxConcurrent) {
      throw new SubagentLimitError(
        `${this.#running} subagents are running, the limit (tools.subagents.maxConcurrent); ` +
          "try again when one has finished",
      );
    }
    this.#children.set(parentKey, started + 1);
    this.#running++;
    const timeout = Math.min(request.timeoutMs ?? limits.timeoutMs, limits.timeoutMs);
    const label = request.label?.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 32);
    try {
      const { content: answer, taint } = await this.#run({
        sessionKey: `${parentKey}${MARK}${started + 1}${label ? `-${label}` : ""}`,
        task: request.task,
        model: request.model,
        parent: request.parent,
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeout)]),
      });
      const handed = answer.length <= HANDOFF_CHARS
        ? answer
        : `${answer.slice(0, HANDOFF_CHARS)}\n[truncated: the subagent's answer shows ` +
          `${HANDOFF_CHARS} of ${answer.length} characters]`;
      return { answer: handed, taint };
    } finally {
      this.#running--;
    }
  }
}

/**
 * Taint tracking for one turn (PROTOCOL.md semantics 10, "Taint fails closed"). A turn starts
 * trusted when the owner sent it and untrusted otherwise; it becomes untrusted when it reads
 * untrusted content (a tool result marked `untrusted`, a workspace file, an untrusted memory
 * chunk), and never goes back. Everything made from a tainted turn (sessions, jobs, files, memory
 * chunks, sub-tasks) is untrusted too: {@link deriveTaint}.
 *
 * Anything that is not exactly `"trusted"` counts as untrusted.
 *
 * @module
 */
import type { MessageType, PolicySettings, Taint } from "./settings.ts";

/**
 * Where a tool's output comes from, as the tool declares it (core/tools `Tool.output`); a tool
 * that declares nothing is from outside, so taint fails closed:
 * - `owner`: text KafClaw writes itself from the owner's own state (a confirmation, the agents of
 *   the config, a server the owner marked trusted); it never taints;
 * - `workspace`: the workspace's files, their names, what commands print; it taints unless
 *   `policy.workspaceFilesUntrusted` is false;
 * - `outside`: everything else (the web, an MCP server, ...); it always taints.
 *
 * Errors count like results: their text quotes what the tool met (a server's stderr, a URL).
 */
export type ToolOutput = "owner" | "workspace" | "outside";

/** Something that carries a taint: a taint, a {@link TurnTaint}, a memory chunk, a session. */
export type TaintLike = Taint | { readonly taint: Taint } | null | undefined;

function taintOf(value: TaintLike): Taint {
  const taint = typeof value === "object" && value !== null ? value.taint : value;
  return taint === "trusted" ? "trusted" : "untrusted";
}

/**
 * The taint of something made from `parent` (a session, a job, a file, a memory chunk, a
 * sub-task): the parent's, failing closed when it is unknown.
 *
 * @example
 * ```ts
 * import { deriveTaint } from "./taint.ts";
 * deriveTaint("trusted"); // "trusted"
 * deriveTaint(undefined); // "untrusted"
 * ```
 */
export function deriveTaint(parent: TaintLike): Taint {
  return taintOf(parent);
}

/** Where a turn starts. */
export interface TurnStart {
  readonly messageType: MessageType;
  /**
   * The taint the message declares: an envelope's `taint` field, or the taint of the session,
   * job or task it continues. It can only lower trust.
   */
  readonly declared?: Taint;
}

/**
 * The taint of one turn; once untrusted, it stays untrusted.
 *
 * @example
 * ```ts
 * import { TurnTaint } from "./taint.ts";
 * const taint = TurnTaint.start({ messageType: "internal" });
 * taint.afterToolResult("web_fetch", { untrusted: true }, { workspaceFilesUntrusted: true });
 * taint.value; // "untrusted"
 * taint.reason; // "web_fetch returned untrusted content"
 * ```
 */
export class TurnTaint {
  #value: Taint;
  #reason: string | undefined;

  constructor(initial: Taint, reason?: string) {
    this.#value = taintOf(initial);
    if (this.#value === "untrusted") this.#reason = reason ?? "the turn started untrusted";
  }

  /** A turn for a message: trusted for the owner unless it declares otherwise, else untrusted. */
  static start(start: TurnStart): TurnTaint {
    if (start.messageType !== "internal") {
      return new TurnTaint("untrusted", "the message came from someone other than the owner");
    }
    if (start.declared === undefined || start.declared === "trusted") {
      return new TurnTaint("trusted");
    }
    return new TurnTaint("untrusted", "the message continues untrusted work");
  }

  /** `"trusted"` or `"untrusted"`. */
  get value(): Taint {
    return this.#value;
  }

  /** Same as `value`, so a turn is a {@link TaintLike}. */
  get taint(): Taint {
    return this.#value;
  }

  /** Whether the turn is untrusted. */
  get tainted(): boolean {
    return this.#value === "untrusted";
  }

  /** Why the turn first became untrusted; undefined while trusted. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** Taints the turn; the first reason is kept. */
  markUntrusted(reason: string): void {
    if (this.#value === "untrusted") return;
    this.#value = "untrusted";
    this.#reason = reason;
  }

  /**
   * Accounts for a tool's result, error or success: untrusted when the result says so, and
   * otherwise by where the tool's output comes from ({@link ToolOutput}; undeclared: outside).
   */
  afterToolResult(
    tool: string,
    result: { readonly untrusted?: boolean },
    from: Pick<PolicySettings, "workspaceFilesUntrusted"> & {
      readonly output?: ToolOutput | undefined;
    },
  ): void {
    if (result.untrusted === true) {
      this.markUntrusted(`${tool} returned untrusted content`);
    } else if (from.output === "workspace") {
      if (from.workspaceFilesUntrusted) this.markUntrusted(`${tool} showed workspace content`);
    } else if (from.output !== "owner") {
      this.markUntrusted(`${tool} returned content from outside the owner's control`);
    }
  }

  /** Accounts for memory read into the turn (by the context builder or a tool). */
  afterMemoryRead(chunk: TaintLike): void {
    if (taintOf(chunk) === "untrusted") this.markUntrusted("the turn read an untrusted memory");
  }
}

/**
 * The one door into a turn. Every message that makes the agent think comes in here: the terminal
 * (`kafclaw agent`), the gateway's API, the scheduler's jobs, people on chat channels, a `message`
 * one session sends another, a subagent's task, and (core/group) another agent's task. {@link Door.enter} decides,
 * once, who the turn acts for ({@link TurnOrigin}: channel, sender, internal or external, the
 * taint it brings, whether an owner can be asked) and everything after it reads that decision:
 * the guard, the tools, the work the turn starts in turn.
 *
 * - The owner's `approve <id>` / `deny <id>` (at the terminal, through the gateway's API with the
 *   owner's token, or on a channel from an identity in `policy.owners`) answers a pending approval
 *   and never reaches the LLM; the same words from anyone else are refused, so a sender can never
 *   approve what their own message asked for.
 * - A person or agent not on a non-empty `policy.allowedSenders` (`chat:42`, `group:g1:agent-7`)
 *   is refused before any turn starts.
 * - Work a turn starts for itself keeps the turn's origin and its taint at that moment: an
 *   untrusted turn cannot launder its text through another session or a subagent.
 *
 * @module
 */
import {
  classifyMessage,
  identity,
  isSenderAllowed,
  type PolicySettings,
  type Taint,
  type TurnOrigin,
} from "../policy/mod.ts";
import type { JobRunner } from "../scheduler/mod.ts";
import type { ToolCall } from "../provider/mod.ts";
import type { ToolContext, ToolResult } from "../tools/mod.ts";
import type { Approvals } from "./approvals.ts";
import type { TurnScope } from "./memory_lane.ts";
import type { SideEffectFence, TurnRequest, TurnResult } from "./turn.ts";

/** What a turn started by a tool comes from: the turn that called the tool, as it is now. */
export interface ParentTurn {
  readonly sessionKey: string;
  readonly origin: TurnOrigin;
  /** The calling turn's taint at the call. */
  readonly taint: Taint;
  readonly scope?: TurnScope | undefined;
}

/**
 * The turn a tool call belongs to, from the call's context (the guard puts the turn's origin and
 * taint there). A context without them fails closed: an untrusted stranger nobody can ask about.
 */
export function parentTurn(ctx: ToolContext): ParentTurn {
  return {
    sessionKey: ctx.sessionKey,
    origin: ctx.origin ?? {
      channel: "unknown",
      sender: "unknown",
      messageType: "external",
      taint: "untrusted",
      ownerReachable: false,
    },
    taint: ctx.origin && ctx.taint === "trusted" ? "trusted" : "untrusted",
    scope: ctx.scope,
  };
}

/** Where a message comes from, as whatever hands it in knows it. */
export type MessageSource =
  /** The owner at the terminal (`kafclaw agent`). */
  | { readonly kind: "terminal" }
  /** The owner through the gateway's API or dashboard (the request carried the owner's token). */
  | { readonly kind: "api" }
  /** One of the owner's scheduled jobs. */
  | { readonly kind: "scheduler"; readonly job: string }
  /** A person on a chat channel: the owner when `channel:sender` is in `policy.owners`. */
  | { readonly kind: "channel"; readonly channel: string; readonly sender: string }
  /** A `message` from another session of this agent, or a subagent's task. */
  | { readonly kind: "message" | "subagent"; readonly parent: ParentTurn }
  /** Another agent's task, as core/group hands it in after verifying its record. */
  | {
    readonly kind: "task";
    /** The group it came through. */
    readonly group: string;
    /** The agent that asked. */
    readonly from: string;
    /** Whether that agent's membership certificate says `vouched` (its tasks count as the owner's). */
    readonly vouched: boolean;
    /** The envelope's `taint`; absent means untrusted unless the sender is vouched (PROTOCOL.md). */
    readonly taint: Taint | undefined;
    /** The task's zones: where its memories go and what it may search. */
    readonly scope: TurnScope;
  };

/** A message at the door. */
export interface Message {
  readonly source: MessageSource;
  readonly text: string;
  /** The session it continues; default by source (`cli:default`, `cron:<job>`, `<channel>:<sender>`). */
  readonly sessionKey?: string | undefined;
  /** A `provider/model` for this turn only (a subagent's). */
  readonly model?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onText?: ((delta: string) => void) | undefined;
  readonly onToolCall?: ((call: ToolCall) => void) | undefined;
  readonly onToolResult?: ((call: ToolCall, result: ToolResult) => void) | undefined;
  /** What each side effect of the turn must hold first (a group task's grant). */
  readonly fence?: SideEffectFence | undefined;
  /** The most LLM tokens the turn may spend (a group task's budget); none: no such limit. */
  readonly tokenBudget?: number | undefined;
}

/** What became of a message. */
export type DoorResult =
  | { readonly kind: "approval"; readonly content: string }
  | { readonly kind: "refused"; readonly content: string }
  | { readonly kind: "turn"; readonly content: string; readonly turn: TurnResult };

/** What the door is built from. */
export interface DoorDeps {
  readonly loop: { runTurn(request: TurnRequest): Promise<TurnResult> };
  readonly approvals: Pick<Approvals, "answer">;
  readonly settings: Pick<PolicySettings, "owners" | "allowedSenders">;
  /** Whether the owner can be asked in this process beyond its channels (a terminal is attached). */
  readonly ownerAtTerminal: boolean;
}

const COMMAND = /^\s*\/?(approve|deny)\s+([A-Za-z0-9_-]{1,64})\s*$/i;

/** `approve <id>` / `deny <id>` (a leading `/` allowed, any case), or undefined. */
export function parseApprovalCommand(
  text: string,
): { readonly approved: boolean; readonly id: string } | undefined {
  const match = COMMAND.exec(text);
  if (!match) return undefined;
  return { approved: match[1]!.toLowerCase() === "approve", id: match[2]! };
}

/** The only way a message becomes a turn; see the module documentation. */
export class Door {
  readonly #deps: DoorDeps;

  constructor(deps: DoorDeps) {
    this.#deps = deps;
  }

  /** Who a turn from `source` acts for. */
  origin(source: MessageSource): TurnOrigin {
    const { owners } = this.#deps.settings;
    const reachable = this.#deps.ownerAtTerminal || owners.length > 0;
    switch (source.kind) {
      case "terminal":
        return owner("cli", true);
      case "api":
        // The API's caller is answering: approvals can be answered through the API.
        return owner("api", true);
      case "scheduler":
        return owner("scheduler", reachable);
      case "channel": {
        // By the owners list alone: a channel is never internal by its name.
        const internal = owners.includes(identity(source.channel, source.sender));
        return {
          channel: source.channel,
          sender: source.sender,
          messageType: internal ? "internal" : "external",
          taint: internal ? "trusted" : "untrusted",
          ownerReachable: reachable,
        };
      }
      case "task": {
        const messageType = classifyMessage(
          { channel: `group:${source.group}`, sender: source.from, vouched: source.vouched },
          this.#deps.settings,
        );
        const declared = source.taint ?? (source.vouched ? "trusted" : "untrusted");
        return {
          channel: `group:${source.group}`,
          sender: source.from,
          messageType,
          taint: messageType === "internal" && declared === "trusted" ? "trusted" : "untrusted",
          ownerReachable: reachable,
        };
      }
      default: {
        const { origin, taint } = source.parent;
        const worst = origin.taint === "trusted" && taint === "trusted" ? "trusted" : "untrusted";
        return { ...origin, taint: worst, via: source.kind };
      }
    }
  }

  /** Handles one message: an owner's answer to an approval, a refusal, or a turn. */
  async enter(message: Message): Promise<DoorResult> {
    const { source } = message;
    const origin = this.origin(source);
    if (source.kind === "terminal" || source.kind === "api" || source.kind === "channel") {
      const command = parseApprovalCommand(message.text);
      if (command && origin.messageType === "internal") {
        const who = source.kind === "channel"
          ? identity(origin.channel, origin.sender)
          : origin.channel;
        return {
          kind: "approval",
          content: this.#deps.approvals.answer(command.id, command.approved, who),
        };
      }
      if (command) {
        return { kind: "refused", content: "Only the owner can answer approval requests." };
      }
    }
    const fromOutside = source.kind === "channel" || source.kind === "task";
    if (fromOutside && !isSenderAllowed(origin, this.#deps.settings)) {
      return { kind: "refused", content: "You are not on this agent's list of allowed senders." };
    }
    const turn = await this.#deps.loop.runTurn({
      sessionKey: message.sessionKey ?? defaultSession(source),
      text: message.text,
      origin,
      model: message.model,
      scope: scopeOf(source),
      signal: message.signal,
      onText: message.onText,
      onToolCall: message.onToolCall,
      onToolResult: message.onToolResult,
      fence: message.fence,
      tokenBudget: message.tokenBudget,
    });
    return { kind: "turn", content: turn.content, turn };
  }
}

/** The owner's own origin on `channel`. */
function owner(channel: string, ownerReachable: boolean): TurnOrigin {
  return { channel, sender: "owner", messageType: "internal", taint: "trusted", ownerReachable };
}

/** The zones of a turn: a task's own, work a turn started keeps the turn's, the rest public. */
function scopeOf(source: MessageSource): TurnScope | undefined {
  switch (source.kind) {
    case "task":
      return source.scope;
    case "message":
    case "subagent":
      return source.parent.scope;
    default:
      return undefined;
  }
}

function defaultSession(source: MessageSource): string {
  switch (source.kind) {
    case "task":
      return `group:${source.group}:${source.from}`;
    case "terminal":
      return "cli:default";
    case "api":
      return "api:default";
    case "scheduler":
      return `cron:${source.job}`;
    case "channel":
      return identity(source.channel, source.sender);
    default:
      return `${source.parent.sessionKey}:${source.kind}`;
  }
}

/**
 * The scheduler's runner: a job's message goes through the door as the owner's own, in the job's
 * session `cron:<name>`. The answer is the run's result; a turn that ends without one (the
 * tool-iteration limit, a quota or budget refusal) fails the run with the loop's explanation, and
 * a cancelled turn rejects so that the run counts as cancelled.
 */
export function jobRunner(door: Pick<Door, "enter">): JobRunner {
  return async (job, { signal }) => {
    const result = await door.enter({
      source: { kind: "scheduler", job: job.name },
      text: job.message,
      signal,
    });
    if (result.kind !== "turn") throw new Error(result.content);
    if (result.turn.stopped !== "answer") {
      throw new Error(`${result.turn.stopped}: ${result.content}`);
    }
    return result.content;
  };
}

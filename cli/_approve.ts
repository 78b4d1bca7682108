/**
 * Approvals on the terminal, for `kafclaw agent`: the owner sees the call and answers y or n.
 * Without a terminal there is no asker (the request then waits for `kafclaw approvals` or an
 * owner channel, or is denied when there is none). One question at a time.
 *
 * With the line editor (cli/_line_editor.ts) the question is a read of its own that ends with
 * the request: answered here, answered from another terminal, timed out or cancelled with the
 * turn, each said on a line of its own, and no read is left behind to take the next line.
 *
 * @module
 */
import type { AskOwner } from "../core/agent/mod.ts";
import { type Approval, approvalArguments } from "../core/timeline/mod.ts";
import type { Io } from "./_io.ts";
import type { LineEditor } from "./_line_editor.ts";
import type { Prompter } from "./_prompt.ts";

/** How much of a call's arguments the terminal shows before it says where to read the rest. */
const TERMINAL_ARGUMENT_CHARS = 8000;

/** The lines that show a request to the owner; `agent` names the agent asking, when several run. */
function question(approval: Approval, command: string, agent?: string): string {
  const of = agent === undefined ? "" : ` of agent ${agent}`;
  return `\nApproval needed [${approval.approvalId}]${of}: ${approval.tool} (tier ${approval.tier})\n` +
    `  ${approvalArguments(approval, TERMINAL_ARGUMENT_CHARS, { command })}\n` +
    `  (or from another terminal: ${command} approvals approve|deny ${approval.approvalId})`;
}

/** Runs one question after the other: askers that share one ask in turn on one terminal. */
export type QuestionTurns = <T>(ask: () => Promise<T>) => Promise<T>;

/** A {@link QuestionTurns} of its own. */
export function oneAtATime(): QuestionTurns {
  let queue: Promise<unknown> = Promise.resolve();
  return (ask) => {
    const answer = queue.then(ask);
    queue = answer.catch(() => {});
    return answer;
  };
}

/**
 * For a process with no terminal to ask on (a gateway in the background): each request is said on
 * its output, once, with the commands that answer it, and waits (`wait`) for the answer given
 * elsewhere: the API, the dashboard, or `kafclaw approvals` in another shell. Before, such a
 * request waited in silence until it timed out unless someone thought to list the approvals.
 */
export function noticeAsker(options: {
  readonly say: (line: string) => void;
  readonly command: string;
  readonly agent?: string | undefined;
  readonly wait: AskOwner;
}): AskOwner {
  const { say, command, agent } = options;
  return (approval, signal) => {
    const of = agent === undefined ? "" : ` of agent ${agent}`;
    const id = approval.approvalId;
    say(
      `Approval needed [${id}]${of}: ${approval.tool} (tier ${approval.tier}) for ` +
        `${approval.requester}, until ${approval.expiresAt.toISOString()}; answer with ` +
        `${command} approvals approve|deny ${id} (${command} approvals show ${id} has the call)`,
    );
    return options.wait(approval, signal);
  };
}

/**
 * The terminal asker, or undefined when no terminal is attached; `command` starts the commands it
 * suggests (commandName).
 */
export function terminalAsker(
  options: {
    io: Io;
    prompter: () => Prompter;
    interactive: boolean;
    command: string;
    /** The agent whose requests these are, named in each question (several agents run). */
    agent?: string | undefined;
    /** Shared by the askers of the agents of one process (default: this asker's own). */
    turns?: QuestionTurns;
  },
): AskOwner | undefined {
  if (!options.interactive) return undefined;
  const inTurn = options.turns ?? oneAtATime();
  return (approval, signal) =>
    inTurn(async () => {
      if (signal.aborted) return undefined;
      options.io.err(question(approval, options.command, options.agent));
      return await options.prompter().confirm("Allow this call?");
    }).catch(() => false);
}

/** What {@link editorAsker} needs. */
export interface EditorAskerOptions {
  readonly io: Io;
  readonly editor: LineEditor;
  readonly command: string;
  /** The request as the timeline holds it now (how it ended when answered elsewhere). */
  readonly lookup: (approvalId: string) => Approval | undefined;
  /** Ctrl-C at the question: cancels the turn that asked. */
  readonly cancelTurn: () => void;
  /** Called before the question shows and after it is answered (the busy line steps aside). */
  readonly pause?: (paused: boolean) => void;
}

/** How a request that ended without an answer here ended, for the owner's line about it. */
function endedElsewhere(approval: Approval | undefined): string {
  if (approval?.status === "approved") return "allowed (answered from another terminal)";
  if (approval?.status === "denied") return "denied (answered from another terminal)";
  if (approval?.status === "timeout") {
    return `timed out (${approval.reason ?? "no answer in time"})`;
  }
  return "cancelled with the turn";
}

/** The asker of `kafclaw agent` at a terminal: the question is a read of the line editor. */
export function editorAsker(options: EditorAskerOptions): AskOwner {
  const { io, editor } = options;
  const inTurn = oneAtATime();
  return (approval, signal) =>
    inTurn(async () => {
      if (signal.aborted) return undefined;
      const said = (outcome: string) => io.err(`Approval ${approval.approvalId}: ${outcome}`);
      options.pause?.(true);
      try {
        io.err(question(approval, options.command));
        const read = await editor.read("Allow this call? [y/N]: ", {
          remember: false,
          typeAhead: false,
          signal,
        });
        switch (read.kind) {
          case "line": {
            const allowed = /^\s*(y|yes)\s*$/i.test(read.text);
            said(allowed ? "allowed" : "denied");
            return allowed;
          }
          case "aborted":
            said(endedElsewhere(options.lookup(approval.approvalId)));
            return undefined;
          case "interrupt":
            said("cancelled (Ctrl-C), and the turn with it");
            options.cancelTurn();
            return undefined;
          case "end":
            said("denied (end of input)");
            return false;
        }
      } finally {
        options.pause?.(false);
      }
    }).catch(() => false);
}

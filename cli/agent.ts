/**
 * `kafclaw agent`: one message with `-m` (`-m -` reads it from stdin), or an interactive session
 * (cli/_repl.ts) on the line editor at a terminal (cli/_line_editor.ts) or on plain lines from a
 * pipe. Answers stream to stdout; Ctrl-C cancels the request in flight and leaves the session
 * consistent. SIGTERM interrupts the request in flight, marks it so in the session and leaves,
 * cleaning up as Ctrl-D does (exit 143; a cancelled `-m` exits 130).
 * `approve <id>` and `deny <id>` answer pending approvals instead of going to the agent.
 *
 * @module
 */
import { Command } from "commander";
import { agentScope, loadConfig } from "../core/config/mod.ts";
import type { AgentRuntime } from "../core/agent/mod.ts";
import type { WaitEvent } from "../core/provider/mod.ts";
import { editorAsker } from "./_approve.ts";
import type { CliContext } from "./_context.ts";
import { Cancelled, UsageError } from "./_errors.ts";
import type { ReadLine } from "./_repl.ts";
import { BusyLine } from "./_repl_busy.ts";
import { runTurn } from "./_repl_turn.ts";
import { cliRuntime } from "./_runtime.ts";
import { StopSignals } from "./_stop.ts";
import { unlessStopped } from "./_starting.ts";

/** How long an agent stopped while it starts may take to close what it started. */
const START_GRACE_MS = 2_000;

/**
 * The line that says what a call to the LLM waits for, on stderr: `… waiting for openai/gpt-4o at
 * https://… — attempt 2 of 3 (no answer within 120 s)` at a terminal, the same after `kafclaw: `
 * where stderr is a file or a pipe, so that logs read like every other line of the CLI.
 */
export function waitLine(event: WaitEvent, terminal: boolean): string {
  const after = event.after ? ` (${event.after})` : "";
  const text =
    `waiting for ${event.ref} at ${event.url} — attempt ${event.attempt} of ${event.attempts}${after}`;
  return terminal ? `… ${text}` : `kafclaw: ${text}`;
}

/** All of stdin, for `-m -`: the message without its final line end. */
async function stdinMessage(): Promise<string> {
  const text = await new Response(Deno.stdin.readable).text();
  return text.replace(/\r?\n$/, "");
}

/** `kafclaw agent`: talk to the agent. */
export function agentCommand(ctx: CliContext): Command {
  return new Command("agent")
    .description("talk to the agent: one message with -m, or an interactive session")
    .option("-m, --message <text>", "send one message and print the answer (- reads it from stdin)")
    .option("-s, --session <key>", "the session to continue", "cli:default")
    .option(
      "-a, --agent <id>",
      "run as this agent of agents.list (its model, home, workspace and policy)",
    )
    .action(async (opts: { message?: string; session: string; agent?: string }) => {
      const loaded = await loadConfig({ env: ctx.env() });
      // The agent as the gateway runs it: its own sessions, timeline and workspace (an unknown
      // id is the runtime's error, which names the known ones).
      const config = (opts.agent === undefined ? undefined : agentScope(loaded, opts.agent)) ??
        loaded;
      // From here on, SIGINT and SIGTERM end the command through its cleanup.
      using stops = new StopSignals();
      const terminal = Deno.stderr.isTerminal();
      // The busy line only where a person watches both streams.
      const busy = new BusyLine(terminal && Deno.stdout.isTerminal());
      const io = busy.io(ctx.io);
      // Read before anything starts: a signal meanwhile ends the command at once.
      const message = opts.message === "-"
        ? await unlessStopped(stdinMessage(), stops.stopped, {
          doing: "reading the message from stdin",
          close: () => Promise.resolve(),
          graceMs: 0,
        })
        : opts.message;
      // The line editor where a person types and reads (stdin and stderr both a terminal, and
      // stdin not the message): the session's lines, and with -m too the approval questions.
      const typing = opts.message !== "-" && Deno.stdin.isTerminal() && terminal;
      let runtime: AgentRuntime | undefined;
      // The configured keys, known once the runtime (which loads core/agent) is made.
      let secrets: readonly string[] = [];
      // The editor and the session's loop are imported where they run: `-m` from a pipe needs neither.
      const editor = typing
        ? await (await import("./_line_editor.ts")).LineEditor.open({
          history: (await import("./_line_history.ts")).historyPath(config.home),
          warn: (m) => io.err(`kafclaw: ${m}`),
          onInterrupt: () => stops.cancelTurn(),
          secret: (line) => secrets.some((s) => line.includes(s)),
        })
        : undefined;
      try {
        let held: string | undefined;
        const starting = cliRuntime({ ...ctx, io }, config, {
          agent: opts.agent,
          onWait: (event) => io.err(waitLine(event, terminal)),
          ...(editor
            ? {
              // The editor reads stdin: a second reader (the prompter) would find it locked.
              confirm: async (question: string) => {
                const read = await editor.read(`${question} [y/N]: `, {
                  remember: false,
                  typeAhead: false,
                });
                return read.kind === "line" && /^\s*(y|yes)\s*$/i.test(read.text);
              },
              askOwner: editorAsker({
                io,
                editor,
                command: config.command,
                lookup: (id) => runtime?.timeline.approvals.get(id),
                cancelTurn: () => stops.cancelTurn(),
                pause: (paused) => {
                  if (paused) {
                    held = busy.label;
                    busy.stop();
                  } else if (held !== undefined) busy.show(held);
                },
              }),
            }
            : {}),
        });
        // A start that waits (an MCP server, a question at the terminal) ends on a signal.
        runtime = await unlessStopped(starting, stops.stopped, {
          doing: "starting the agent",
          close: (made) => made.close(),
          graceMs: START_GRACE_MS,
        });
        secrets = (await import("../core/agent/mod.ts")).configuredSecrets(config);
        stops.throwIfStopped();
        const turn = { io, runtime, stops, busy };
        if (message !== undefined) {
          if (!message.trim()) throw new UsageError("-m needs a message");
          const end = await runTurn(message, { ...turn, session: opts.session });
          if (end === "cancelled") throw new Cancelled();
          stops.throwIfStopped();
          return;
        }
        const { repl } = await import("./_repl.ts");
        io.err(
          `kafclaw agent — session ${opts.session}. Ctrl-C cancels an answer; ` +
            `Ctrl-D leaves; /help lists the commands.`,
        );
        const read: ReadLine = editor
          ? (prompt, continuation) => editor.read(prompt, { continuation })
          : async (prompt) => {
            const line = await ctx.prompter().ask(prompt.replace(/:\s*$/, ""));
            return line === undefined ? { kind: "end" } : { kind: "line", text: line };
          };
        await repl({ ...turn, session: opts.session, read, terminal: editor !== undefined });
      } finally {
        editor?.close();
        busy.stop();
        await runtime?.close();
      }
    });
}

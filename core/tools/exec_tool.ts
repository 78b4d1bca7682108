/**
 * exec (tier 2): runs a shell command in the sandbox, confined by the kernel to the workspace with
 * no network. Safety is decided by where the command runs, never by reading the command text.
 * Without bubblewrap, exec is off unless the owner turned on the unsandboxed mode, and then every
 * command needs the owner's approval: the tool says so ({@link Tool.approval}) and the policy asks.
 *
 * @module
 */
import { DEFAULT_COMMAND } from "../config/mod.ts";
import { defineTool, toolArgs, toolError } from "./define.ts";
import type { ExecResult, Sandbox } from "./sandbox/mod.ts";
import type { Tool, ToolResult } from "./types.ts";

/** exec settings: `tools.exec` of the config. */
export interface ExecToolOptions {
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** Run commands even without bubblewrap, each after the owner approves. */
  readonly unsandboxed: boolean;
  /** The name the owner's suggested commands start with (commandName); `kafclaw` by default. */
  readonly command?: string;
}

/**
 * What the model reads when exec is off; it tells the owner a command, started by `command`
 * (commandName).
 */
export function execOffMessage(command: string = DEFAULT_COMMAND): string {
  return "exec is off: bubblewrap (bwrap) is not available here, so commands cannot be confined " +
    "to the workspace. The owner can install bubblewrap (for example `apt-get install " +
    `bubblewrap\`; \`${command} doctor\` explains what is missing), or set ` +
    "tools.exec.unsandboxed to true, after which every command needs the owner's approval. The " +
    "file tools still work";
}

/** Why an unsandboxed command needs the owner's approval. */
export const UNSANDBOXED_APPROVAL = "bubblewrap is missing, so this command would run " +
  "unsandboxed, with the agent's own access to files and network";

/** Formats a command's outcome: stdout, then stderr, then how it ended. */
export function formatExecResult(result: ExecResult, options: ExecToolOptions): ToolResult {
  const parts: string[] = [];
  if (result.stdout !== "") parts.push(result.stdout.replace(/\n$/, ""));
  if (result.stderr !== "") parts.push(`STDERR:\n${result.stderr.replace(/\n$/, "")}`);
  if (result.truncated) parts.push(`[output cut at ${options.maxOutputBytes} bytes]`);
  if (result.setAside !== undefined && result.setAside.length > 0) {
    parts.push(
      "Set aside after the command, because they would run code when the owner uses the " +
        `workspace (tools may not create .git, .envrc and the like): ${
          result.setAside.map((path) => JSON.stringify(path)).join(", ")
        }`,
    );
  }
  if (result.timedOut) {
    parts.push(`Timed out after ${options.timeoutMs} ms; the command was stopped`);
  } else {
    parts.push(
      result.exitCode === null ? "Ended by a signal" : `Exit code: ${result.exitCode}`,
    );
  }
  const content = parts.join("\n");
  return result.exitCode === 0 && !result.timedOut ? { content } : { content, isError: true };
}

const EXEC_ARGS = toolArgs("exec", (z) =>
  z.strictObject({
    command: z.string().min(1).describe("The shell command"),
    working_dir: z.string().min(1).optional().describe(
      "Folder to run in, relative to the workspace (default: the workspace)",
    ),
  }));

/** The exec tool over one sandbox. */
export function execTool(sandbox: Sandbox, options: ExecToolOptions): Tool {
  const unconfined = sandbox.kind === "worker";
  return defineTool({
    description: "Run a shell command (sh -c) in the workspace. It has no network access; use " +
      "web_fetch for the web. Returns stdout, stderr and the exit code.",
    tier: 2,
    output: "workspace",
    approval: unconfined && options.unsandboxed ? UNSANDBOXED_APPROVAL : undefined,
    args: EXEC_ARGS,
    async run({ command, working_dir }, ctx) {
      if (unconfined && !options.unsandboxed) return toolError(execOffMessage(options.command));
      const result = await sandbox.exec(command, {
        ...(working_dir === undefined ? {} : { cwd: working_dir }),
        timeoutMs: options.timeoutMs,
        maxOutputBytes: options.maxOutputBytes,
        signal: ctx.signal,
      });
      return formatExecResult(result, options);
    },
  });
}

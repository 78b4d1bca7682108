/**
 * What every subcommand receives from main.ts: where to write, the environment, and a way to ask.
 *
 * @module
 */
import type { Io } from "./_io.ts";
import type { Prompter } from "./_prompt.ts";

/** What every subcommand receives. */
export interface CliContext {
  readonly io: Io;
  /** Reads the environment to take configuration from (the process's own in main.ts); lazy, so subcommands without env permission never call it. */
  readonly env: () => Readonly<Record<string, string>>;
  /** Asks the user questions (onboarding, approvals); made on first use. */
  readonly prompter: () => Prompter;
}

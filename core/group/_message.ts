/**
 * What an error says, in one line of the group's messages (a thrown string as it is).
 *
 * @module
 */

/** The error's message, or the thrown value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

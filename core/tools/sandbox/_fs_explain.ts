/**
 * How the file helper words an error it did not expect. Serialised into the helper's source with
 * it (see _fs_helper.ts), so it refers to nothing outside itself.
 *
 * @module
 */

/**
 * A code and a reason for an unexpected error of a file operation, naming no host path.
 *
 * @example
 * ```ts
 * import { explainFsError } from "./_fs_explain.ts";
 * explainFsError(new Deno.errors.NotFound("x")).code; // "not_found"
 * ```
 */
export function explainFsError(error: unknown): { code: string; reason: string } {
  if (error instanceof Deno.errors.NotFound) {
    return { code: "not_found", reason: "no such file or folder in the workspace" };
  }
  if (error instanceof Deno.errors.NotCapable) {
    return { code: "outside", reason: "the path leads outside the workspace" };
  }
  const text = error instanceof Error ? error.message : String(error);
  if (/read-only file system|EROFS/i.test(text)) {
    return { code: "protected", reason: "it is on a read-only file system" };
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return { code: "protected", reason: "permission denied" };
  }
  if (/file too large|EFBIG/i.test(text)) return { code: "too_large", reason: "file too large" };
  if (/not a directory|ENOTDIR/i.test(text)) {
    return { code: "wrong_kind", reason: "a part of the path is not a folder" };
  }
  return { code: "failed", reason: text.replace(/: [a-z]+ '[^']*'$/i, "") };
}

/**
 * Workspace paths as tools give them, resolved by text alone. The real-path check (links) happens
 * where the files are: inside the sandbox's file helper.
 *
 * @module
 */

/** A workspace path split into its parts (`[]` is the root), or why it is refused. */
export type WorkspacePath =
  | { readonly ok: true; readonly parts: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Splits a workspace path: `/` and `.` parts are dropped, `..` removes the previous part, and a
 * `..` above the root is refused. A leading `/` means the workspace root. Nothing is decoded:
 * `%2e%2e` is a file name.
 *
 * This function is also serialised into the file helper, so it refers to nothing outside itself.
 *
 * @example
 * ```ts
 * import { splitWorkspacePath } from "./paths.ts";
 * splitWorkspacePath("/a/./b/../c"); // { ok: true, parts: ["a", "c"] }
 * splitWorkspacePath("../x"); // { ok: false, reason: "the path leaves the workspace" }
 * ```
 */
export function splitWorkspacePath(path: string): WorkspacePath {
  if (path.includes("\0")) return { ok: false, reason: "the path contains a NUL character" };
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return { ok: false, reason: "the path leaves the workspace" };
      parts.pop();
      continue;
    }
    parts.push(part);
  }
  return { ok: true, parts };
}

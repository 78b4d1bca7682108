/**
 * The names tools may never create or change, at any depth of the workspace: the files that run
 * code when the owner later uses the workspace with ordinary tools (git, a shell prompt that
 * shows git status, direnv, an editor opening the folder). A command of the agent's could plant
 * one now and have it run as the owner later, outside every sandbox.
 *
 * The line drawn: what runs *implicitly* when the owner looks at or enters the folder is
 * protected; what runs only when the owner runs it on purpose (a Makefile, package.json
 * scripts, a test suite) is the agent's work, which the owner reviews like any code, and is not.
 *
 * Both functions are serialised into the file helper (as `splitWorkspacePath` is), so they
 * refer to nothing outside themselves.
 *
 * @module
 */

/**
 * Whether a file or folder name is protected. Names compare as the file systems that matter
 * compare them: any case (case-insensitive and case-folding file systems, and a workspace copied
 * to macOS or Windows later), without the characters HFS+ ignores, without trailing dots and
 * spaces (NTFS), and as NTFS short names (`GIT~1` for `.git`).
 *
 * @example
 * ```ts
 * import { isProtectedName } from "./_protected.ts";
 * isProtectedName(".GIT"); // true
 * isProtectedName(".gitignore"); // false: git only reads it
 * ```
 */
export function isProtectedName(name: string): boolean {
  const names = [
    // A repository: its config (core.fsmonitor, core.hooksPath, core.pager, aliases, filter
    // commands) and its hooks run whenever git, an IDE or a prompt looks at the folder. A `.git`
    // file (`gitdir: …`) points git at a repository elsewhere.
    ".git",
    // Filter, diff and merge drivers named per path run on checkout, diff and status.
    ".gitattributes",
    // Submodule paths and URLs that `git submodule update` clones and checks out.
    ".gitmodules",
    // Mercurial (hooks and extensions in .hg/hgrc) and Jujutsu (programs named in its repo
    // config): the same as .git for their users.
    ".hg",
    ".jj",
    // direnv runs .envrc when a shell enters the folder.
    ".envrc",
    // Editors: VS Code tasks can run when the folder opens and its settings name programs;
    // JetBrains run configurations and startup tasks; dev containers run their commands when
    // the folder is reopened in one; vim and neovim run these with 'exrc' set.
    ".vscode",
    ".idea",
    ".devcontainer",
    ".exrc",
    ".nvimrc",
    ".nvim.lua",
  ];
  const folded = name.replace(/[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g, "")
    .toLowerCase().replace(/[. ]+$/, "");
  if (names.includes(folded)) return true;
  const short = /^([^~]{1,6})~[0-9]+$/.exec(folded);
  return short !== null &&
    names.some((known) => known.slice(1).replaceAll(".", "").slice(0, 6) === short[1]);
}

/**
 * Whether a folder is (or would be) a git repository's own folder, given which names it holds.
 * git takes a folder for one when it holds `HEAD` with `objects` and `refs` (or `commondir`): a
 * bare repository, used as soon as the owner's shell or git enters it, with no `.git` in sight.
 * `has` answers for a name; this asks for `HEAD`, `objects`, `refs` and `commondir`, so that a
 * caller can answer by the file system's own lookup (what git itself does) or by any case.
 *
 * @example
 * ```ts
 * import { isGitDir } from "./_protected.ts";
 * const names = new Set(["HEAD", "objects", "refs", "config"]);
 * isGitDir((name) => names.has(name)); // true
 * ```
 */
export function isGitDir(has: (name: string) => boolean): boolean {
  return has("HEAD") && (has("objects") || has("refs") || has("commondir"));
}

import assert from "node:assert/strict";
import { splitWorkspacePath } from "../../../../../core/tools/sandbox/mod.ts";

Deno.test("workspace paths drop `/` and `.` parts, and a leading / means the root", () => {
  assert.deepEqual(splitWorkspacePath("a/b.txt"), { ok: true, parts: ["a", "b.txt"] });
  assert.deepEqual(splitWorkspacePath("/a//./b/"), { ok: true, parts: ["a", "b"] });
  assert.deepEqual(splitWorkspacePath("/etc/passwd"), { ok: true, parts: ["etc", "passwd"] });
  for (const root of ["", ".", "/", "./", "//."]) {
    assert.deepEqual(splitWorkspacePath(root), { ok: true, parts: [] });
  }
});

Deno.test("`..` removes the part before it, and is refused above the root", () => {
  assert.deepEqual(splitWorkspacePath("a/b/../c"), { ok: true, parts: ["a", "c"] });
  assert.deepEqual(splitWorkspacePath("a/.."), { ok: true, parts: [] });
  for (const path of ["..", "../x", "/..", "a/../..", "a/../../b", "./a/./../../.."]) {
    assert.deepEqual(splitWorkspacePath(path), {
      ok: false,
      reason: "the path leaves the workspace",
    });
  }
});

Deno.test("nothing is decoded: percent escapes, backslashes and ~ are plain names", () => {
  assert.deepEqual(splitWorkspacePath("%2e%2e/x"), { ok: true, parts: ["%2e%2e", "x"] });
  assert.deepEqual(splitWorkspacePath("..\\x"), { ok: true, parts: ["..\\x"] });
  assert.deepEqual(splitWorkspacePath("~/x"), { ok: true, parts: ["~", "x"] });
  assert.deepEqual(splitWorkspacePath("..."), { ok: true, parts: ["..."] });
});

Deno.test("a NUL character is refused", () => {
  assert.deepEqual(splitWorkspacePath("a\0/../b"), {
    ok: false,
    reason: "the path contains a NUL character",
  });
});

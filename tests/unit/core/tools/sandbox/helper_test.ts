/** How the file helper is started: from source by the Deno CLI, or by kafclaw compiled. */
import assert from "node:assert/strict";
import { fsHelperMain } from "../../../../../core/tools/sandbox/_fs_helper.ts";
import {
  FS_HELPER_ARG,
  helperBinary,
  helperCommand,
  resolveSandboxOptions,
} from "../../../../../core/tools/sandbox/mod.ts";

const CONFIG = { root: "/work", gitGuard: "64:12", maxFileBytes: 1024 };

Deno.test("from source the helper's binary is this Deno CLI, started with run", () => {
  assert.deepEqual(helperBinary(), { path: Deno.execPath(), compiled: false });
  assert.deepEqual(resolveSandboxOptions().helper, { path: Deno.execPath(), compiled: false });
});

Deno.test("in a compiled binary (Deno.build.standalone) the helper's binary is that binary", () => {
  const self = { execPath: "/opt/kafclaw/kafclaw", standalone: true };
  assert.deepEqual(helperBinary(undefined, self), { path: "/opt/kafclaw/kafclaw", compiled: true });
  assert.deepEqual(helperBinary("/opt/kafclaw/kafclaw", self), {
    path: "/opt/kafclaw/kafclaw",
    compiled: true,
  });
  // Another path is judged by its name, whatever this process is.
  assert.deepEqual(helperBinary("/usr/bin/deno", self), { path: "/usr/bin/deno", compiled: false });
});

Deno.test("a given helper path named deno or deno.exe is the Deno CLI; any other name is kafclaw", () => {
  const self = { execPath: "/usr/bin/deno", standalone: false };
  for (const path of ["/home/me/.deno/bin/deno", "C:\\Users\\me\\.deno\\bin\\deno.exe", "deno"]) {
    assert.equal(helperBinary(path, self).compiled, false, path);
  }
  for (const path of ["/usr/local/bin/kafclaw", "/tmp/dist/kafclaw-linux-amd64", "/x/deno2"]) {
    assert.equal(helperBinary(path, self).compiled, true, path);
  }
  const resolved = resolveSandboxOptions({ denoPath: "/usr/local/bin/kafclaw" });
  assert.deepEqual(resolved.helper, { path: "/usr/local/bin/kafclaw", compiled: true });
});

Deno.test("the Deno CLI runs the helper's source as a data: URL, allowed the root only", () => {
  const argv = helperCommand("/kafclaw/deno", { compiled: false, config: CONFIG });
  assert.deepEqual(argv.slice(0, -1), [
    "/kafclaw/deno",
    "run",
    "--no-config",
    "--no-lock",
    "--no-prompt",
    "--quiet",
    "--allow-read=/work",
    "--allow-write=/work",
  ]);
  const url = argv.at(-1)!;
  assert.match(url, /^data:text\/javascript;base64,/);
  const source = new TextDecoder().decode(
    Uint8Array.fromBase64(url.slice(url.indexOf(",") + 1)),
  );
  assert.ok(source.includes(String(fsHelperMain)));
  assert.ok(source.endsWith(`)(${JSON.stringify(CONFIG)});\n`));
});

Deno.test("a compiled binary runs the helper after the reserved argument, its config in JSON", () => {
  const argv = helperCommand("/usr/local/bin/kafclaw", { compiled: true, config: CONFIG });
  assert.deepEqual(argv, ["/usr/local/bin/kafclaw", FS_HELPER_ARG, JSON.stringify(CONFIG)]);
  assert.equal(FS_HELPER_ARG, "__kafclaw-fs-helper");
});

/**
 * WorkspaceFs binary I/O (readBytes, writeBytes), the same for both kinds: `bwrap` (the helper
 * inside bubblewrap) and `worker` (the permission-narrowed helper, opened in the unsandboxed mode
 * here so that exec can plant links on the host the way a command would).
 */
import assert from "node:assert/strict";
import {
  MAX_BINARY_BYTES,
  openSandbox,
  type Sandbox,
  type SandboxOptions,
} from "../../../../../core/tools/sandbox/mod.ts";
import { type Home, makeHome, recorded, refused, run, TEST_LIMITS } from "./_fixture.ts";

const home = await makeHome();
const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
const MAX = { maxBytes: 1 << 24 };

/** Registers one test per kind, on a fresh workspace of `home`. */
function withBoth(
  name: string,
  fn: (sandbox: Sandbox, home: Home) => Promise<void>,
  options: SandboxOptions & { setup?: (workspace: string) => Promise<void> } = {},
): void {
  for (const prefer of ["bwrap", "worker"] as const) {
    Deno.test(`${name} (${prefer})`, async () => {
      const workspace = home.workspace();
      await Deno.mkdir(workspace, { mode: 0o700 });
      await options.setup?.(workspace);
      await using sandbox = await openSandbox(workspace, {
        prefer,
        unsandboxed: true,
        limits: TEST_LIMITS,
        ...options,
      });
      assert.equal(sandbox.kind, prefer);
      await fn(sandbox, home);
    });
  }
}

/** `size` random bytes that begin with every byte value 0..255. */
function randomBytes(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  for (let value = 0; value < 256 && value < size; value++) bytes[value] = value;
  return bytes;
}

withBoth("writeBytes then readBytes returns every byte value unchanged", async (sb) => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  await sb.fs.writeBytes("bin/all.dat", all);
  assert.deepEqual(await sb.fs.readBytes("bin/all.dat", MAX), all);
  assert.deepEqual(await Deno.readFile(`${sb.workspace}/bin/all.dat`), all);
  // Invalid UTF-8 stays intact: nothing on the way decodes it as text.
  const invalid = new Uint8Array([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0x0a, 0x0d]);
  await sb.fs.writeBytes("/bin/../bin/invalid.bin", invalid);
  assert.deepEqual(await sb.fs.readBytes("bin/invalid.bin", MAX), invalid);
  await sb.fs.writeBytes("empty.bin", new Uint8Array());
  assert.deepEqual(await sb.fs.readBytes("empty.bin", MAX), new Uint8Array());
});

withBoth(
  "a few megabytes of random bytes round-trip, and text reads see the same file",
  async (sb) => {
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    await sb.fs.writeBytes("audio/voice.ogg", bytes);
    assert.deepEqual(await sb.fs.readBytes("audio/voice.ogg", MAX), bytes);
    await sb.fs.writeText("note.txt", "grüß ✓\n");
    assert.deepEqual(
      await sb.fs.readBytes("note.txt", MAX),
      new TextEncoder().encode("grüß ✓\n"),
    );
    await sb.fs.writeBytes("note.txt", new TextEncoder().encode("bytes ✓"));
    assert.equal(await sb.fs.readText("note.txt", MAX), "bytes ✓");
    assert.deepEqual(await sb.fs.list("audio"), [
      { name: "voice.ogg", kind: "file", size: bytes.length },
    ]);
  },
);

withBoth("writeBytes replaces atomically and keeps the mode", async (sb) => {
  await Deno.writeTextFile(`${sb.workspace}/tool`, "old");
  await Deno.chmod(`${sb.workspace}/tool`, 0o750);
  if (Deno.uid() === 0) await Deno.chown(`${sb.workspace}/tool`, 65534, 65534);
  await sb.fs.writeBytes("tool", new Uint8Array([0, 1, 2]));
  assert.deepEqual(await Deno.readFile(`${sb.workspace}/tool`), new Uint8Array([0, 1, 2]));
  assert.equal((await Deno.stat(`${sb.workspace}/tool`)).mode! & 0o777, 0o750);
  assert.deepEqual([...Deno.readDirSync(sb.workspace)].map((e) => e.name), ["tool"]);
});

withBoth("too large: readBytes over maxBytes, writeBytes over the file size limit", async (sb) => {
  await sb.fs.writeBytes("keep.bin", new Uint8Array(100));
  const read = await refused(home, sb.fs.readBytes("keep.bin", { maxBytes: 10 }), "too_large");
  assert.equal(
    read.message,
    `Cannot read "keep.bin": the file has 100 bytes, more than the limit of 10`,
  );
  await refused(home, sb.fs.writeBytes("keep.bin", new Uint8Array(2048)), "too_large");
  assert.deepEqual(await sb.fs.readBytes("keep.bin", MAX), new Uint8Array(100));
  assert.equal((await sb.fs.readBytes("keep.bin", { maxBytes: 100 })).length, 100);
}, { limits: { ...TEST_LIMITS, fileSizeBytes: 1024 } });

withBoth("one call moves at most MAX_BINARY_BYTES, whatever maxBytes says", async (sb) => {
  const huge = new Uint8Array(MAX_BINARY_BYTES + 1);
  const write = await refused(home, sb.fs.writeBytes("huge.bin", huge), "too_large");
  assert.match(write.message, /^Cannot write "huge\.bin": 67108865 bytes is more than the limit/);
  await Deno.writeFile(`${sb.workspace}/huge.bin`, huge);
  const read = await refused(home, sb.fs.readBytes("huge.bin", { maxBytes: 2 ** 40 }), "too_large");
  assert.match(read.message, /more than the limit of 67108864$/);
});

withBoth("paths outside the workspace are refused and .git stays read-only", async (sb) => {
  const bytes = new Uint8Array([1, 2, 3]);
  for (const path of ["../canary.txt", "a/../../canary.txt", "/..", "a\0b"]) {
    await refused(home, sb.fs.readBytes(path, MAX), "outside");
    await refused(home, sb.fs.writeBytes(path, bytes), "outside");
  }
  for (const path of [home.canaryFile, "/etc/passwd"]) {
    await refused(home, sb.fs.readBytes(path, MAX), "not_found");
  }
  for (const path of [".git/hooks/pre-commit", "a/../.git/config"]) {
    await refused(home, sb.fs.writeBytes(path, bytes), "protected");
  }
  assert.deepEqual([...Deno.readDirSync(`${sb.workspace}/.git/hooks`)], []);
  await refused(home, sb.fs.writeBytes("/", bytes), "wrong_kind");
  assert.equal(await Deno.readTextFile(home.canaryFile), `${home.canary}\n`);
}, { setup: (workspace) => Deno.mkdir(`${workspace}/.git/hooks`, { recursive: true }) });

withBoth("links planted by exec to host files are not followed", async (sb) => {
  const relative = `../${home.identityKey.slice(home.dir.length + 1)}`;
  const planted = await run(
    home,
    sb,
    `ln -s ${quote(home.canaryFile)} canary; ln -s ${quote(home.identityKey)} key; ` +
      `ln -s ${quote(relative)} relkey; ln -s ${quote(home.dir)} dir; ln -s /etc/passwd passwd`,
  );
  assert.equal(planted.exitCode, 0, planted.stderr);
  for (const link of ["canary", "key", "relkey", "dir/canary.txt", "passwd"]) {
    await refused(home, sb.fs.readBytes(link, MAX), "outside");
    await refused(home, sb.fs.writeBytes(link, new Uint8Array([0x41])), "outside");
  }
  assert.match(await Deno.readTextFile(home.identityKey), /^PRIVATE KEY /);
  assert.equal(await Deno.readTextFile(home.canaryFile), `${home.canary}\n`);
  const own = await recorded(home, sb.fs.list("."));
  assert.deepEqual(own.map((e) => e.kind), ["symlink", "symlink", "symlink", "symlink", "symlink"]);
});

Deno.test("no binary read or refusal contained the canary", async () => {
  try {
    assert.ok(home.seen.length > 20, `only ${home.seen.length} results were recorded`);
    for (const text of home.seen) assert.ok(!text.includes(home.canary), text.slice(0, 300));
  } finally {
    await home[Symbol.asyncDispose]();
  }
});

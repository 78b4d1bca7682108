import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  ffiGranted,
  openWithVectors,
  SQLITE_VEC_VERSION,
  SqliteVecLoader,
  sqliteVecPath,
} from "../../../../core/memory/mod.ts";
import { Timeline } from "../../../../core/timeline/mod.ts";
import { tempDir } from "../timeline/_helpers.ts";

function connection() {
  return new DatabaseSync(":memory:", { allowExtension: true });
}

Deno.test("the library comes from the pinned npm package and loads", () => {
  const path = sqliteVecPath();
  assert.match(path, new RegExp(`sqlite-vec-[a-z]+-[a-z0-9]+.${SQLITE_VEC_VERSION}.vec0\\.`));
  const loader = new SqliteVecLoader();
  assert.deepEqual(loader.status, { available: false, reason: "sqlite-vec was not loaded" });
  const db = connection();
  loader.load(db);
  db.close();
  assert.deepEqual(loader.status, { available: true, path });
});

Deno.test("a library that cannot be loaded leaves a reason, never an exception", () => {
  const loader = new SqliteVecLoader({ locate: () => "/nonexistent/vec0.so" });
  const db = connection();
  loader.load(db);
  db.close();
  assert.equal(loader.status.available, false);
  assert.match(loader.status.reason!, /^Cannot load sqlite-vec from \/nonexistent\/vec0\.so: /);
});

Deno.test("a platform without a build of sqlite-vec leaves a reason", () => {
  const loader = new SqliteVecLoader({
    locate: () => {
      throw new Error("Unsupported platform for sqlite-vec, on a aix-ppc64 machine");
    },
  });
  const db = connection();
  loader.load(db);
  db.close();
  assert.deepEqual(loader.status, {
    available: false,
    reason:
      "sqlite-vec is not available: Unsupported platform for sqlite-vec, on a aix-ppc64 machine",
  });
});

Deno.test("when the library cannot be loaded where it is, a copy in extractDir is tried", async () => {
  await using tmp = await tempDir();
  const bogus = `${tmp.dir}/vec0.so`;
  await Deno.writeTextFile(bogus, "not a library");
  const loader = new SqliteVecLoader({ locate: () => bogus, extractDir: `${tmp.dir}/lib` });
  const db = connection();
  loader.load(db);
  loader.load(db); // the copy is there already
  db.close();
  const copy = `${tmp.dir}/lib/sqlite-vec-${SQLITE_VEC_VERSION}/vec0.so`;
  assert.equal(await Deno.readTextFile(copy), "not a library");
  assert.equal((await Deno.stat(copy)).mode! & 0o777, 0o700);
  assert.match(
    loader.status.reason!,
    new RegExp(`^Cannot load sqlite-vec from .+; nor from a copy in ${tmp.dir}/lib: `),
  );
});

Deno.test("a library SQLite's loader cannot open is loaded from its copy", async () => {
  await using tmp = await tempDir();
  await Deno.copyFile(sqliteVecPath(), `${tmp.dir}/vec0.so`);
  const cwd = Deno.cwd();
  // A bare file name makes dlopen search the system paths; Deno reads it from the folder.
  Deno.chdir(tmp.dir);
  try {
    const loader = new SqliteVecLoader({ locate: () => "vec0.so", extractDir: `${tmp.dir}/lib` });
    const db = connection();
    loader.load(db);
    db.close();
    assert.deepEqual(loader.status, {
      available: true,
      path: `${tmp.dir}/lib/sqlite-vec-${SQLITE_VEC_VERSION}/vec0.so`,
    });
  } finally {
    Deno.chdir(cwd);
  }
});

Deno.test("the timeline loads sqlite-vec only through its extensions hook", () => {
  assert.equal(ffiGranted(), true);
  const plain = Timeline.open(":memory:");
  assert.equal(plain.memory.vectors.version(), undefined);
  plain.close();
  const { timeline, vectors } = openWithVectors(":memory:");
  assert.equal(vectors.available, true);
  assert.equal(timeline.memory.vectors.version(), `v${SQLITE_VEC_VERSION}`);
  timeline.close();
});

Deno.test("without --allow-ffi the timeline opens without sqlite-vec and says why", async () => {
  const script = new URL("./_no_ffi.ts", import.meta.url);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "--allow-read", "--allow-env", script.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(output.stdout)), {
    available: false,
    reason: "sqlite-vec is a native extension and this process runs without --allow-ffi",
    mode: "keyword",
    hits: 1,
  });
});

/**
 * What a gateway keeps in KAFCLAW_HOME for the CLI: the token, generated once (0600) and reused,
 * and where it listens, removed only by the process that wrote it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  localToken,
  readRunFile,
  readToken,
  removeRunFile,
  RUN_FILE,
  TOKEN_FILE,
  writeRunFile,
} from "../../../web/mod.ts";
import { tempHome } from "../../_support/cli.ts";

Deno.test("the home's token is generated on first use, 0600, and the same ever after", async () => {
  await using home = await tempHome();
  assert.equal(await readToken(home.path), undefined);
  const token = await localToken(home.path);
  assert.match(token, /^[\w-]{43}$/);
  const file = join(home.path, TOKEN_FILE);
  assert.equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  assert.equal(await localToken(home.path), token);
  assert.equal(await readToken(home.path), token);
  await using other = await tempHome();
  assert.notEqual(await localToken(other.path), token);
});

Deno.test("a token file that holds no token is replaced by a new token", async () => {
  await using home = await tempHome();
  await Deno.writeTextFile(join(home.path, TOKEN_FILE), "short\n");
  assert.equal(await readToken(home.path), undefined);
  const token = await localToken(home.path);
  assert.match(token, /^[\w-]{43}$/);
  assert.equal((await Deno.stat(join(home.path, TOKEN_FILE))).mode! & 0o777, 0o600);
});

Deno.test("the run file says where the gateway listens and is removed only by its writer", async () => {
  await using home = await tempHome();
  assert.equal(await readRunFile(home.path), undefined);
  const run = { pid: Deno.pid, host: "127.0.0.1", port: 4100, dashboard_port: 4101 };
  await writeRunFile(home.path, run);
  assert.equal((await Deno.stat(join(home.path, RUN_FILE))).mode! & 0o777, 0o600);
  assert.deepEqual(await readRunFile(home.path), run);
  await removeRunFile(home.path, Deno.pid + 1);
  assert.deepEqual(await readRunFile(home.path), run);
  await removeRunFile(home.path);
  assert.equal(await readRunFile(home.path), undefined);
});

Deno.test("a run file that is not one is read as none", async () => {
  await using home = await tempHome();
  for (const text of ["{", "null", '{"pid":1,"host":"h","port":0,"dashboard_port":2}']) {
    await Deno.writeTextFile(join(home.path, RUN_FILE), text);
    assert.equal(await readRunFile(home.path), undefined, text);
  }
});

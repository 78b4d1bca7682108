import assert from "node:assert/strict";
import {
  checkConfigTrust,
  type ConfigFileChange,
  watchConfigFile,
} from "../../../../core/config/mod.ts";
import { tempHome } from "./_helpers.ts";
import { waitFor } from "../../../_support/wait.ts";

Deno.test("a config.json that group or others can write is refused, naming the fix", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  await checkConfigTrust(path); // missing: nothing to refuse
  await Deno.writeTextFile(path, "{}");
  for (const mode of [0o600, 0o644, 0o640, 0o400]) {
    await Deno.chmod(path, mode);
    await checkConfigTrust(path);
  }
  for (const [mode, shown] of [[0o620, "620"], [0o602, "602"], [0o666, "666"]] as const) {
    await Deno.chmod(path, mode);
    await assert.rejects(() => checkConfigTrust(path), {
      name: "UntrustedConfigError",
      message:
        `Cannot use ${path}: others can write it (mode ${shown}); fix it with chmod 600 ${path}`,
    });
  }
});

Deno.test("a config.json owned by another user is refused; root's is accepted", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  await Deno.writeTextFile(path, "{}", { mode: 0o600 });
  const owner = (await Deno.stat(path)).uid!;
  // As root the file is handed to nobody; otherwise this process pretends to be someone else.
  if (owner === 0) await Deno.chown(path, 65534, 65534);
  const stranger = owner === 0 ? 0 : owner + 1;
  const fileOwner = owner === 0 ? 65534 : owner;
  await assert.rejects(() => checkConfigTrust(path, { uid: stranger }), {
    name: "UntrustedConfigError",
    message: `Cannot use ${path}: it belongs to uid ${fileOwner}, not to you (uid ${stranger}); ` +
      `fix it with chown ${stranger} ${path} && chmod 600 ${path}`,
  });
  await checkConfigTrust(path, { uid: fileOwner });
  if (owner === 0) {
    await Deno.chown(path, 0, 0);
    await checkConfigTrust(path, { uid: 1000 });
  }
});

Deno.test("a config.json that cannot be looked at is refused with the system's reason", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  // A link to itself: there is a file, but no owner or mode to judge it by.
  await Deno.symlink(path, path);
  await assert.rejects(() => checkConfigTrust(path), (error: unknown) => {
    assert.ok(error instanceof Deno.errors.FilesystemLoop, String(error));
    assert.match(error.message, new RegExp(`stat '${path}'$`));
    return true;
  });
});

Deno.test("watching config.json reports a change, a new file and SIGHUP, one at a time", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  const seen: ConfigFileChange[] = [];
  using _ = watchConfigFile(path, async (why) => {
    seen.push(why);
    await new Promise((r) => setTimeout(r, 30));
  }, { intervalMs: 20 });
  await Deno.writeTextFile(path, "{}");
  await waitFor(() => seen.length === 1, "the new file");
  await Deno.writeTextFile(`${path}.tmp`, '{"a": 1}');
  await Deno.rename(`${path}.tmp`, path);
  await waitFor(() => seen.length === 2, "the replaced file");
  Deno.kill(Deno.pid, "SIGHUP");
  await waitFor(() => seen.length === 3, "SIGHUP");
  assert.deepEqual(seen, ["changed", "changed", "SIGHUP"]);
});

Deno.test("watching config.json reports a file written right after the watch starts, every time", async () => {
  // The first look was once taken by a stat that could run after such a write, which was then
  // never reported; 20 rounds made that miss near certain.
  await using home = await tempHome();
  for (let round = 0; round < 20; round++) {
    const path = `${home.path}/config-${round}.json`;
    let seen = 0;
    using _ = watchConfigFile(path, () => void seen++, { intervalMs: 20 });
    Deno.writeTextFileSync(path, "{}");
    await waitFor(() => seen === 1, `the file of round ${round}`, { timeoutMs: 10_000 });
  }
});

Deno.test("watching config.json reports a file that appears unreadable, then one that reads", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  const seen: ConfigFileChange[] = [];
  using _ = watchConfigFile(path, (why) => void seen.push(why), { intervalMs: 20 });
  // Each put in place at once: a link to itself (there, but unreadable), then a real file.
  await Deno.symlink(path, `${path}.new`);
  await Deno.rename(`${path}.new`, path);
  await waitFor(() => seen.length === 1, "the unreadable file");
  await Deno.writeTextFile(`${path}.new`, "{}");
  await Deno.rename(`${path}.new`, path);
  await waitFor(() => seen.length === 2, "the readable file");
  assert.deepEqual(seen, ["changed", "changed"]);
});

Deno.test("watching config.json without an interval still sees a change, within seconds", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  let changed = false;
  using _ = watchConfigFile(path, () => void (changed = true));
  await Deno.writeTextFile(path, "{}");
  await waitFor(() => changed, "the new file");
});

Deno.test("a watch stopped while it looks at config.json reports nothing of that look and looks no more", async () => {
  await using home = await tempHome();
  const path = `${home.path}/config.json`;
  const looks: PromiseWithResolvers<Deno.FileInfo>[] = [];
  const stat = () => {
    looks.push(Promise.withResolvers<Deno.FileInfo>());
    return looks.at(-1)!.promise;
  };
  let seen = 0;
  const watch = watchConfigFile(path, () => void seen++, { intervalMs: 1, stat });
  await waitFor(() => looks.length === 1, "the first look");
  watch[Symbol.dispose]();
  // The file as that look finds it has changed: a watch still running would report it.
  await Deno.writeTextFile(path, "{}");
  looks[0]!.resolve(await Deno.stat(path));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(seen, 0);
  assert.equal(looks.length, 1, "no look after the stop");
});

import assert from "node:assert/strict";
import { formatDoctor, runDoctor } from "../../../../core/doctor/mod.ts";
import { tempHome } from "../../../_support/cli.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });
const missing = () =>
  Promise.resolve({
    available: false,
    reason: "bubblewrap is not installed",
    hint: "apt-get install bubblewrap",
  });

Deno.test("doctor passes a configured standalone agent with a working sandbox", async () => {
  await using home = await tempHome();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, OPENAI_API_KEY: "sk-x" },
    probe: working,
  });
  assert.deepEqual(results.map((r) => [r.check, r.status]), [
    ["config", "ok"],
    ["home", "ok"],
    ["provider", "ok"],
    ["mode", "ok"],
    ["sandbox", "ok"],
  ]);
  assert.match(results[0]!.detail, /no config file yet/);
  assert.match(formatDoctor(results), /no check failed$/);
});

Deno.test("doctor names what is wrong and what to do", async () => {
  await using home = await tempHome();
  await Deno.chmod(home.path, 0o755);
  await Deno.writeTextFile(`${home.path}/config.json`, '{"gateway":{"host":"0.0.0.0"}}', {
    mode: 0o644,
  });
  await Deno.chmod(`${home.path}/config.json`, 0o644);
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: missing });
  const by = Object.fromEntries(results.map((r) => [r.check, r]));
  assert.equal(by.home!.status, "fail");
  assert.match(by.home!.hint!, /chmod 700/);
  assert.equal(by["config file"]!.status, "fail");
  assert.equal(by.provider!.status, "fail");
  assert.equal(by.mode!.status, "fail");
  assert.match(by.mode!.detail, /requires gateway\.authToken/);
  assert.equal(by.sandbox!.status, "warn");
  assert.match(by.sandbox!.detail, /exec is off/);
  const text = formatDoctor(results);
  assert.match(text, /→ apt-get install bubblewrap/);
  assert.match(text, /4 check\(s\) failed$/);
});

Deno.test("an invalid configuration is the one failed check", async () => {
  await using home = await tempHome();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_GATEWAY_PORT: "x" },
    probe: working,
  });
  assert.equal(results.length, 1);
  assert.equal(results[0]!.status, "fail");
  assert.match(results[0]!.detail, /KAFCLAW_GATEWAY_PORT/);
});

Deno.test("doctor's real sandbox probe runs inside KAFCLAW_HOME", async () => {
  await using home = await tempHome();
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path, OPENAI_API_KEY: "sk-x" } });
  const sandbox = results.find((r) => r.check === "sandbox")!;
  assert.equal(sandbox.status, "ok", sandbox.detail);
  assert.match(sandbox.detail, /bubblewrap/);
});

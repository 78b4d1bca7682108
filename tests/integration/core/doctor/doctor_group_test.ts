/**
 * doctor in a group mode, against the real broker: a group never initialised is a failed check
 * naming its missing topics and `kafclaw group init`, an initialised one passes, and brokers that
 * do not answer fail within the check's time limit.
 */
import assert from "node:assert/strict";
import { runDoctor } from "../../../../core/doctor/mod.ts";
import { memberTopicSpecs } from "../../../../core/group/mod.ts";
import { ensureTopics, loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { tempHome } from "../../../_support/cli.ts";
import { uniqueName } from "../../../_support/wait.ts";

const { KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });

async function groupCheck(env: Record<string, string>, groupTimeoutMs?: number) {
  await using home = await tempHome();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_GROUP_ENABLED: "true", ...env },
    probe: working,
    ...(groupTimeoutMs ? { groupTimeoutMs } : {}),
  });
  return results.filter((r) => r.check === "group");
}

Deno.test(
  "doctor fails a group whose topics are missing, then passes it once they are made",
  opts,
  async () => {
    const group = uniqueName("doc").replace(/-/g, "");
    const env = { KAFCLAW_GROUP_NAME: group, KAFCLAW_GROUP_KAFKA_BROKERS: brokers.join(",") };
    const [missing] = await groupCheck(env);
    assert.equal(missing!.status, "fail");
    assert.match(
      missing!.detail,
      new RegExp(`^Cannot use group "${group}": \\d+ topic\\(s\\) missing \\(.*${group}.*\\)`),
    );
    assert.equal(missing!.hint, "kafclaw group init");

    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      await ensureTopics(t, memberTopicSpecs(group));
    } finally {
      await t.close();
    }
    const [ok] = await groupCheck(env);
    assert.equal(ok!.status, "ok", ok!.detail);
    assert.match(
      ok!.detail,
      new RegExp(`^group "${group}" at ${brokers.join(",")}: its \\d+ topics`),
    );
  },
);

/** doctor's group check, with `timeoutMs`, of a broker port nothing listens on. */
async function refusedCheck(timeoutMs: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const [check] = await groupCheck(
    { KAFCLAW_GROUP_NAME: "nobody", KAFCLAW_GROUP_KAFKA_BROKERS: `127.0.0.1:${port}` },
    timeoutMs,
  );
  assert.equal(check!.status, "fail");
  return { port, check: check! };
}

Deno.test("doctor fails brokers that do not answer within its time limit", opts, async () => {
  const { port, check } = await refusedCheck(2000);
  assert.match(
    check.detail,
    new RegExp(`^the brokers 127\\.0\\.0\\.1:${port} cannot be reached: no answer within 2 s`),
  );
  assert.match(check.hint!, /group\.kafkaBrokers/);
  assert.match(check.detail, /ECONNREFUSED/, "the last connection error says why");
});

Deno.test(
  "doctor says a refused connection as such, in seconds, before its time limit",
  opts,
  async () => {
    const { port, check } = await refusedCheck(60_000);
    assert.equal(
      check.detail,
      `the brokers 127.0.0.1:${port} cannot be reached: connection refused`,
    );
  },
);

Deno.test("doctor has no group line in standalone mode", async () => {
  await using home = await tempHome();
  const results = await runDoctor({ env: { KAFCLAW_HOME: home.path }, probe: working });
  assert.equal(results.filter((r) => r.check === "group").length, 0);
});

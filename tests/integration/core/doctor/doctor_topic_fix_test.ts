/**
 * doctor --fix on the real broker: a group topic whose configs differ from what the group needs
 * (retention.ms, cleanup.policy) is set back, its other overrides kept, each change said; a
 * missing topic is not created; the check that follows passes, and a second --fix changes nothing.
 */
import assert from "node:assert/strict";
import { fixDoctor, runDoctor } from "../../../../core/doctor/mod.ts";
import { memberTopicSpecs } from "../../../../core/group/mod.ts";
import { ensureTopics, loadKafka } from "../../../../core/transport/mod.ts";
import { testBrokers } from "../../../_support/broker.ts";
import { tempHome } from "../../../_support/cli.ts";
import { uniqueName } from "../../../_support/wait.ts";

const { KafkaAdmin, KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };
const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });

Deno.test(
  "doctor --fix sets a group's topic configs back, keeps the rest, and creates nothing",
  opts,
  async () => {
    await using home = await tempHome();
    const group = uniqueName("fix").replace(/-/g, "");
    const env = {
      KAFCLAW_HOME: home.path,
      KAFCLAW_GROUP_ENABLED: "true",
      KAFCLAW_GROUP_NAME: group,
      KAFCLAW_GROUP_KAFKA_BROKERS: brokers.join(","),
    };
    const specs = memberTopicSpecs(group);
    const retained = specs.find((s) => s.config["retention.ms"] !== undefined)!;
    const compacted = specs.find((s) => s.config["cleanup.policy"] === "compact")!;
    const left = specs.find((s) => s !== retained && s !== compacted)!;
    const t = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    await using admin = new KafkaAdmin({ brokers, clientId: "kafclaw-test" });
    try {
      await ensureTopics(t, specs.filter((s) => s !== left));
    } finally {
      await t.close();
    }
    await admin.alterTopicConfigs(retained.name, {
      "retention.ms": "1000",
      "delete.retention.ms": "3600000",
    });
    await admin.alterTopicConfigs(compacted.name, { "cleanup.policy": "delete" });

    const check = async () =>
      (await runDoctor({ env, probe: working })).find((r) => r.check === "group")!;
    const before = await check();
    assert.equal(before.status, "fail");
    assert.match(before.detail, new RegExp(`${retained.name} has retention.ms 1000`));

    const fixed = await fixDoctor({ env });
    const byPath = (a: { path: string }, b: { path: string }) => a.path.localeCompare(b.path);
    assert.deepEqual(
      fixed.toSorted(byPath),
      [
        {
          path: retained.name,
          did: `set retention.ms=${retained.config["retention.ms"]} (was 1000)`,
          ok: true,
        },
        { path: compacted.name, did: "set cleanup.policy=compact (was delete)", ok: true },
      ].toSorted(byPath),
    );
    const after = await admin.topicConfigs(retained.name);
    assert.equal(after["retention.ms"], retained.config["retention.ms"]);
    assert.equal(
      after["delete.retention.ms"],
      "3600000",
      "an override the group does not name stays",
    );
    assert.equal((await admin.topicConfigs(compacted.name))["cleanup.policy"], "compact");
    assert.ok(!(await admin.listTopics()).includes(left.name), "a missing topic is not created");

    // With the missing one made, the check passes and --fix has nothing left to do.
    const t2 = new KafkaTransport({ brokers, clientId: "kafclaw-test" });
    try {
      await ensureTopics(t2, [left]);
    } finally {
      await t2.close();
    }
    assert.equal((await check()).status, "ok");
    assert.deepEqual(await fixDoctor({ env }), []);
    assert.deepEqual(await fixDoctor({ env, offline: true }), [], "--offline contacts no broker");
  },
);

Deno.test(
  "doctor --fix says it could not reach the brokers, within its time limit",
  opts,
  async () => {
    await using home = await tempHome();
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close();
    const fixed = await fixDoctor({
      env: {
        KAFCLAW_HOME: home.path,
        KAFCLAW_GROUP_ENABLED: "true",
        KAFCLAW_GROUP_KAFKA_BROKERS: `127.0.0.1:${port}`,
      },
      groupTimeoutMs: 2000,
    });
    assert.equal(fixed.length, 1);
    assert.equal(fixed[0]!.ok, false);
    assert.match(fixed[0]!.did, /^topics not checked: no answer within 2 s/);
  },
);

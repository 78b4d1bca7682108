/**
 * `kafclaw kshark` against real brokers, run as a user runs it (scripts/kafclaw, its own
 * permission set, no KAFCLAW_HOME): the tier's broker with every check OK and the probe cleaned
 * up, a KafClaw group with a missing topic, a broker of the test's own with SASL/PLAIN and a
 * wrong password, and brokers with a TLS listener from a CA the test makes (a certificate valid a
 * year, and one that expires in 10 days).
 */
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { memberTopicSpecs } from "../../../core/group/mod.ts";
import { ensureTopics, loadKafka } from "../../../core/transport/mod.ts";
import { testBrokers } from "../../_support/broker.ts";
import { kafclaw, tempHome } from "../../_support/cli.ts";
import { type JsonReport, parseJunit, rowsOf, validReport } from "../../_support/kshark.ts";
import { startOwnBroker } from "../../_support/own_broker.ts";
import { testCa } from "../../_support/test_ca.ts";
import { uniqueName, waitFor } from "../../_support/wait.ts";

const { KafkaAdmin, KafkaTransport } = await loadKafka();

const brokers = testBrokers();
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs kshark with a JSON report in a temp dir; the result and the validated report. */
async function kshark(args: string[], env: Record<string, string> = {}) {
  await using dir = await tempHome();
  const json = `${dir.path}/kshark.json`;
  const r = await kafclaw(["kshark", ...args, "--json", json], {
    KAFCLAW_HOME: `${dir.path}/none`,
    NO_COLOR: "1",
    ...env,
  });
  const report = await validReport(json).catch((error) => {
    throw new Error(`${error.message}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  });
  return { ...r, report };
}

const statuses = (report: JsonReport) => report.rows.map((row) => `${row.status} ${row.component}`);

Deno.test(
  "kshark against the real broker: every check OK, the probe cleans up, reports validate",
  opts,
  async () => {
    await using dir = await tempHome();
    const junit = `${dir.path}/kshark.xml`;
    const html = `${dir.path}/kshark.html`;
    const r = await kshark([
      "--broker",
      brokers.join(","),
      "--probe-topics",
      "--junit",
      junit,
      "--html",
      html,
    ]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const bad = r.report.rows.filter((row) => row.status === "FAIL" || row.status === "WARN");
    assert.deepEqual(bad, []);
    assert.deepEqual(
      r.report.rows.filter((row) => row.status === "SKIP").map((row) => row.component).sort(),
      [...brokers.map(() => "TLS"), "SASL"].sort(),
      "only what a PLAINTEXT broker has not: TLS and a login",
    );
    for (const component of ["DNS", "TCP", "ApiVersions", "Metadata", "Produce", "Consume"]) {
      assert.ok(rowsOf(r.report, component).some((row) => row.status === "OK"), component);
    }
    assert.match(rowsOf(r.report, "TCP")[0]!.detail, /^connected in [\d.]+ ms$/);
    assert.match(
      rowsOf(r.report, "ApiVersions")[0]!.detail,
      /negotiated Produce v7, Fetch v11, .*Metadata v6/,
    );
    assert.match(
      rowsOf(r.report, "Metadata")[0]!.detail,
      /^\d+ broker\(s\) \(.+\), controller \d+, \d+ topic\(s\), \d+ partition\(s\), 0 without a leader, 0 under-replicated$/,
    );
    assert.match(
      rowsOf(r.report, "Consume")[0]!.detail,
      /^read kshark-[0-9a-f-]{36} back \(header kshark-probe intact\)/,
    );
    assert.match(r.stdout, /^kshark: no check failed$/m);
    const admin = new KafkaAdmin({ brokers, clientId: "kshark-test" });
    try {
      const probeTopic = rowsOf(r.report, "Produce")[0]!.target;
      await waitFor(
        async () => !(await admin.listTopics()).includes(probeTopic),
        "the probe's own topic deleted",
        { timeoutMs: 10_000 },
      );
      assert.deepEqual(
        await admin.groups("kshark-probe-"),
        [],
        "the probe's consumer group is deleted",
      );
    } finally {
      await admin.close();
    }
    const cases = (await parseJunit(await Deno.readTextFile(junit))).cases;
    assert.equal(cases.length, r.report.rows.length, "one test case per check");
    assert.ok(cases.every((c) => c.outcome !== "failure"));
    assert.match(await Deno.readTextFile(html), /<title>kshark report: OK<\/title>/);
  },
);

Deno.test(
  "kshark probes a topic of yours from its beginning, with its own key and header",
  opts,
  async () => {
    const topic = uniqueName("kshark-t");
    const t = new KafkaTransport({ brokers, clientId: "kshark-test" });
    try {
      await t.createTopics([{ name: topic, partitions: 2, replicationFactor: 1, config: {} }]);
    } finally {
      await t.close();
    }
    const r = await kshark([
      "--broker",
      brokers.join(","),
      "-t",
      `${topic},missing-${topic}`,
      "--start-offset",
      "earliest",
    ]);
    assert.equal(r.code, 1, r.stderr);
    const [ok, missing] = rowsOf(r.report, "Topic");
    assert.equal(ok!.status, "OK");
    assert.match(ok!.detail, /^2 partition\(s\), replication 1, leaders on broker\(s\) \d/);
    assert.equal(missing!.status, "FAIL");
    assert.equal(missing!.target, `missing-${topic}`);
    assert.match(missing!.hint!, new RegExp(`create missing-${topic}`));
    assert.deepEqual(statuses(r.report).filter((s) => /Produce|Consume/.test(s)), [
      "OK Produce",
      "OK Consume",
    ]);
    assert.match(rowsOf(r.report, "Consume")[0]!.detail, /starting at the topic's beginning$/);
    assert.match(
      rowsOf(r.report, "Produce")[0]!.detail,
      /^record kshark-[0-9a-f-]{36} acknowledged/,
    );
    const quiet = await kshark(["--broker", brokers.join(","), "-t", topic, "--test-connection"]);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.deepEqual(rowsOf(quiet.report, "Produce").map((row) => row.status), ["SKIP"]);
    assert.deepEqual(rowsOf(quiet.report, "Consume"), []);
  },
);

/** Three records on partition 0 of `topic`, and `groupId` committed at offset 1 with no member. */
async function lagBehind(topic: string, groupId: string): Promise<void> {
  const kafka = new kafkajs.Kafka({
    brokers,
    clientId: "kshark-test",
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const producer = kafka.producer();
  const admin = kafka.admin();
  try {
    await producer.connect();
    await producer.send({
      topic,
      messages: ["a", "b", "c"].map((value) => ({ value, partition: 0 })),
    });
    await admin.connect();
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "1" }] });
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

Deno.test(
  "kshark --group fails a KafClaw group with a missing topic, names it, and shows a group's lag",
  opts,
  async () => {
    const group = uniqueName("ks").replace(/-/g, "");
    const missing = `group.${group}.traces`;
    const t = new KafkaTransport({ brokers, clientId: "kshark-test" });
    try {
      await ensureTopics(t, memberTopicSpecs(group).filter((spec) => spec.name !== missing));
    } finally {
      await t.close();
    }
    const before = await kshark(["--broker", brokers.join(","), "--group", group]);
    assert.deepEqual(
      rowsOf(before.report, "Consumer groups").map((row) => row.status),
      ["WARN"],
      "no consumer group yet",
    );
    await lagBehind(`group.${group}.requests`, `kafclaw.${group}.workers`);
    const r = await kshark(["--broker", brokers.join(","), "--group", group]);
    assert.equal(r.code, 1, r.stderr);
    const [layout] = rowsOf(r.report, "Group topics");
    assert.equal(layout!.status, "FAIL");
    assert.equal(layout!.detail, `1 of 14 topic(s) missing: ${missing}`);
    assert.match(layout!.hint!, /kafclaw group init/);
    const topics = rowsOf(r.report, "Group topic");
    assert.equal(topics.length, 13);
    assert.ok(topics.every((row) => row.status === "OK"), JSON.stringify(topics));
    const requests = topics.find((row) => row.target === `group.${group}.requests`)!;
    assert.match(requests.detail, /^work topic, 12 partition\(s\) \(wants 12\), replication 1$/);
    assert.deepEqual(rowsOf(r.report, "Consumer group"), [{
      component: "Consumer group",
      target: `kafclaw.${group}.workers`,
      layer: "L7-Kafka",
      status: "WARN",
      detail: "Empty, 0 member(s), lag 2 over 1 topic(s): records wait and nobody reads them",
      hint: "start the agents that read with this group (kafclaw gateway)",
    }]);
    assert.deepEqual(rowsOf(r.report, "Join delay"), [{
      component: "Join delay",
      target: "broker 1",
      layer: "L7-Kafka",
      status: "OK",
      detail: "group.initial.rebalance.delay.ms=0: groups start at once",
    }]);
    assert.match(
      r.stdout,
      new RegExp(
        `^FAIL  L7-Kafka    Group topics ${group}: 1 of 14 topic\\(s\\) missing: ${
          missing.replace(/\./g, "\\.")
        } \\(hint:`,
        "m",
      ),
    );
  },
);

Deno.test(
  "kshark fails at SASL when the password is wrong, and logs in when it is right",
  opts,
  async () => {
    await using broker = await startOwnBroker(1, { saslUsers: { admin: "admin-secret" } });
    await using dir = await tempHome();
    const props = async (password: string) => {
      const file = `${dir.path}/${password}.properties`;
      await Deno.writeTextFile(
        file,
        [
          `bootstrap.servers=${broker.bootstrap.join(",")}`,
          "security.protocol=SASL_PLAINTEXT",
          "sasl.mechanism=PLAIN",
          `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${password}";`,
        ].join("\n"),
      );
      return file;
    };
    const wrong = await kshark(["-p", await props("wrong-pass"), "--test-connection"]);
    assert.equal(wrong.code, 1, wrong.stderr);
    const [sasl] = rowsOf(wrong.report, "SASL");
    assert.equal(sasl!.status, "FAIL", JSON.stringify(sasl));
    assert.match(sasl!.detail, /^login as admin with PLAIN refused: /);
    assert.match(sasl!.hint!, /sasl\.username and sasl\.password/);
    assert.deepEqual(
      rowsOf(wrong.report, "ApiVersions").map((row) => row.status),
      ["OK"],
      "asked before any login",
    );
    assert.deepEqual(rowsOf(wrong.report, "Metadata").map((row) => row.status), ["SKIP"]);
    assert.equal(wrong.report.config["sasl.jaas.config"], "[redacted]");
    assert.doesNotMatch(wrong.stdout + wrong.stderr + JSON.stringify(wrong.report), /wrong-pass/);
    const right = await kshark(["-p", await props("admin-secret"), "--test-connection"]);
    assert.equal(right.code, 0, right.stdout);
    assert.equal(rowsOf(right.report, "SASL")[0]!.detail, "logged in as admin with PLAIN");
  },
);

Deno.test(
  "kshark's TLS check: OK with the broker's CA, WARN under 30 days (over SASL_SSL), FAIL without the CA",
  opts,
  async () => {
    for (const days of [365, 10]) {
      // The second broker also wants a SASL login over its TLS listener (SASL_SSL).
      const sasl = days === 10;
      await using ca = await testCa(days);
      await using broker = await startOwnBroker(1, {
        tlsDir: ca.dir,
        ...(sasl ? { saslUsers: { admin: "tls-secret" } } : {}),
      });
      const file = `${ca.dir}/client.properties`;
      const lines = [
        `bootstrap.servers=${broker.bootstrap.join(",")}`,
        ...(sasl
          ? ["security.protocol=SASL_SSL", "sasl.username=admin", "sasl.password=tls-secret"]
          : ["security.protocol=SSL"]),
      ];
      await Deno.writeTextFile(file, [...lines, `ssl.ca.location=${ca.ca}`].join("\n"));
      // A young broker makes its offsets topic at the probe's first group join: on a busy
      // machine that may take more than the default 10 s.
      const r = await kshark(["-p", file, "--probe-topics", "--consume-timeout", "30s"]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const [tls] = rowsOf(r.report, "TLS");
      assert.match(
        tls!.detail,
        /subject CN=kshark test broker, issuer CN=kshark test CA, expires /,
      );
      if (days === 365) {
        assert.equal(tls!.status, "OK", tls!.detail);
        assert.match(tls!.detail, /^TLSv1\.[23], /);
        assert.deepEqual(statuses(r.report).filter((s) => /Produce|Consume/.test(s)), [
          "OK Produce",
          "OK Consume",
        ]);
      } else {
        assert.equal(tls!.status, "WARN", tls!.detail);
        assert.match(tls!.detail, /^certificate expires in (9|10) days: /);
        assert.match(tls!.hint!, /renew/);
        assert.equal(rowsOf(r.report, "SASL")[0]!.detail, "logged in as admin with PLAIN");
        assert.deepEqual(statuses(r.report).filter((s) => /Produce|Consume/.test(s)), [
          "OK Produce",
          "OK Consume",
        ]);
        await Deno.writeTextFile(file, lines.join("\n"));
        const untrusted = await kshark(["-p", file, "--test-connection"]);
        assert.equal(untrusted.code, 1, untrusted.stdout);
        const [fail] = rowsOf(untrusted.report, "TLS");
        assert.equal(fail!.status, "FAIL");
        assert.match(fail!.detail, /^certificate not trusted \(/);
        assert.match(fail!.hint!, /ssl\.ca\.location/);
      }
    }
  },
);

Deno.test(
  "kshark on a cluster that lost a broker: a partition without a leader is a FAIL with what to do",
  opts,
  async () => {
    // Three nodes: the controllers keep their quorum when one goes, and fence the lost broker.
    await using cluster = await startOwnBroker(3);
    // "single" has a partition on each broker alone: the lost broker's has no leader then. The
    // transport's create waits for the leaders through the broker's brief "does not host this
    // topic-partition" right after creation, where kafkajs's own wait gives up.
    const t = new KafkaTransport({ brokers: [...cluster.bootstrap], clientId: "kshark-test" });
    try {
      await t.createTopics([{ name: "single", partitions: 3, replicationFactor: 1, config: {} }]);
    } finally {
      await t.close();
    }
    await cluster.kill(2);
    const survivor = cluster.bootstrap[0]!;
    // Until its session expires the cluster still lists the lost broker, and reading the
    // metadata through it fails; then its partition of "single" has no leader, which makes
    // kafkajs refuse the whole metadata answer: a FAIL that says so.
    let r = await kshark(["--broker", survivor, "--test-connection"]);
    await waitFor(
      async () => {
        r = await kshark(["--broker", survivor, "--test-connection"]);
        return /^a partition has no leader/.test(rowsOf(r.report, "Metadata")[0]?.detail ?? "");
      },
      "the lost broker's partition to have no leader",
      { timeoutMs: 60_000, state: () => r.report.rows },
    );
    assert.equal(r.code, 1);
    const [metadata] = rowsOf(r.report, "Metadata");
    assert.equal(metadata!.status, "FAIL");
    assert.match(metadata!.hint!, /bring back the brokers .*--unavailable-partitions/);
  },
);

Deno.test(
  "kshark --group warns of a broker that holds each new consumer group back, and by how much",
  opts,
  async () => {
    // Kafka's default: 3 s before a new group's first assignment (scripts/kafka sets 0).
    await using own = await startOwnBroker(1, { props: ["group.initial.rebalance.delay.ms=3000"] });
    const r = await kshark(["--broker", own.bootstrap.join(","), "--group", "slow"]);
    const [row] = rowsOf(r.report, "Join delay");
    assert.equal(row?.status, "WARN", JSON.stringify(row));
    assert.equal(
      row?.detail,
      "group.initial.rebalance.delay.ms=3000: each new consumer group waits 3000 ms for its " +
        "partitions",
    );
    assert.match(row?.hint ?? "", /set it to 0 on brokers that serve KafClaw/);
  },
);

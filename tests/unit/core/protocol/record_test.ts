import assert from "node:assert/strict";
import {
  agentKey,
  certKey,
  type Envelope,
  MANIFEST_KEY,
  memoryKey,
  nodeKey,
  onboardKey,
  parseRecord,
  parseTopic,
  recordKey,
  requiredKey,
  skillKey,
  typesForTopic,
  validateEnvelope,
  zoneKey,
  zoneMemberKey,
} from "../../../../core/protocol/mod.ts";
import { audit, goldenBytes, goldenJson, json, request } from "./_helpers.ts";

function envelopeOf(file: string): Envelope {
  const result = validateEnvelope(goldenJson(file));
  assert.ok(result.ok);
  return result.envelope;
}

Deno.test("record key builders write the entity keys of PROTOCOL.md", () => {
  assert.equal(agentKey("alice"), "agent:alice");
  assert.equal(nodeKey("alice"), "node:alice");
  assert.equal(zoneKey("lab"), "zone:lab");
  assert.equal(zoneMemberKey("lab", "carol"), "zone:lab:carol");
  assert.equal(skillKey("web_search"), "skill:web_search");
  assert.equal(certKey("bob"), "cert:bob");
  assert.equal(onboardKey("dave"), "onboard:dave");
  assert.equal(MANIFEST_KEY, "manifest");
  assert.equal(memoryKey("mem-1"), "mem-1");
  assert.equal(memoryKey("mem-1", 0), "mem-1#0");
});

Deno.test("recordKey and requiredKey follow the type of the envelope", () => {
  const cases: Array<[string, string, boolean]> = [
    ["valid/request_full.json", "t-1", true],
    ["valid/task_status.json", "t-1", true],
    ["valid/announce_join.json", "agent:alice", true],
    ["valid/roster_manifest.json", "manifest", true],
    ["valid/roster_certificate.json", "cert:bob", true],
    ["valid/roster_revocation.json", "cert:mallory", true],
    ["valid/orchestrator_node.json", "node:alice", true],
    ["valid/orchestrator_zone.json", "zone:lab", true],
    ["valid/orchestrator_zone_join.json", "zone:lab:carol", true],
    ["valid/skill.json", "skill:web_search", true],
    ["valid/memory_item.json", "mem-1", true],
    ["valid/memory_part_lfs.json", "ctx-9#1", true],
    ["valid/heartbeat.json", "agent:alice", false],
    ["valid/audit.json", "agent:alice", false],
    ["valid/trace.json", "4bf92f3577b34da6a3ce929d0e0e4736", false],
    ["valid/onboard_complete.json", "onboard:dave", false],
  ];
  for (const [file, key, required] of cases) {
    const envelope = envelopeOf(file);
    assert.equal(recordKey(envelope), key, file);
    assert.equal(requiredKey(envelope), required ? key : undefined, file);
  }
});

Deno.test("parseRecord names the record by topic, partition and offset", () => {
  const result = parseRecord({
    topic: "group.g1.requests",
    key: "t-9",
    value: "{",
    partition: 3,
    offset: "17",
  });
  assert.ok(!result.ok);
  assert.equal(
    result.error.message,
    "Cannot parse envelope from group.g1.requests@3:17: the value is not valid JSON",
  );
  const bare = parseRecord({ topic: "group.g1.requests", key: "t-9", value: "{" });
  assert.ok(!bare.ok);
  assert.equal(
    bare.error.message,
    "Cannot parse envelope from group.g1.requests: the value is not valid JSON",
  );
});

Deno.test("parseRecord accepts keys as bytes and returns them as text", () => {
  const result = parseRecord({
    topic: "group.g1.requests",
    key: new TextEncoder().encode("t-9"),
    value: new TextEncoder().encode(json(request())),
    headers: { "kc-key-id": "alice" },
  });
  assert.ok(result.ok);
  assert.equal(result.key, "t-9");
  assert.equal(result.envelope.type, "request");
});

Deno.test("types whose key PROTOCOL.md leaves open take any key, or none", () => {
  for (const key of [null, "anything", "agent:alice"]) {
    const result = parseRecord({ topic: "group.g1.observe.audit", key, value: json(audit()) });
    assert.ok(result.ok, String(key));
    assert.equal(result.key, key);
  }
});

Deno.test("a key naming an agent must name the sender, whatever the type", () => {
  const result = parseRecord({
    topic: "group.g1.observe.audit",
    key: "agent:bob",
    value: json(audit()),
  });
  assert.ok(!result.ok);
  assert.equal(result.error.code, "key_mismatch");
  assert.equal(
    result.error.message,
    'Cannot parse record from group.g1.observe.audit: key "agent:bob" names another agent than "sender_id" "alice"',
  );
  // A certificate entry names its agent, but the owner writes it.
  const cert = parseRecord({
    topic: "group.g1.control.roster",
    key: "cert:bob",
    value: goldenBytes("valid/roster_certificate.json"),
  });
  assert.ok(cert.ok);
});

Deno.test("parseRecord refuses topics Kafka would refuse, and keys with a newline", () => {
  const value = json(request());
  for (
    const topic of ["", ".", "..", "group.g1.requests\n", "group g1", "a".repeat(250), "group.g1.ü"]
  ) {
    const result = parseRecord({ topic, key: "t-9", value });
    assert.ok(!result.ok && result.error.code === "invalid_topic", JSON.stringify(topic));
  }
  const other = parseRecord({ topic: "a".repeat(249), key: "t-9", value });
  assert.ok(!other.ok);
  assert.equal(
    other.error.message,
    `Cannot parse record from ${"a".repeat(249)}: topic "${
      "a".repeat(80)
    }…" is not a topic of kafclaw/1`,
  );
  const newline = parseRecord({
    topic: "group.g1.requests",
    key: new TextEncoder().encode("t-9\n"),
    value,
  });
  assert.ok(!newline.ok && newline.error.code === "invalid_key");
  const invalid = parseRecord({ topic: "group.g1.requests", key: new Uint8Array([0xff]), value });
  assert.ok(!invalid.ok && invalid.error.code === "invalid_key");
});

Deno.test("a topic with a newline is quoted in the message", () => {
  const result = parseRecord({ topic: "a\nb", key: null, value: "{}", partition: 0, offset: 1 });
  assert.ok(!result.ok);
  assert.equal(
    result.error.message,
    'Cannot parse record from "a\\nb@0:1": topic "a\\nb" is not a legal topic name',
  );
});

Deno.test("parseRecord passes maxBytes on", () => {
  const result = parseRecord({ topic: "group.g1.requests", key: "t-9", value: json(request()) }, {
    maxBytes: 20,
  });
  assert.ok(!result.ok && result.error.code === "too_large");
});

Deno.test("each type goes only on its own topics", () => {
  const on = (topic: string) => typesForTopic(parseTopic(topic)!);
  assert.deepEqual(on("group.g1.announce"), ["announce"]);
  assert.deepEqual(on("group.g1.control.roster"), ["roster"]);
  assert.deepEqual(on("group.g1.control.onboarding"), ["onboard"]);
  assert.deepEqual(on("group.g1.heartbeats"), ["heartbeat"]);
  assert.deepEqual(on("group.g1.requests"), ["request"]);
  assert.deepEqual(on("group.g1.skill.translate.requests"), ["skill_request"]);
  assert.deepEqual(on("group.g1.agent.bob.inbox"), ["request", "skill_request", "task_status"]);
  assert.deepEqual(on("group.g1.responses"), ["response", "skill_response"]);
  assert.deepEqual(on("group.g1.tasks.status"), ["task_status"]);
  assert.deepEqual(on("group.g1.traces"), ["trace"]);
  assert.deepEqual(on("group.g1.observe.audit"), ["audit"]);
  assert.deepEqual(on("group.g1.memory.shared"), ["memory"]);
  assert.deepEqual(on("group.g1.memory.context"), ["memory"]);
  assert.deepEqual(on("group.g1.orchestrator"), ["orchestrator"]);
  assert.deepEqual(on("group.g1.skills"), ["skill"]);
  assert.deepEqual(on("group.g1.dead-letter"), []);
  assert.deepEqual(on("group.g1.zone.lab.requests"), ["request", "skill_request"]);
  assert.deepEqual(on("group.g1.zone.lab.responses"), ["response", "skill_response"]);
  assert.deepEqual(on("group.g1.zone.lab.tasks.status"), ["task_status"]);
  assert.deepEqual(on("group.g1.zone.lab.traces"), ["trace"]);
  assert.deepEqual(on("group.g1.zone.lab.memory"), ["memory"]);
  assert.deepEqual(on("group.g1.zone.lab.dead-letter"), []);
});

Deno.test("parseRecord refuses a type on another type's topic, naming the type", () => {
  const value = json(audit());
  const result = parseRecord({
    topic: "group.g1.requests",
    key: "t-9",
    value,
    partition: 1,
    offset: 2,
  });
  assert.ok(!result.ok);
  assert.deepEqual(
    { code: result.error.code, path: result.error.path, message: result.error.message },
    {
      code: "wrong_topic",
      path: ["type"],
      message:
        'Cannot parse record from group.g1.requests@1:2: "type" is "audit", which does not go on this topic',
    },
  );
  assert.equal(parseRecord({ topic: "group.g1.observe.audit", key: null, value }).ok, true);
  const deadLetter = parseRecord({ topic: "group.g1.dead-letter", key: null, value });
  assert.ok(!deadLetter.ok && deadLetter.error.code === "wrong_topic");
});

Deno.test("a roster record's key tells its shape: a manifest may carry any field", () => {
  const manifest = goldenJson("valid/roster_manifest.json");
  const later = json({ ...manifest, payload: { ...manifest.payload, revoked: true, cert: 1 } });
  const topic = "group.g1.control.roster";
  const read = parseRecord({ topic, key: MANIFEST_KEY, value: later });
  assert.ok(read.ok, read.ok ? "" : read.error.message);
  assert.equal((read.envelope.payload as Record<string, unknown>).revoked, true);
  // The same fields under a certificate's key are read as a revocation, and refused as one.
  const asCert = parseRecord({ topic, key: certKey("bob"), value: later });
  assert.ok(!asCert.ok);
  assert.deepEqual(asCert.error.path, ["payload", "agent_id"]);
});

Deno.test("a record parsed again by another layer is not parsed again, unless with a limit", () => {
  const record = { topic: "group.g1.requests", key: "t-9", value: json(request()) };
  const first = parseRecord(record);
  assert.equal(first.ok, true);
  // The sender check's parse, then the handler's: the same result, not a second parse.
  assert.equal(parseRecord(record), first);
  // Another record with the same bytes is a record of its own.
  assert.notEqual(parseRecord({ ...record }), first);
  // A smaller limit still judges the bytes, whatever the default parse said.
  const limited = parseRecord(record, { maxBytes: 10 });
  assert.equal(limited.ok ? "parsed" : limited.error.code, "too_large");
});

Deno.test("a layer cannot change the shared parse: the next layer reads the record as sent", () => {
  const delegation = { depth: 1, chain: ["carol"] };
  const record = { topic: "group.g1.requests", key: "t-9", value: json(request({ delegation })) };
  const first = parseRecord(record);
  if (!first.ok) throw new Error(first.error.message);
  // A handler that writes into what it was given (modules are strict: the write throws).
  const envelope = first.envelope as unknown as Record<string, unknown>;
  const payload = envelope.payload as Record<string, unknown>;
  assert.throws(() => (envelope.sender_id = "mallory"), TypeError);
  assert.throws(() => (payload.content = "changed"), TypeError);
  assert.throws(() => delete payload.task_id, TypeError);
  assert.throws(() => (payload.delegation as { chain: string[] }).chain.push("mallory"), TypeError);
  assert.throws(() => ((payload.delegation as { depth: number }).depth = 0), TypeError);
  const second = parseRecord(record);
  assert.ok(second.ok);
  assert.equal(second.envelope.sender_id, "alice");
  assert.equal(second.envelope.type === "request" && second.envelope.payload.content, "c");
  assert.deepEqual(
    second.envelope.type === "request" && second.envelope.payload.delegation,
    delegation,
  );
  // A refusal is shared too, and as fixed.
  const bad = parseRecord({ topic: "group.g1.requests", key: "t-9", value: "{}" });
  assert.ok(!bad.ok);
  assert.ok(Object.isFrozen(bad.error));
});

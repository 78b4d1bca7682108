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
  recordKey,
  requiredKey,
  skillKey,
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
  assert.equal(parseRecord({ topic: "a".repeat(249), key: "t-9", value }).ok, true);
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

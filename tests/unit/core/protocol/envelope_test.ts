import assert from "node:assert/strict";
import {
  applyGoAliases,
  ENVELOPE_TYPES,
  type EnvelopeOf,
  isEnvelopeType,
  parseEnvelope,
  PAYLOAD_SCHEMAS,
  rosterShape,
  validateEnvelope,
} from "../../../../core/protocol/mod.ts";
import { audit, goldenJson, json, request } from "./_helpers.ts";

function parsed(value: unknown) {
  const result = parseEnvelope(json(value));
  assert.ok(result.ok, result.ok ? "" : result.error.message);
  return result.envelope;
}

/** The payload of an envelope, as plain fields. */
function payloadOf(envelope: { payload: unknown }): Record<string, unknown> {
  return envelope.payload as Record<string, unknown>;
}

function refused(value: unknown) {
  const result = validateEnvelope(value);
  assert.ok(!result.ok, "accepted");
  return result.error;
}

Deno.test("a request from a simple foreign sender gets the stated defaults", () => {
  const envelope = parsed(request()) as EnvelopeOf<"request">;
  assert.equal(envelope.payload.attempt, 1);
  assert.deepEqual(envelope.payload.delegation, { depth: 0, chain: [] });
  assert.equal(envelope.payload.original_requester_id, "alice");
  assert.equal(envelope.payload.arbiter, "none");
  assert.equal("deadline_at" in envelope.payload, false);
  assert.equal("budget" in envelope.payload.delegation, false);
});

Deno.test("defaults are fresh objects, never shared between records", () => {
  const first = parsed(request()) as EnvelopeOf<"request">;
  first.payload.delegation.chain.push("mallory");
  const second = parsed(request()) as EnvelopeOf<"request">;
  assert.deepEqual(second.payload.delegation.chain, []);
});

Deno.test("delegation_depth is read as delegation.depth", () => {
  const envelope = parsed(request({ delegation_depth: 2 })) as EnvelopeOf<"request">;
  assert.deepEqual(envelope.payload.delegation, { depth: 2, chain: [] });
  assert.equal("delegation_depth" in envelope.payload, false);
  const skill = parsed({
    ...request({ delegation_depth: 1 }),
    type: "skill_request",
  }) as EnvelopeOf<"skill_request">;
  assert.equal(skill.payload.delegation.depth, 1);
});

Deno.test("an alias beside the field it stands for stays an unknown field", () => {
  const envelope = parsed(
    request({ delegation_depth: 2, delegation: { depth: 1, chain: ["carol"] } }),
  );
  assert.deepEqual(payloadOf(envelope).delegation, { depth: 1, chain: ["carol"] });
  assert.equal(payloadOf(envelope).delegation_depth, 2);
  const status = applyGoAliases("task_status", {
    worker_id: "bob",
    responder_id: "carol",
    status: "failed",
  });
  assert.deepEqual(status, { worker_id: "bob", responder_id: "carol", status: "failed" });
});

Deno.test("a bad delegation_depth is reported at the field it stands for", () => {
  const error = refused(request({ delegation_depth: -1 }));
  assert.deepEqual([error.code, error.path], ["invalid_value", ["payload", "delegation", "depth"]]);
});

Deno.test("task_status reads responder_id as worker_id and accepted as claimed", () => {
  const value = goldenJson("valid/task_status.json");
  const { worker_id: _, ...payload } = value.payload;
  const envelope = parsed({
    ...value,
    payload: { ...payload, responder_id: "bob", status: "accepted" },
  });
  assert.equal(payloadOf(envelope).worker_id, "bob");
  assert.equal(payloadOf(envelope).status, "claimed");
  assert.equal("responder_id" in envelope.payload, false);
  // Only in task_status: a response keeps its responder_id, and "accepted" means nothing there.
  assert.deepEqual(applyGoAliases("response", { responder_id: "bob", status: "accepted" }), {
    responder_id: "bob",
    status: "accepted",
  });
});

Deno.test("unknown fields are kept, at the top and in the payload", () => {
  const envelope = parsed(
    audit({ extension: { a: [1] }, payload: { ...audit().payload as object, later: true } }),
  );
  assert.deepEqual((envelope as Record<string, unknown>).extension, { a: [1] });
  assert.equal(payloadOf(envelope).later, true);
});

Deno.test("a __proto__ key is dropped and never becomes a prototype", () => {
  const result = parseEnvelope(
    '{"type":"audit","correlation_id":"a","sender_id":"alice","timestamp":"2026-01-15T10:00:00Z",' +
      '"__proto__":{"polluted":1},"payload":{"event_type":"poison_record","detail":"x","agent_id":"alice",' +
      '"__proto__":{"polluted":1}}}',
  );
  assert.ok(result.ok);
  assert.equal(Object.getPrototypeOf(result.envelope), Object.prototype);
  assert.equal(Object.getPrototypeOf(result.envelope.payload), Object.prototype);
  assert.equal((result.envelope as Record<string, unknown>).polluted, undefined);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

Deno.test("the source appears in messages; without one it is left out", () => {
  const withSource = parseEnvelope(json(audit({ timestamp: "yesterday" })), {
    source: "group.g1.requests@3:17",
  });
  assert.ok(!withSource.ok);
  assert.equal(
    withSource.error.message,
    'Cannot parse envelope from group.g1.requests@3:17: "timestamp" is not RFC 3339 with an offset',
  );
  const without = parseEnvelope("{}");
  assert.ok(!without.ok);
  assert.equal(without.error.message, 'Cannot parse envelope: "type" is missing');
});

Deno.test("parseEnvelope takes a maxBytes option", () => {
  const text = json(audit());
  assert.equal(parseEnvelope(text, { maxBytes: text.length }).ok, true);
  const result = parseEnvelope(text, { maxBytes: 10 });
  assert.ok(!result.ok && result.error.code === "too_large");
});

Deno.test("the value must be an object with a known string type", () => {
  for (const value of [null, 1, "x", [], true]) assert.equal(refused(value).code, "wrong_type");
  assert.equal(refused(audit({ type: 7 })).code, "wrong_type");
  assert.equal(refused(audit({ type: "toString" })).code, "unknown_type");
  assert.equal(refused(audit({ type: "__proto__" })).code, "unknown_type");
});

Deno.test("isEnvelopeType knows every type and nothing else", () => {
  for (const type of ENVELOPE_TYPES) assert.equal(isEnvelopeType(type), true);
  assert.equal(ENVELOPE_TYPES.length, 14);
  assert.equal(isEnvelopeType("constructor"), false);
  assert.deepEqual(Object.keys(PAYLOAD_SCHEMAS), [...ENVELOPE_TYPES]);
});

Deno.test("a task record's correlation_id must be its task_id", () => {
  const error = refused({ ...request(), correlation_id: "other" });
  assert.deepEqual([error.code, error.path], ["invalid_value", ["correlation_id"]]);
});

Deno.test("a heartbeat is for its sender only", () => {
  const value = goldenJson("valid/heartbeat.json");
  const error = refused({ ...value, sender_id: "mallory" });
  assert.deepEqual([error.code, error.path], ["invalid_value", ["payload", "agent_id"]]);
  assert.match(error.message, /"payload.agent_id" must equal "sender_id"/);
});

Deno.test("optional envelope fields are checked when present", () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ trace_id: "4bf92f3577b34da6a3ce929d0e0e473" }, "trace_id"],
    [{ trace_id: "0".repeat(32) }, "trace_id"],
    [{ span_id: "00F067AA0BA902B7" }, "span_id"],
    [{ parent_span_id: "" }, "parent_span_id"],
    [{ taint: "TRUSTED" }, "taint"],
    [{ protocol: "" }, "protocol"],
    [{ correlation_id: "" }, "correlation_id"],
  ];
  for (const [changes, field] of cases) {
    const error = refused(audit(changes));
    assert.deepEqual([error.code, error.path], ["invalid_value", [field]], json(changes));
  }
  assert.equal(refused(audit({ trace_id: 5 })).code, "wrong_type");
  const ok = parsed(
    audit({ taint: "trusted", span_id: "00f067aa0ba902b7", protocol: "kafclaw/1" }),
  );
  assert.equal(ok.taint, "trusted");
});

Deno.test("the roster's shape follows its key, or else its fields", () => {
  assert.equal(rosterShape({ revoked: true, cert: "x" }), "revocation");
  assert.equal(rosterShape({ cert: "x", agent_id: "bob" }), "certificate");
  assert.equal(rosterShape({ cert: "x" }), "manifest");
  assert.equal(rosterShape({ group_name: "g1" }), "manifest");
  assert.equal(rosterShape({ revoked: true, cert: "x" }, "manifest"), "manifest");
  assert.equal(rosterShape({ revoked: true }, "cert:bob"), "revocation");
  assert.equal(rosterShape({ group_name: "g1" }, "cert:bob"), "certificate");
  assert.equal(rosterShape({ revoked: true }, "other"), "revocation");
  const value = goldenJson("valid/roster_revocation.json");
  const error = refused({ ...value, payload: { agent_id: "mallory", revoked: false, reason: "" } });
  assert.deepEqual([error.code, error.path], ["invalid_value", ["payload", "revoked"]]);
  const manifest = refused({ ...value, payload: { group_name: "g_1" } });
  assert.deepEqual(manifest.path, ["payload", "group_name"]);
});

Deno.test("each onboarding step needs the fields the next one works with", () => {
  const value = goldenJson("valid/onboard_request.json");
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ action: "onboard_request", requester_id: "dave" }, "public_key"],
    [{ action: "onboard_challenge", requester_id: "dave", sponsor_id: "alice" }, "challenge"],
    [{ action: "onboard_response", requester_id: "dave", sponsor_id: "alice" }, "response"],
    [{ action: "onboard_complete", requester_id: "dave" }, "certificate"],
  ];
  for (const [payload, field] of cases) {
    const error = refused({ ...value, payload });
    assert.deepEqual(
      [error.code, error.path],
      ["missing_field", ["payload", field]],
      json(payload),
    );
    assert.match(error.message, new RegExp(`required when "action" is "${payload.action}"`));
  }
  const challenge = parsed({
    ...value,
    payload: {
      action: "onboard_challenge",
      requester_id: "dave",
      sponsor_id: "alice",
      challenge: "q83v",
    },
  });
  assert.equal(payloadOf(challenge).challenge, "q83v");
});

Deno.test("orchestrator actions need their node, zone or member fields", () => {
  const value = goldenJson("valid/orchestrator_node.json");
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ action: "node" }, "node"],
    [{ action: "zone" }, "zone"],
    [{ action: "zone_join_approve", zone_id: "lab" }, "agent_id"],
    [{ action: "zone_join_deny", agent_id: "carol" }, "zone_id"],
  ];
  for (const [payload, field] of cases) {
    const error = refused({ ...value, payload });
    assert.deepEqual(
      [error.code, error.path],
      ["missing_field", ["payload", field]],
      json(payload),
    );
  }
  assert.equal(refused({ ...value, payload: { action: "discover" } }).code, "invalid_value");
});

Deno.test("memory parts are numbered below their count, and content is text or an LFS pointer", () => {
  const value = goldenJson("valid/memory_part_lfs.json");
  const beyond = refused({ ...value, payload: { ...value.payload, part: 3, parts: 3 } });
  assert.deepEqual([
    beyond.path,
    beyond.message.endsWith('"payload.part" must be less than "parts"'),
  ], [
    ["payload", "part"],
    true,
  ]);
  const onlyParts = refused({ ...value, payload: { ...value.payload, part: undefined, parts: 3 } });
  assert.deepEqual(onlyParts.path, ["payload", "part"]);
  const pointer = refused({
    ...value,
    payload: { ...value.payload, content: { kfs_lfs: 1, bucket: "b" } },
  });
  assert.deepEqual([pointer.code, pointer.path], ["missing_field", ["payload", "content", "key"]]);
  const item = refused({ ...value, payload: { ...value.payload, item_id: "a#b" } });
  assert.deepEqual(item.path, ["payload", "item_id"]);
});

Deno.test("a trace's parent span is a span id or empty for a root span", () => {
  const value = goldenJson("valid/trace.json");
  assert.equal(
    parsed({ ...value, payload: { ...value.payload, parent_span_id: "b7ad6b7169203331" } }).type,
    "trace",
  );
  const error = refused({ ...value, payload: { ...value.payload, parent_span_id: "xyz" } });
  assert.deepEqual([error.code, error.path], ["invalid_value", ["payload", "parent_span_id"]]);
  assert.match(
    error.message,
    /"payload.parent_span_id" is not a span id \(16 lower-case hex digits, or "" for a root span\)/,
  );
  const wrong = refused({ ...value, payload: { ...value.payload, parent_span_id: 7 } });
  assert.equal(wrong.code, "wrong_type");
});

Deno.test("expertise is keyed by skill names", () => {
  const value = goldenJson("valid/heartbeat.json");
  const error = refused({
    ...value,
    payload: { ...value.payload, expertise: { "Web Search": 0.5 } },
  });
  assert.deepEqual([error.code, error.path], ["invalid_value", [
    "payload",
    "expertise",
    "Web Search",
  ]]);
  assert.match(error.message, /key "payload.expertise.Web Search" is not an id/);
});

Deno.test("every payload schema refuses an empty object with missing_field", () => {
  for (const type of ENVELOPE_TYPES) {
    const error = refused({ ...audit(), type, payload: {} });
    assert.equal(error.code, "missing_field", type);
    assert.equal(error.path[0], "payload", type);
  }
});

Deno.test("__proto__ keys are kept as fields at any depth, and never become a prototype", () => {
  const text = `{"type":"skill","correlation_id":"s","sender_id":"alice",` +
    `"timestamp":"2026-01-15T10:00:00Z","__proto__":{"taint":"trusted"},` +
    `"payload":{"skill":"x","__proto__":7,"providers":[{"agent_id":"alice","zones":[],` +
    `"since":"2026-01-15T10:00:00Z","__proto__":{"agent_id":"mallory"}}]}}`;
  for (const envelope of [parseEnvelope(text), validateEnvelope(JSON.parse(text))]) {
    assert.ok(envelope.ok, envelope.ok ? "" : envelope.error.message);
    const { envelope: e } = envelope as { envelope: Record<string, unknown> & EnvelopeOf<"skill"> };
    const provider = e.payload.providers[0]!;
    for (const object of [e, e.payload, provider]) {
      assert.equal(Object.getPrototypeOf(object), Object.prototype);
      assert.ok(Object.hasOwn(object, "__proto__"));
    }
    assert.equal(e.taint, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(e, "__proto__")?.value, { taint: "trusted" });
    assert.equal(Object.getOwnPropertyDescriptor(e.payload, "__proto__")?.value, 7);
    assert.equal(provider.agent_id, "alice");
    assert.equal(JSON.parse(JSON.stringify(e)).payload.providers[0].__proto__.agent_id, "mallory");
  }
});

/** The `skill` state records: their shape and key on the wire, and the directory read from them. */
import assert from "node:assert/strict";
import {
  SkillDirectory,
  skillRecord,
  withoutProvider,
  withProvider,
} from "../../../../core/group/mod.ts";
import { type EnvelopeOf, parseRecord, topicsFor } from "../../../../core/protocol/mod.ts";

const since = "2026-12-04T10:00:00.000Z";
const ben = { agent_id: "ben", zones: ["public"], since };
const cy = { agent_id: "cy", zones: ["public", "ops"], since };

function parsed(record: ReturnType<typeof skillRecord>): EnvelopeOf<"skill"> {
  const result = parseRecord({ ...record, partition: 0, offset: 0 });
  assert.ok(result.ok, result.ok ? "" : result.error.message);
  return result.envelope as EnvelopeOf<"skill">;
}

Deno.test("a skill record goes on the skills topic keyed skill:<name>, its providers sorted", () => {
  const record = skillRecord("g1", "cy", { name: "sql", providers: [cy, ben] }, new Date(since));
  assert.equal(record.topic, topicsFor("g1").skills);
  assert.equal(record.key, "skill:sql");
  const envelope = parsed(record);
  assert.equal(envelope.sender_id, "cy");
  assert.deepEqual(envelope.payload, { skill: "sql", providers: [ben, cy] });
});

Deno.test("a skill record with another skill's key is refused by readers", () => {
  const record = skillRecord("g1", "cy", { name: "sql", providers: [cy] });
  const result = parseRecord({ ...record, key: "skill:etl", partition: 0, offset: 0 });
  assert.equal(result.ok, false);
});

Deno.test("the directory keeps each skill's latest record and tells its listeners", () => {
  const directory = new SkillDirectory();
  const heard: string[] = [];
  directory.listen((skill, providers) => heard.push(`${skill}:${providers.length}`));
  directory.apply(parsed(skillRecord("g1", "ben", { name: "sql", providers: [ben] })));
  directory.apply(parsed(skillRecord("g1", "cy", { name: "etl", providers: [cy] })));
  directory.apply(parsed(skillRecord("g1", "cy", { name: "sql", providers: [ben, cy] })));
  assert.deepEqual(directory.providers("sql").map((p) => p.agent_id), ["ben", "cy"]);
  assert.deepEqual(directory.providers("nope"), []);
  assert.deepEqual(directory.all(), [
    { skill: "etl", providers: ["cy"] },
    { skill: "sql", providers: ["ben", "cy"] },
  ]);
  assert.deepEqual(heard, ["sql:1", "etl:1", "sql:2"]);
});

Deno.test("an agent's entry is replaced, not doubled, and removed by id", () => {
  const later = { ...ben, since: "2026-12-04T11:00:00.000Z" };
  assert.deepEqual(withProvider([ben, cy], later), [cy, later]);
  assert.deepEqual(withoutProvider([ben, cy], "ben"), [cy]);
  assert.deepEqual(withoutProvider([cy], "ben"), [cy]);
});

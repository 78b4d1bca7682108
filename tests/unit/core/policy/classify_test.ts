import assert from "node:assert/strict";
import {
  canAskOwner,
  classifyMessage,
  identity,
  INTERNAL_CHANNELS,
  isSenderAllowed,
} from "../../../../core/policy/mod.ts";

const owners = ["telegram:42", "slack:U1"];

Deno.test("the terminal, the scheduler and listed owners are internal", () => {
  assert.deepEqual(INTERNAL_CHANNELS, ["cli", "scheduler"]);
  assert.equal(classifyMessage({ channel: "cli", sender: "anyone" }, { owners: [] }), "internal");
  assert.equal(
    classifyMessage({ channel: "scheduler", sender: "job" }, { owners: [] }),
    "internal",
  );
  assert.equal(classifyMessage({ channel: "telegram", sender: "42" }, { owners }), "internal");
  assert.equal(classifyMessage({ channel: "slack", sender: "U1" }, { owners }), "internal");
});

Deno.test("anyone else is external, matched by channel and sender together", () => {
  assert.equal(classifyMessage({ channel: "telegram", sender: "43" }, { owners }), "external");
  assert.equal(classifyMessage({ channel: "slack", sender: "42" }, { owners }), "external");
  assert.equal(classifyMessage({ channel: "web", sender: "" }, { owners }), "external");
});

Deno.test("another agent's task is external unless its certificate says vouched", () => {
  assert.equal(classifyMessage({ channel: "group", sender: "agent-b" }, { owners }), "external");
  assert.equal(
    classifyMessage({ channel: "group", sender: "agent-b", vouched: false }, { owners }),
    "external",
  );
  assert.equal(
    classifyMessage({ channel: "group", sender: "agent-b", vouched: true }, { owners }),
    "internal",
  );
});

Deno.test("an empty allowlist lets everyone talk; a non-empty one only its members and owners", () => {
  const open = { owners, allowedSenders: [] };
  assert.equal(isSenderAllowed({ channel: "web", sender: "x" }, open), true);
  const closed = { owners, allowedSenders: ["whatsapp:+491"] };
  assert.equal(isSenderAllowed({ channel: "whatsapp", sender: "+491" }, closed), true);
  assert.equal(isSenderAllowed({ channel: "whatsapp", sender: "+492" }, closed), false);
  assert.equal(isSenderAllowed({ channel: "telegram", sender: "42" }, closed), true);
  assert.equal(isSenderAllowed({ channel: "cli", sender: "me" }, closed), true);
});

Deno.test("an owner can be asked at the terminal or through a configured owner channel", () => {
  assert.equal(canAskOwner("cli", { owners: [] }), true);
  assert.equal(canAskOwner("scheduler", { owners: [] }), false);
  assert.equal(canAskOwner("telegram", { owners: ["telegram:42"] }), true);
  assert.equal(identity("slack", "U1"), "slack:U1");
});

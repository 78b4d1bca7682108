/** Who may talk to the agent on a channel: owners always, others by dmPolicy. */
import assert from "node:assert/strict";
import { accessOf } from "../../../channels/mod.ts";
import type { DmPolicy } from "../../../core/config/mod.ts";

const ask = (dmPolicy: DmPolicy, sender: string, more: { paired?: boolean } = {}) =>
  accessOf({
    channel: "telegram",
    sender,
    dmPolicy,
    allowFrom: ["42"],
    owners: ["telegram:1", "discord:7"],
    paired: more.paired ?? false,
  });

Deno.test("each dmPolicy decides for the listed, the paired and everyone else; owners always pass", () => {
  const table: [DmPolicy, string, string, string, string][] = [
    // policy, owner, listed, paired, stranger
    ["allowlist", "answer", "answer", "ignore", "ignore"],
    ["pairing", "answer", "answer", "answer", "pair"],
    ["open", "answer", "answer", "answer", "answer"],
    ["disabled", "answer", "ignore", "ignore", "ignore"],
  ];
  for (const [policy, owner, listed, paired, stranger] of table) {
    assert.equal(ask(policy, "1"), owner, `${policy}: owner`);
    assert.equal(ask(policy, "42"), listed, `${policy}: listed`);
    assert.equal(ask(policy, "99", { paired: true }), paired, `${policy}: paired`);
    assert.equal(ask(policy, "99"), stranger, `${policy}: stranger`);
  }
});

Deno.test("an owner on another channel is a stranger here", () => {
  assert.equal(ask("allowlist", "7"), "ignore");
});

Deno.test("allowFrom * lets everyone in", () => {
  const decided = accessOf({
    channel: "telegram",
    sender: "5",
    dmPolicy: "allowlist",
    allowFrom: ["*"],
    owners: [],
    paired: false,
  });
  assert.equal(decided, "answer");
});

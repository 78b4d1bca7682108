import assert from "node:assert/strict";
import {
  type Action,
  decide,
  DECISION_CODES,
  type DecisionCode,
  type MessageType,
  type Taint,
} from "../../../../core/policy/mod.ts";

/** Short names for the table below: action + code. */
const CELLS: Record<string, [Action, DecisionCode]> = {
  A0: ["allow", "tier0_always_allowed"],
  AI: ["allow", "internal_within_auto_tier"],
  AE: ["allow", "external_within_max_tier"],
  DS: ["deny", "sender_not_allowed"],
  DN: ["deny", "no_owner_to_ask"],
  QT: ["ask", "tainted_needs_approval"],
  QI: ["ask", "internal_above_auto_tier"],
  QE: ["ask", "external_above_max_tier"],
  QA: ["ask", "tool_needs_approval"],
};

/**
 * The expected decision for every combination, written out by hand: per settings (maxAutoTier /
 * externalMaxTier), message type, taint, whether the sender is allowed, and whether an owner can be
 * asked, the cells for tier 0, 1 and 2.
 */
const TABLE = `
auto=1 ext=0 | internal trusted   allowed owner   | A0 AI QI
auto=1 ext=0 | internal trusted   allowed noowner | A0 AI DN
auto=1 ext=0 | internal trusted   denied  owner   | DS DS DS
auto=1 ext=0 | internal trusted   denied  noowner | DS DS DS
auto=1 ext=0 | internal untrusted allowed owner   | A0 QT QT
auto=1 ext=0 | internal untrusted allowed noowner | A0 DN DN
auto=1 ext=0 | internal untrusted denied  owner   | DS DS DS
auto=1 ext=0 | internal untrusted denied  noowner | DS DS DS
auto=1 ext=0 | external trusted   allowed owner   | A0 QE QE
auto=1 ext=0 | external trusted   allowed noowner | A0 DN DN
auto=1 ext=0 | external trusted   denied  owner   | DS DS DS
auto=1 ext=0 | external trusted   denied  noowner | DS DS DS
auto=1 ext=0 | external untrusted allowed owner   | A0 QT QT
auto=1 ext=0 | external untrusted allowed noowner | A0 DN DN
auto=1 ext=0 | external untrusted denied  owner   | DS DS DS
auto=1 ext=0 | external untrusted denied  noowner | DS DS DS

auto=2 ext=0 | internal trusted   allowed owner   | A0 AI AI
auto=2 ext=0 | internal trusted   allowed noowner | A0 AI AI
auto=2 ext=0 | internal trusted   denied  owner   | DS DS DS
auto=2 ext=0 | internal trusted   denied  noowner | DS DS DS
auto=2 ext=0 | internal untrusted allowed owner   | A0 QT QT
auto=2 ext=0 | internal untrusted allowed noowner | A0 DN DN
auto=2 ext=0 | internal untrusted denied  owner   | DS DS DS
auto=2 ext=0 | internal untrusted denied  noowner | DS DS DS
auto=2 ext=0 | external trusted   allowed owner   | A0 QE QE
auto=2 ext=0 | external trusted   allowed noowner | A0 DN DN
auto=2 ext=0 | external trusted   denied  owner   | DS DS DS
auto=2 ext=0 | external trusted   denied  noowner | DS DS DS
auto=2 ext=0 | external untrusted allowed owner   | A0 QT QT
auto=2 ext=0 | external untrusted allowed noowner | A0 DN DN
auto=2 ext=0 | external untrusted denied  owner   | DS DS DS
auto=2 ext=0 | external untrusted denied  noowner | DS DS DS

auto=2 ext=2 | internal trusted   allowed owner   | A0 AI AI
auto=2 ext=2 | internal trusted   allowed noowner | A0 AI AI
auto=2 ext=2 | internal trusted   denied  owner   | DS DS DS
auto=2 ext=2 | internal trusted   denied  noowner | DS DS DS
auto=2 ext=2 | internal untrusted allowed owner   | A0 QT QT
auto=2 ext=2 | internal untrusted allowed noowner | A0 DN DN
auto=2 ext=2 | internal untrusted denied  owner   | DS DS DS
auto=2 ext=2 | internal untrusted denied  noowner | DS DS DS
auto=2 ext=2 | external trusted   allowed owner   | A0 AE AE
auto=2 ext=2 | external trusted   allowed noowner | A0 AE AE
auto=2 ext=2 | external trusted   denied  owner   | DS DS DS
auto=2 ext=2 | external trusted   denied  noowner | DS DS DS
auto=2 ext=2 | external untrusted allowed owner   | A0 QT QT
auto=2 ext=2 | external untrusted allowed noowner | A0 DN DN
auto=2 ext=2 | external untrusted denied  owner   | DS DS DS
auto=2 ext=2 | external untrusted denied  noowner | DS DS DS

auto=0 ext=1 | internal trusted   allowed owner   | A0 QI QI
auto=0 ext=1 | internal trusted   allowed noowner | A0 DN DN
auto=0 ext=1 | internal trusted   denied  owner   | DS DS DS
auto=0 ext=1 | internal trusted   denied  noowner | DS DS DS
auto=0 ext=1 | internal untrusted allowed owner   | A0 QT QT
auto=0 ext=1 | internal untrusted allowed noowner | A0 DN DN
auto=0 ext=1 | internal untrusted denied  owner   | DS DS DS
auto=0 ext=1 | internal untrusted denied  noowner | DS DS DS
auto=0 ext=1 | external trusted   allowed owner   | A0 AE QE
auto=0 ext=1 | external trusted   allowed noowner | A0 AE DN
auto=0 ext=1 | external trusted   denied  owner   | DS DS DS
auto=0 ext=1 | external trusted   denied  noowner | DS DS DS
auto=0 ext=1 | external untrusted allowed owner   | A0 QT QT
auto=0 ext=1 | external untrusted allowed noowner | A0 DN DN
auto=0 ext=1 | external untrusted denied  owner   | DS DS DS
auto=0 ext=1 | external untrusted denied  noowner | DS DS DS
`;

function parseTable(): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of TABLE.trim().split("\n")) {
    if (line.trim() === "") continue;
    const [settings, situation, cells] = line.split("|").map((part) => part.trim().split(/\s+/));
    const key = [...settings!, ...situation!].join(" ");
    assert.ok(!rows.has(key), `duplicate row ${key}`);
    assert.equal(cells!.length, 3, `row ${key} needs a cell per tier`);
    rows.set(key, cells!);
  }
  return rows;
}

Deno.test("decide answers the expected table for every tier x type x taint x allowlist x owner", () => {
  const table = parseTable();
  let checked = 0;
  for (const [auto, ext] of [[1, 0], [2, 0], [2, 2], [0, 1]] as const) {
    for (const messageType of ["internal", "external"] as MessageType[]) {
      for (const taint of ["trusted", "untrusted"] as Taint[]) {
        for (const senderAllowed of [true, false]) {
          for (const ownerReachable of [true, false]) {
            const key = `auto=${auto} ext=${ext} ${messageType} ${taint} ` +
              `${senderAllowed ? "allowed" : "denied"} ${ownerReachable ? "owner" : "noowner"}`;
            const cells = table.get(key);
            assert.ok(cells, `the table has no row ${key}`);
            for (const tier of [0, 1, 2]) {
              const decision = decide(
                {
                  tool: "t",
                  tier,
                  messageType,
                  channel: "telegram",
                  sender: "42",
                  taint,
                  senderAllowed,
                  ownerReachable,
                },
                { maxAutoTier: auto, externalMaxTier: ext, owners: [] },
              );
              const expected: [Action, DecisionCode] = CELLS[cells[tier]!]!;
              assert.deepEqual(
                [decision.action, decision.code],
                expected,
                `${key} tier ${tier}`,
              );
              checked++;
            }
          }
        }
      }
    }
  }
  assert.equal(checked, table.size * 3);
  assert.equal(checked, 4 * 2 * 2 * 2 * 2 * 3);
});

const base = {
  tool: "exec",
  tier: 2,
  messageType: "internal" as const,
  channel: "cli",
  sender: "me",
  taint: "trusted" as const,
  senderAllowed: true,
};
const defaults = { maxAutoTier: 1, externalMaxTier: 0, owners: [] };

Deno.test("decide explains itself in a sentence the model can read", () => {
  const reason = (input: Partial<typeof base> & Record<string, unknown>, settings = defaults) =>
    decide({ ...base, ...input }, settings).reason;
  assert.equal(
    reason({ taint: "untrusted" as never }),
    "Policy: exec (tier 2) needs the owner's approval because this turn read untrusted content",
  );
  assert.equal(
    reason({}),
    "Policy: exec (tier 2) needs the owner's approval because only tools up to tier 1 run without approval",
  );
  assert.equal(
    reason({ tool: "write_file", tier: 1 }),
    "Policy: write_file (tier 1) is allowed: the owner's messages use tools up to tier 1",
  );
  assert.equal(
    reason({ tool: "read_file", tier: 0, taint: "untrusted" as never }),
    "Policy: read_file (tier 0) is allowed: read-only tools always are",
  );
  assert.equal(
    reason({ senderAllowed: false, channel: "slack", sender: "U1" }),
    'Policy: exec (tier 2) is denied because "slack:U1" is not on the list of allowed senders',
  );
  assert.equal(
    reason({ messageType: "external" as never, channel: "slack", tier: 1 }),
    "Policy: exec (tier 1) is denied: it needs the owner's approval because messages from others " +
      "use tools up to tier 0 only, and no owner channel is configured to ask",
  );
  assert.equal(
    reason({ messageType: "external" as never, channel: "slack", tier: 1 }, {
      ...defaults,
      externalMaxTier: 1,
    }),
    "Policy: exec (tier 1) is allowed: messages from others use tools up to tier 1",
  );
});

Deno.test("decide asks the terminal or a configured owner, and denies when nobody can answer", () => {
  const internalAbove = { ...base, channel: "scheduler" };
  assert.equal(decide(internalAbove, defaults).code, "no_owner_to_ask");
  assert.equal(decide(internalAbove, { ...defaults, owners: ["telegram:1"] }).action, "ask");
  assert.equal(decide(base, defaults).action, "ask", "the owner is at the terminal");
});

Deno.test("decide fails closed on input that is not what the types say", () => {
  const odd = (input: Record<string, unknown>) =>
    decide({ ...base, ...input } as never, { ...defaults, maxAutoTier: 2 });
  assert.equal(odd({ tier: 7 }).reason.startsWith("Policy: exec (tier 2)"), true);
  assert.equal(odd({ tier: -1, messageType: "owner" }).code, "external_above_max_tier");
  assert.equal(odd({ tier: "0" }).code, "internal_within_auto_tier");
  assert.equal(odd({ tier: 1, taint: "TRUSTED" }).code, "tainted_needs_approval");
  assert.equal(odd({ tier: 0, senderAllowed: "true" }).code, "sender_not_allowed");
  assert.equal(odd({ tier: 1, ownerReachable: "yes", taint: undefined }).code, "no_owner_to_ask");
  assert.equal(
    odd({ tool: "", tier: 0 }).reason,
    "Policy: the tool (tier 0) is allowed: read-only tools always are",
  );
  assert.equal(odd({ tool: 5, tier: 0 }).reason.startsWith("Policy: the tool"), true);
  assert.equal(
    odd({ tool: "x".repeat(100), tier: 0 }).reason.includes(`${"x".repeat(61)}... (tier 0)`),
    true,
  );
  assert.equal(
    decide({ ...base, tier: 1 }, { ...defaults, maxAutoTier: NaN }).code,
    "internal_above_auto_tier",
  );
  for (const input of [null, undefined, 3, "exec"]) {
    assert.equal(decide(input as never, defaults).code, "sender_not_allowed");
  }
  assert.equal(
    decide({ ...base, senderAllowed: false, sender: Symbol("s") } as never, defaults).reason,
    'Policy: exec (tier 2) is denied because "cli:Symbol(s)" is not on the list of allowed senders',
  );
});

Deno.test("a tool that always needs approval is asked for at every tier, whoever asks; the allowlist still comes first", () => {
  const settings = { maxAutoTier: 2, externalMaxTier: 2, owners: [] };
  const why = "soul files change only with the owner's approval";
  for (const tier of [0, 1, 2]) {
    for (const messageType of ["internal", "external"] as const) {
      for (const taint of ["trusted", "untrusted"] as const) {
        const input = {
          tool: "update_soul_file",
          tier,
          messageType,
          channel: "cli",
          sender: "me",
          taint,
          senderAllowed: true,
          toolApproval: why,
          ownerReachable: true,
        };
        const asked = decide(input, settings);
        assert.deepEqual([asked.action, asked.code], CELLS.QA);
        assert.equal(
          asked.reason,
          `Policy: update_soul_file (tier ${tier}) needs the owner's approval because ${why}`,
        );
        const alone = decide({ ...input, ownerReachable: false }, settings);
        assert.deepEqual([alone.action, alone.code], CELLS.DN);
        assert.match(alone.reason, /because soul files change only .* no owner channel/);
        assert.deepEqual(
          decide({ ...input, senderAllowed: false }, settings).code,
          "sender_not_allowed",
        );
        // Without a reason the tool is decided like any other.
        assert.notEqual(
          decide({ ...input, toolApproval: "" }, settings).code,
          "tool_needs_approval",
        );
      }
    }
  }
});

Deno.test("every decision code is reachable and listed once", () => {
  assert.equal(new Set(DECISION_CODES).size, DECISION_CODES.length);
  assert.deepEqual(
    new Set(Object.values(CELLS).map(([, code]) => code)),
    new Set(DECISION_CODES),
  );
});

import assert from "node:assert/strict";
import { seededRandom } from "../../../../core/transport/mod.ts";
import { fuzzPolicy } from "../../../fuzz/policy_fuzz.ts";

Deno.test("no planted secret survives redaction and decide never throws or fails open", () => {
  const summary = fuzzPolicy(seededRandom(20260701), 1500);
  assert.equal(summary.iterations, 1500);
  for (const kind of ["openai", "pem", "telegram", "known_base64", "password_json", "bearer"]) {
    assert.ok((summary.planted[kind] ?? 0) > 0, `no ${kind} planted`);
  }
  for (const action of ["allow", "deny", "ask"]) {
    assert.ok((summary.actions[action] ?? 0) > 0, `no ${action} seen`);
  }
});

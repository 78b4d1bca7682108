import assert from "node:assert/strict";
import { seededRandom } from "../../../../core/transport/mod.ts";
import { fuzzProtocol } from "../../../fuzz/protocol_fuzz.ts";

Deno.test("parsing never throws on mutated golden records or random bytes", () => {
  const summary = fuzzProtocol(seededRandom(20260115), 3000);
  assert.equal(summary.iterations, 3000);
  assert.ok(summary.accepted > 0, "nothing parsed");
  for (const code of ["invalid_json", "duplicate_key", "too_deep", "invalid_utf8", "too_large"]) {
    assert.ok((summary.refused[code] ?? 0) > 0, `no ${code} seen`);
  }
});

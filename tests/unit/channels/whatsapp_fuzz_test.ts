/** A fixed-seed round of the WhatsApp webhook's fuzz target (tests/fuzz/whatsapp_fuzz.ts). */
import assert from "node:assert/strict";
import { seededRandom } from "../../../core/transport/mod.ts";
import { fuzzWhatsApp } from "../../fuzz/whatsapp_fuzz.ts";

Deno.test("broken notifications are refused with a TypeError and no forged signature passes", () => {
  const summary = fuzzWhatsApp(seededRandom(20261205), 2000);
  assert.ok(summary.refused > 0, "no broken body refused");
  assert.ok(summary.parsed > 0 && summary.messages > 0, "no body still read with its messages");
});

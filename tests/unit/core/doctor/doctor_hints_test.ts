import assert from "node:assert/strict";
import { runDoctor } from "../../../../core/doctor/mod.ts";
import { tempHome } from "../../../_support/cli.ts";

const working = () => Promise.resolve({ available: true, reason: "bubblewrap works", hint: null });

Deno.test("doctor's fixes start with the name the user ran kafclaw by", async () => {
  await using home = await tempHome();
  const results = await runDoctor({
    env: { KAFCLAW_HOME: home.path, KAFCLAW_COMMAND: "/home/a b/kafclaw/scripts/kafclaw" },
    probe: working,
  });
  const provider = results.find((r) => r.check === "provider")!;
  assert.equal(provider.status, "fail");
  assert.equal(provider.hint, "run '/home/a b/kafclaw/scripts/kafclaw' onboard");
  // The failure itself ends with the same name (core/provider's hint).
  assert.match(provider.detail, /, or run '\/home\/a b\/kafclaw\/scripts\/kafclaw' onboard$/);
});

import assert from "node:assert/strict";
import { commandName, hint } from "../../../cli/_hint.ts";

Deno.test("hints start with the name the launcher says the user ran it by", () => {
  assert.equal(hint({ KAFCLAW_COMMAND: "kafclaw" }, "onboard"), "kafclaw onboard");
  assert.equal(hint({ KAFCLAW_COMMAND: "scripts/kafclaw" }, "doctor"), "scripts/kafclaw doctor");
  assert.equal(
    hint({ KAFCLAW_COMMAND: "./scripts/kafclaw" }, "doctor"),
    "./scripts/kafclaw doctor",
  );
  // No launcher (a compiled binary, or main.ts run directly): the installed name.
  assert.equal(commandName({}), "kafclaw");
  assert.equal(commandName({ KAFCLAW_COMMAND: " " }), "kafclaw");
});

Deno.test("a launcher path that a shell would split is quoted", () => {
  assert.equal(
    commandName({ KAFCLAW_COMMAND: "/home/a b/kc/scripts/kafclaw" }),
    "'/home/a b/kc/scripts/kafclaw'",
  );
  assert.equal(commandName({ KAFCLAW_COMMAND: "/x/it's/kafclaw" }), `'/x/it'\\''s/kafclaw'`);
});

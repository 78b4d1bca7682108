/**
 * core/permissions' words for what Deno refused: what may not be reached and why, never the flag
 * a user of the launcher cannot pass; and whether the process holds the whole network.
 */
import assert from "node:assert/strict";
import { deniedText, holdsWholeNetwork } from "../../../../core/permissions/mod.ts";

const deno = (kind: string, what: string) =>
  `Requires ${kind} access to "${what}", run again with the --allow-${kind} flag`;

Deno.test("deniedText names what was refused and why, in place of Deno's words", () => {
  assert.equal(
    deniedText(`Cannot fetch x: ${deno("net", "10.0.0.9:443")}`),
    "Cannot fetch x: kafclaw may not connect to 10.0.0.9:443: a headless gateway reaches only its " +
      "own ports, the brokers, and the LLM and channel hosts its config names",
  );
  assert.equal(
    deniedText(deno("read", "/etc/x")),
    "kafclaw may not read /etc/x: it keeps to KAFCLAW_HOME, the workspace and its own code (a " +
      "headless gateway to KAFCLAW_HOME alone)",
  );
  assert.match(deniedText(deno("write", "/srv/y")), /^kafclaw may not write \/srv\/y: it writes/);
  assert.equal(deniedText(deno("run", "curl")), "kafclaw may not run curl");
  assert.equal(deniedText('Requires odd access to "z"'), "kafclaw may not use z");
  assert.equal(deniedText("Connection refused"), "Connection refused");
});

Deno.test("under the test set the process holds the whole network", () => {
  assert.equal(holdsWholeNetwork(), true);
});

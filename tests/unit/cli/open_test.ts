/**
 * `gateway --open`'s pieces: the dashboard's address for a browser on this machine (a wildcard
 * bind opens the loopback address; IPv6 in brackets), the opener of each system, and the line
 * said where there is none (the address without a code, and no code issued).
 */
import assert from "node:assert/strict";
import { dashboardUrl, openDashboard, opener } from "../../../cli/_open.ts";

Deno.test("the dashboard's address is the bound one, or loopback for a wildcard bind", () => {
  assert.equal(dashboardUrl("127.0.0.1", 18791), "http://127.0.0.1:18791/");
  assert.equal(dashboardUrl("0.0.0.0", 18791), "http://127.0.0.1:18791/");
  assert.equal(dashboardUrl("::", 9), "http://[::1]:9/");
  assert.equal(dashboardUrl("[::1]", 9), "http://[::1]:9/");
  assert.equal(dashboardUrl("fe80::2", 9), "http://[fe80::2]:9/");
  assert.equal(dashboardUrl("192.168.1.5", 80), "http://192.168.1.5:80/");
});

Deno.test("xdg-open opens on Linux and the BSDs, open on macOS, nothing elsewhere", () => {
  assert.equal(opener("linux"), "xdg-open");
  assert.equal(opener("freebsd"), "xdg-open");
  assert.equal(opener("darwin"), "open");
  assert.equal(opener("windows"), undefined);
});

Deno.test("without an opener, one line gives the address to open by hand, and no code", () => {
  const said: string[] = [];
  let codes = 0;
  const door = { host: "127.0.0.1", dashboardPort: 18791, loginCode: () => `code-${++codes}` };
  openDashboard(door, (line) => said.push(line), "windows");
  assert.deepEqual(said, [
    "--open: no browser opener on windows; open http://127.0.0.1:18791/ and log in with the " +
    "gateway's token",
  ]);
  assert.equal(codes, 0, "no code is issued that nothing would trade");
});

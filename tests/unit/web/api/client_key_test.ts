/**
 * The rate limit's client: an IPv4 address as it is, an IPv6 address by its /64 (a host holds the
 * whole prefix and can take a new address per request), an IPv4-mapped one as its IPv4 client.
 */
import assert from "node:assert/strict";
import { clientKey } from "../../../../web/api/client_key.ts";

Deno.test("an IPv4 client, and a request without a socket, are keyed as they are", () => {
  assert.equal(clientKey("203.0.113.7"), "203.0.113.7");
  assert.equal(clientKey("local"), "local");
});

Deno.test("the addresses of one IPv6 /64 are one client, however they are written", () => {
  const one = [
    "2001:db8:1:2::1",
    "2001:db8:1:2:ffff:eeee:dddd:cccc",
    "2001:0DB8:0001:0002:0000:0000:0000:abcd",
    "2001:db8:1:2::",
    "2001:db8:1:2:0:0:0.0.0.9",
    "2001:db8:1:2::1%eth0",
  ].map(clientKey);
  assert.deepEqual(new Set(one), new Set(["2001:db8:1:2::/64"]));
  const others = {
    "2001:db8:1:3::1": "2001:db8:1:3::/64",
    "::1": "0:0:0:0::/64",
    "::": "0:0:0:0::/64",
    "fe80::1:2:3:4": "fe80:0:0:0::/64",
    "1:2:3:4:5:6:7::": "1:2:3:4::/64",
  };
  for (const [address, key] of Object.entries(others)) assert.equal(clientKey(address), key);
});

Deno.test("an IPv4-mapped IPv6 address is the IPv4 client it maps", () => {
  assert.equal(clientKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(clientKey("::FFFF:c000:0201"), "192.0.2.1");
  assert.equal(clientKey("0:0:0:0:0:ffff:192.0.2.1"), "192.0.2.1");
  // Another prefix carrying an IPv4 address (NAT64) is an IPv6 client like any other.
  assert.equal(clientKey("64:ff9b::192.0.2.1"), "64:ff9b:0:0::/64");
});

Deno.test("what does not read as an IPv6 address is its own key", () => {
  for (
    const text of [
      "1::2::3",
      "12345::1",
      "g::1",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4::5:6:7:8",
      ":1::2",
      "1::2:",
      "::ffff:256.0.0.1",
      "1.2.3.4::",
    ]
  ) {
    assert.equal(clientKey(text), text, text);
  }
});

import assert from "node:assert/strict";
import {
  type AddressClass,
  classifyAddress,
  isIpAddress,
  parseIpv6,
} from "../../../../../core/tools/web/address.ts";

const TABLE: readonly (readonly [string, AddressClass])[] = [
  // IPv4 public
  ["93.184.216.34", "public"],
  ["8.8.8.8", "public"],
  ["1.1.1.1", "public"],
  ["9.255.255.255", "public"],
  ["11.0.0.0", "public"],
  ["100.63.255.255", "public"],
  ["100.128.0.0", "public"],
  ["126.255.255.255", "public"],
  ["128.0.0.0", "public"],
  ["169.253.255.255", "public"],
  ["169.255.0.0", "public"],
  ["172.15.255.255", "public"],
  ["172.32.0.0", "public"],
  ["192.167.255.255", "public"],
  ["192.169.0.0", "public"],
  ["223.255.255.255", "public"],
  // IPv4 refused
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "unspecified"],
  ["10.0.0.1", "private"],
  ["10.255.255.255", "private"],
  ["100.64.0.0", "cgnat"],
  ["100.127.255.255", "cgnat"],
  ["127.0.0.1", "loopback"],
  ["127.255.255.254", "loopback"],
  ["169.254.169.254", "link-local"],
  ["172.16.0.0", "private"],
  ["172.31.255.255", "private"],
  ["192.0.0.8", "reserved"],
  ["192.0.2.1", "documentation"],
  ["192.88.99.1", "reserved"],
  ["192.168.1.1", "private"],
  ["198.18.0.1", "reserved"],
  ["198.19.255.255", "reserved"],
  ["198.51.100.7", "documentation"],
  ["203.0.113.9", "documentation"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast"],
  ["240.0.0.1", "reserved"],
  ["255.255.255.254", "reserved"],
  ["255.255.255.255", "broadcast"],
  // IPv6 public
  ["2606:2800:220:1:248:1893:25c8:1946", "public"],
  ["2001:4860:4860::8888", "public"],
  ["[2a00:1450:4001:82a::200e]", "public"],
  ["2002:5db8:d822::1", "public"], // 6to4 of 93.184.216.34
  ["64:ff9b::5db8:d822", "public"], // NAT64 of 93.184.216.34
  ["::ffff:8.8.8.8", "public"],
  // IPv6 refused
  ["::", "unspecified"],
  ["0:0:0:0:0:0:0:0", "unspecified"],
  ["::1", "loopback"],
  ["[::1]", "loopback"],
  ["0:0:0:0:0:0:0:1", "loopback"],
  ["::ffff:127.0.0.1", "loopback"],
  ["::ffff:7f00:1", "loopback"],
  ["::ffff:10.1.2.3", "private"],
  ["::ffff:169.254.169.254", "link-local"],
  ["::ffff:0.0.0.0", "unspecified"],
  ["::ffff:100.64.1.1", "cgnat"],
  ["::ffff:255.255.255.255", "broadcast"],
  ["::127.0.0.1", "reserved"],
  ["64:ff9b::7f00:1", "loopback"],
  ["64:ff9b::10.0.0.1", "private"],
  ["64:ff9b:1::1", "private"],
  ["2002:7f00:1::1", "loopback"],
  ["2002:c0a8:101::1", "private"],
  ["fe80::1", "link-local"],
  ["febf:ffff::1", "link-local"],
  ["fec0::1", "private"],
  ["fc00::1", "private"],
  ["fd12:3456:789a::1", "private"],
  ["ff02::1", "multicast"],
  ["ff05::1:3", "multicast"],
  ["2001:db8::1", "documentation"],
  ["3fff::1", "documentation"],
  ["2001::1", "reserved"], // Teredo
  ["2001:2::1", "reserved"],
  ["100::1", "reserved"],
  ["4000::1", "reserved"],
  ["1::1", "reserved"],
  // Not addresses
  ["example.com", "invalid"],
  ["", "invalid"],
  ["256.1.1.1", "invalid"],
  ["1.2.3", "invalid"],
  ["01.2.3.4", "invalid"],
  ["1.2.3.4.5", "invalid"],
  ["::1::", "invalid"],
  ["1:2:3:4:5:6:7:8:9", "invalid"],
  ["1:2:3:4:5:6:7", "invalid"],
  ["12345::1", "invalid"],
  ["fe80::1%eth0", "invalid"],
  ["::ffff:1.2.3.256", "invalid"],
];

Deno.test("classifyAddress sorts every special-purpose block, both families", () => {
  const wrong = TABLE.filter(([address, cls]) => classifyAddress(address) !== cls)
    .map(([address, cls]) => `${address}: expected ${cls}, got ${classifyAddress(address)}`);
  assert.deepEqual(wrong, []);
});

Deno.test("only public addresses are public: a sweep of IPv4 first octets", () => {
  const refused = new Set([0, 10, 127, 224, 240, 255]);
  for (let first = 0; first < 256; first++) {
    const cls = classifyAddress(`${first}.200.200.200`);
    if (refused.has(first) || (first > 224 && first < 240) || first > 240) {
      assert.notEqual(cls, "public", `${first}.200.200.200`);
    } else {
      assert.equal(cls, "public", `${first}.200.200.200`);
    }
  }
});

Deno.test("every IPv4-mapped address is judged like its IPv4 address", () => {
  for (const [address, cls] of TABLE) {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) continue;
    assert.equal(classifyAddress(`::ffff:${address}`), cls, address);
  }
});

Deno.test("parseIpv6 expands :: and trailing dotted quads", () => {
  assert.deepEqual([...parseIpv6("1::2") ?? []], [0, 1, ...new Array(12).fill(0), 0, 2]);
  assert.deepEqual([...parseIpv6("::ffff:1.2.3.4") ?? []].slice(10), [255, 255, 1, 2, 3, 4]);
  assert.equal(parseIpv6("1:2:3:4:5:6:7::8"), undefined);
});

Deno.test("parseIpv6 takes a dotted quad only at the address's end", () => {
  assert.deepEqual([...parseIpv6("1:2:3:4:5:6:1.2.3.4") ?? []].slice(12), [1, 2, 3, 4]);
  assert.equal(parseIpv6("1.2.3.4::"), undefined);
  assert.equal(parseIpv6("1.2.3.4::1"), undefined);
});

Deno.test("isIpAddress tells addresses from host names", () => {
  assert.equal(isIpAddress("10.0.0.1"), true);
  assert.equal(isIpAddress("::1"), true);
  assert.equal(isIpAddress("localhost"), false);
  assert.equal(isIpAddress("10.0.0.1.nip.io"), false);
});

/**
 * Whom the rate limit counts a request against: an IPv4 client by its address, an IPv6 client by
 * its /64. A host on IPv6 is handed a whole /64 (SLAAC, privacy addresses), so it could take a new
 * address for every request and each would start with a full budget; the network's prefix is what
 * one client holds. An IPv4-mapped address (`::ffff:192.0.2.1`, a dual-stack socket) is the IPv4
 * client it maps. What is not an IP address (`local`, a malformed name) is its own key.
 *
 * @module
 */

import { isV4Mapped, parseIpv6 } from "../../core/tools/web/mod.ts";

/** The rate limit's key of the client at `hostname`, as the server reported the peer. */
export function clientKey(hostname: string): string {
  if (!hostname.includes(":")) return hostname;
  const bytes = parseIpv6(hostname.replace(/%.*$/, ""));
  if (bytes === undefined) return hostname;
  if (isV4Mapped(bytes)) return bytes.subarray(12).join(".");
  const groups = [0, 2, 4, 6].map((i) => (bytes[i]! << 8 | bytes[i + 1]!).toString(16));
  return `${groups.join(":")}::/64`;
}

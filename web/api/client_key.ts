/**
 * Whom the rate limit counts a request against: an IPv4 client by its address, an IPv6 client by
 * its /64. A host on IPv6 is handed a whole /64 (SLAAC, privacy addresses), so it could take a new
 * address for every request and each would start with a full budget; the network's prefix is what
 * one client holds. An IPv4-mapped address (`::ffff:192.0.2.1`, a dual-stack socket) is the IPv4
 * client it maps. What is not an IP address (`local`, a malformed name) is its own key.
 *
 * @module
 */

/** The rate limit's key of the client at `hostname`, as the server reported the peer. */
export function clientKey(hostname: string): string {
  if (!hostname.includes(":")) return hostname;
  const groups = ipv6Groups(hostname.replace(/%.*$/, ""));
  if (groups === undefined) return hostname;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6]!, groups[7]!];
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

const GROUP = /^[0-9a-f]{1,4}$/i;
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The eight 16-bit groups of an IPv6 address in text, or undefined when it is not one. */
function ipv6Groups(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parts = halves.map((half) => half === "" ? [] : half.split(":"));
  // A dotted IPv4 tail (`::ffff:192.0.2.1`) is the last two groups.
  const last = parts.at(-1)!;
  const dotted = DOTTED.exec(last.at(-1) ?? "");
  if (dotted !== null) {
    const bytes = dotted.slice(1).map(Number);
    if (bytes.some((b) => b > 255)) return undefined;
    last.splice(-1, 1, hex(bytes[0]! << 8 | bytes[1]!), hex(bytes[2]! << 8 | bytes[3]!));
  }
  const [head, tail = []] = parts as [string[], string[]?];
  const given = head.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const all = [...head, ...Array(8 - given).fill("0"), ...tail];
  if (!all.every((g) => GROUP.test(g))) return undefined;
  return all.map((g) => parseInt(g, 16));
}

const hex = (n: number) => n.toString(16);

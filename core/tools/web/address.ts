/**
 * Which IP addresses web_fetch may connect to: public unicast only. A pure function over the
 * address text, so it is tested without sockets.
 *
 * @module
 */

/** What kind of address an IP is; only `public` may be fetched from. */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "cgnat"
  | "multicast"
  | "broadcast"
  | "documentation"
  | "reserved"
  | "invalid";

type V4Rule = readonly [base: number, bits: number, cls: AddressClass];

const v4 = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** Special-purpose IPv4 blocks (RFC 6890 and successors); everything else is public. */
const V4_RULES: readonly V4Rule[] = [
  [v4(0, 0, 0, 0), 8, "unspecified"],
  [v4(10, 0, 0, 0), 8, "private"],
  [v4(100, 64, 0, 0), 10, "cgnat"],
  [v4(127, 0, 0, 0), 8, "loopback"],
  [v4(169, 254, 0, 0), 16, "link-local"],
  [v4(172, 16, 0, 0), 12, "private"],
  [v4(192, 0, 0, 0), 24, "reserved"],
  [v4(192, 0, 2, 0), 24, "documentation"],
  [v4(192, 88, 99, 0), 24, "reserved"],
  [v4(192, 168, 0, 0), 16, "private"],
  [v4(198, 18, 0, 0), 15, "reserved"],
  [v4(198, 51, 100, 0), 24, "documentation"],
  [v4(203, 0, 113, 0), 24, "documentation"],
  [v4(224, 0, 0, 0), 4, "multicast"],
  [v4(255, 255, 255, 255), 32, "broadcast"],
  [v4(240, 0, 0, 0), 4, "reserved"],
];

/** Parses dotted-quad IPv4 text into its 32-bit value, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** Parses IPv6 text (with `::` and an optional trailing dotted quad) into 16 bytes, or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  // A dotted quad may end the address only: the last item of its last half.
  const groups = (half: string, ends: boolean): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const items = half.split(":");
    for (const [i, item] of items.entries()) {
      if (ends && i === items.length - 1 && item.includes(".")) {
        const quad = parseIpv4(item);
        if (quad === undefined) return undefined;
        out.push(quad >>> 16, quad & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

function classifyV4(value: number): AddressClass {
  for (const [base, bits, cls] of V4_RULES) {
    const mask = 2 ** 32 - 2 ** (32 - bits); // the top `bits` bits, none for /0
    if (((value & mask) >>> 0) === base) return cls;
  }
  return "public";
}

const embeddedV4 = (b: Uint8Array, at: number) =>
  ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

function startsWith(bytes: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit++) {
    const i = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((bytes[i]! & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** Whether the 16 bytes of an IPv6 address are an IPv4-mapped one (`::ffff:192.0.2.1`). */
export function isV4Mapped(b: Uint8Array): boolean {
  return b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

function classifyV6(b: Uint8Array): AddressClass {
  const zeros = (n: number) => b.subarray(0, n).every((x) => x === 0);
  if (zeros(16)) return "unspecified";
  if (zeros(15) && b[15] === 1) return "loopback";
  if (isV4Mapped(b)) return classifyV4(embeddedV4(b, 12));
  if (zeros(12)) return "reserved"; // IPv4-compatible, deprecated
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) {
    return classifyV4(embeddedV4(b, 12)); // NAT64 well-known prefix
  }
  if (startsWith(b, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48)) return "private"; // local NAT64
  if (startsWith(b, [0xff], 8)) return "multicast";
  if (startsWith(b, [0xfe, 0x80], 10)) return "link-local";
  if (startsWith(b, [0xfe, 0xc0], 10)) return "private"; // site-local, deprecated
  if (startsWith(b, [0xfc], 7)) return "private"; // unique local
  if (!startsWith(b, [0x20], 3)) return "reserved"; // outside global unicast 2000::/3
  if (startsWith(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return "documentation";
  if (startsWith(b, [0x3f, 0xff], 20)) return "documentation";
  if (startsWith(b, [0x20, 0x01, 0x00], 23)) return "reserved"; // IETF protocols, Teredo
  if (startsWith(b, [0x20, 0x02], 16)) return classifyV4(embeddedV4(b, 2)); // 6to4
  return "public";
}

/**
 * Classifies an IP address (IPv4 dotted quad, or IPv6 with or without brackets). IPv4-mapped,
 * NAT64 and 6to4 IPv6 addresses are judged by the IPv4 address inside them.
 *
 * @example
 * ```ts
 * import { classifyAddress } from "./address.ts";
 * console.assert(classifyAddress("93.184.216.34") === "public");
 * console.assert(classifyAddress("::ffff:127.0.0.1") === "loopback");
 * ```
 */
export function classifyAddress(address: string): AddressClass {
  const text = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  const quad = parseIpv4(text);
  if (quad !== undefined) return classifyV4(quad);
  const bytes = text.includes(":") ? parseIpv6(text) : undefined;
  return bytes === undefined ? "invalid" : classifyV6(bytes);
}

/** True for IP address text (either family), false for a host name. */
export function isIpAddress(text: string): boolean {
  return classifyAddress(text) !== "invalid";
}

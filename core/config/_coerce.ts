/**
 * How a value from the environment (always a string) becomes the value a key holds: "18790" → 18790,
 * "yes" → true, "a,b" → ["a", "b"], a JSON text → its value. Without the schema (no zod), so that
 * the launcher can read the settings it narrows permissions by (network.ts) as the schema will.
 *
 * @module
 */

/** A string without its surrounding white space; anything else unchanged. */
export const trim = (v: unknown): unknown => typeof v === "string" ? v.trim() : v;

const INTEGER = /^[+-]?\d+$/;
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  "1": true,
  "0": false,
  yes: true,
  no: false,
};

/** "18790" → 18790; anything else unchanged, for the schema to reject. */
export function toInteger(v: unknown): unknown {
  return typeof v === "string" && INTEGER.test(v.trim()) ? Number(v.trim()) : v;
}

/** "0.7" → 0.7; anything else unchanged. */
export function toNumber(v: unknown): unknown {
  return typeof v === "string" && NUMBER.test(v.trim()) ? Number(v.trim()) : v;
}

/** true/false, 1/0, yes/no (any case) → boolean; anything else unchanged. */
export function toBoolean(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const key = v.trim().toLowerCase();
  return Object.hasOwn(BOOLEANS, key) ? BOOLEANS[key] : v;
}

/** A JSON array or a comma-separated string → string[] (numbers become strings); else unchanged. */
export function toList(v: unknown): unknown {
  let list = v;
  if (typeof v === "string") {
    const s = v.trim();
    if (s.startsWith("[")) {
      try {
        list = JSON.parse(s);
      } catch {
        return v;
      }
    } else {
      list = s.split(",").map((item) => item.trim()).filter((item) => item !== "");
    }
  }
  if (!Array.isArray(list)) return v;
  return list.map((item) =>
    typeof item === "number" && Number.isFinite(item) ? String(item) : trim(item)
  );
}

/** A JSON text from the environment → its value; anything else (or text that is not JSON) unchanged. */
export function toJson(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

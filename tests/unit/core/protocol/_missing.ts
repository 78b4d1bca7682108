/**
 * The golden records of missing required fields (tests/golden/protocol/missing/), made from the
 * protocol's own schemas: for every valid golden record, every field that the zod schema of its
 * type requires (it rejects `undefined`: neither optional nor defaulted), and every field the
 * record's `action` requires, at any depth, each left out in a record of its own. One record per
 * field of each type (and roster shape and action); the first valid record that has the field
 * gives it. `scripts/protocol-golden.ts --write` adds the ones missing; golden_test.ts checks
 * that each is refused as missing and that none is missing.
 */
import { z } from "zod";
import {
  EnvelopeSchema,
  type EnvelopeType,
  ONBOARD_FIELDS_BY_ACTION,
  ORCHESTRATOR_FIELDS_BY_ACTION,
  parseRecord,
  rosterShape,
} from "../../../../core/protocol/mod.ts";
import { GOLDEN, type GoldenCase } from "./_helpers.ts";

/** The folder of the generated records, inside the golden folder. */
export const MISSING_DIR = "missing/";

/** A generated case with the bytes of its value file. */
export interface MissingCase {
  readonly case: GoldenCase;
  readonly bytes: string;
}

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];

/** Fields required by `action`, for the payloads that have one. */
const BY_ACTION: Partial<Record<EnvelopeType, Readonly<Record<string, readonly string[]>>>> = {
  onboard: ONBOARD_FIELDS_BY_ACTION,
  orchestrator: ORCHESTRATOR_FIELDS_BY_ACTION,
};

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The schema under optional, default and transform wrappers. */
function inner(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
    return inner(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodPipe) return inner(schema.in as z.ZodType);
  return schema;
}

/** Fields that an object requires beyond its schema's shape (by its `action`). */
type ExtraRequired = (path: Path, value: Json) => readonly string[];

/** Pushes the path of every required field present in `value`, outermost first. */
function walk(schema: z.ZodType, value: unknown, path: Path, out: Path[], extra: ExtraRequired) {
  const s = inner(schema);
  if (s instanceof z.ZodUnion) {
    const option = (s.options as z.ZodType[]).find((o) => o.safeParse(value).success);
    if (option !== undefined) walk(option, value, path, out, extra);
  } else if (s instanceof z.ZodArray && Array.isArray(value) && value.length > 0) {
    walk(s.element as z.ZodType, value[0], [...path, 0], out, extra);
  } else if (s instanceof z.ZodObject && isObject(value)) {
    const also = extra(path, value);
    for (const [name, field] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      if (!(name in value)) continue;
      if (!field.safeParse(undefined).success || also.includes(name)) out.push([...path, name]);
      walk(field, value[name], [...path, name], out, extra);
    }
  }
}

/** The paths of the required fields present in one valid record, by its type's schema. */
export function requiredPaths(record: Json): Path[] {
  const variant = EnvelopeSchema.options.find((o) => o.shape.type.value === record.type);
  if (variant === undefined) return [];
  const table = BY_ACTION[record.type as EnvelopeType];
  const byAction: ExtraRequired = (path, value) =>
    table !== undefined && path.join(".") === "payload" && typeof value.action === "string"
      ? table[value.action] ?? []
      : [];
  const out: Path[] = [];
  walk(variant, record, [], out, byAction);
  return out;
}

/** A copy of `record` without the field at `path`. */
function without(record: Json, path: Path): Json {
  const copy = structuredClone(record);
  let at: Record<string | number, unknown> = copy;
  for (const part of path.slice(0, -1)) at = at[part] as Record<string | number, unknown>;
  delete at[path.at(-1)!];
  return copy;
}

/** Which schema a record's fields come from: its type, roster shape (by its key) and action. */
function variantOf(record: Json, key: string | null): string {
  const payload = record.payload as Json;
  const shape = record.type === "roster" ? `.${rosterShape(payload, key)}` : "";
  return `${record.type}${shape}${typeof payload.action === "string" ? `.${payload.action}` : ""}`;
}

/**
 * Every record of a missing required field that the valid cases of `cases` call for, with the
 * outcome the parser gives now. Throws when leaving a field out is not refused as missing: the
 * schema and the parser then disagree about that field.
 */
export function missingFieldCases(cases: readonly GoldenCase[]): MissingCase[] {
  const made = new Map<string, MissingCase>();
  for (const c of cases.filter((c) => c.expect.ok && !c.file.startsWith(MISSING_DIR))) {
    const record = JSON.parse(Deno.readTextFileSync(new URL(c.file, GOLDEN))) as Json;
    const stem = c.file.replace(/^valid\//, "").replace(/\.json$/, "");
    for (const path of requiredPaths(record)) {
      const key = c.key ?? null;
      const id = `${variantOf(record, key)} ${path.join(".")}`;
      if (made.has(id)) continue;
      const changed = without(record, path);
      // `cert` and `revoked` are what make a roster payload a certificate or a revocation:
      // without one it is read as another shape, and refused for that shape's fields.
      const shape = (value: Json) =>
        isObject(value.payload) ? rosterShape(value.payload, key) : null;
      if (record.type === "roster" && shape(changed) !== null && shape(changed) !== shape(record)) {
        continue;
      }
      const bytes = `${JSON.stringify(changed, null, 2)}\n`;
      const result = parseRecord({ topic: c.topic, key, value: bytes });
      if (
        result.ok || result.error.code !== "missing_field" ||
        result.error.path.join(".") !== path.join(".")
      ) {
        const got = result.ok ? "it parses" : `${result.error.code}: ${result.error.message}`;
        throw new Error(`Cannot make the case of ${id} from ${c.file}: without it, ${got}`);
      }
      const file = `${MISSING_DIR}${stem}.${path.join(".")}.json`;
      made.set(id, {
        bytes,
        case: {
          file,
          description: `${c.file} without ${path.join(".")}, which ${
            variantOf(record, key)
          } requires`,
          topic: c.topic,
          key,
          expect: {
            ok: false,
            code: result.error.code,
            path: [...result.error.path],
            message: result.error.message,
          },
        },
      });
    }
  }
  return [...made.values()];
}

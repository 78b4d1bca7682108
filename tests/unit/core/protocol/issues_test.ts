import assert from "node:assert/strict";
import { z } from "zod";
import { describeIssue } from "../../../../core/protocol/issues.ts";

function describe(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value, { reportInput: true });
  assert.ok(!result.success);
  return describeIssue(result.error.issues[0] as z.core.$ZodIssue, ["payload"]);
}

Deno.test("describeIssue words the issues zod reports in the house style", () => {
  assert.deepEqual(describe(z.object({ a: z.string() }), {}), {
    code: "missing_field",
    path: ["payload", "a"],
    detail: '"payload.a" is missing',
  });
  assert.deepEqual(
    describe(z.object({ a: z.array(z.int()) }), { a: [1, "2"] }).detail,
    '"payload.a[1]" must be a number',
  );
  assert.deepEqual(
    describe(z.object({ a: z.bigint() }), { a: 1 }).detail,
    '"payload.a" must be bigint',
  );
  assert.deepEqual(
    describe(z.object({ a: z.string().min(3) }), { a: "ab" }).detail,
    '"payload.a" must be at least 3',
  );
  assert.deepEqual(
    describe(z.object({ a: z.string().min(1) }), { a: "" }).detail,
    '"payload.a" must not be empty',
  );
  assert.deepEqual(
    describe(z.object({ a: z.literal("x") }), { a: "y" }).detail,
    '"payload.a" must be "x"',
  );
  assert.deepEqual(describe(z.int().max(3), 4), {
    code: "invalid_value",
    path: ["payload"],
    detail: '"payload" must be at most 3',
  });
});

Deno.test("a custom issue may name its code", () => {
  const schema = z.string().superRefine((_, ctx) =>
    ctx.addIssue({ code: "custom", message: "is absent", params: { code: "missing_field" } })
  );
  assert.deepEqual(describe(schema, "x"), {
    code: "missing_field",
    path: ["payload"],
    detail: '"payload" is absent',
  });
  assert.equal(describe(z.string().refine(() => false, "is odd"), "x").code, "invalid_value");
});

Deno.test("a failed union reports the branch that got furthest, or its own message", () => {
  const schema = z.union([z.string(), z.object({ a: z.object({ b: z.string() }) })], {
    error: "is neither",
  });
  assert.deepEqual(describe(schema, { a: {} }), {
    code: "missing_field",
    path: ["payload", "a", "b"],
    detail: '"payload.a.b" is missing',
  });
  assert.deepEqual(describe(schema, 5), {
    code: "wrong_type",
    path: ["payload"],
    detail: '"payload" is neither',
  });
});

/**
 * Every endpoint the API documents, through `app.request()` of a standalone gateway: none answers
 * without the token, with a wrong one, from a foreign Origin or to a foreign Host; every body is
 * checked (400 naming a field) and limited (413); every group endpoint is a 409 in standalone mode.
 * The list comes from the OpenAPI document, so an endpoint added later is covered too.
 */
import assert from "node:assert/strict";
import { API_TOKEN, apiOf, type TestApi } from "../../../_support/api.ts";
import { DEFAULT_LIMITS } from "../../../../web/mod.ts";

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly body: boolean;
  readonly group: boolean;
}

/** The documented operations, with sample path parameters filled in. */
async function operations(api: TestApi): Promise<Operation[]> {
  const doc = await api.json("/api/v1/openapi.json");
  const out: Operation[] = [];
  type Doc = Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>;
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Doc>)) {
    for (const [method, op] of Object.entries(methods)) {
      out.push({
        method: method.toUpperCase(),
        path: path.replace(/\{(\w+)\}/g, "sample-$1"),
        body: op.requestBody !== undefined,
        group: op.responses["409"] !== undefined,
      });
    }
  }
  return out;
}

Deno.test("no endpoint answers without the token, with a wrong one, or to a foreign Origin or Host", async () => {
  await using api = await apiOf({}, { limits: { ...DEFAULT_LIMITS, burst: 10_000 } });
  const ops = await operations(api);
  assert.ok(ops.length >= 40, `${ops.length} operations documented`);
  for (const op of ops) {
    const init = { method: op.method, ...(op.body ? { body: {} } : {}) };
    const cases = [
      [{ authorization: undefined }, 401, "token_required"],
      [{ authorization: `Bearer ${API_TOKEN}x` }, 401, "wrong_token"],
      [{ origin: "http://evil.example" }, 403, "origin_not_allowed"],
      [{ host: "evil.example:18790" }, 403, "host_not_allowed"],
    ] as const;
    for (const [headers, status, code] of cases) {
      const response = await api.call(op.path, { ...init, headers });
      assert.equal(response.status, status, `${op.method} ${op.path} ${JSON.stringify(headers)}`);
      assert.equal((await response.json()).error.code, code);
    }
  }
  assert.equal(api.llm.chatRequests().length, 0);
});

Deno.test("every body is checked and limited, and every group endpoint is a 409 standalone", async () => {
  await using api = await apiOf({}, {
    limits: { ...DEFAULT_LIMITS, burst: 10_000, bodyBytes: 4096 },
  });
  const ops = await operations(api);
  const group = ops.filter((op) => op.group);
  assert.ok(group.length >= 15, `${group.length} group operations`);
  for (const op of group) {
    const response = await api.call(op.path, {
      method: op.method,
      ...(op.body ? { body: {} } : {}),
    });
    assert.equal(response.status, 409, `${op.method} ${op.path}`);
    assert.match((await response.json()).error.message, /standalone mode/);
  }
  for (const op of ops.filter((op) => op.body && !op.group)) {
    const empty = await api.call(op.path, { method: op.method, body: {} });
    const text = await empty.text();
    assert.equal(empty.status, 400, `${op.method} ${op.path}: ${text}`);
    assert.match(JSON.parse(text).error.message, /^Invalid body field "\w+"/);
    const big = await api.call(op.path, { method: op.method, body: { pad: "x".repeat(5000) } });
    assert.equal(big.status, 413, `${op.method} ${op.path}`);
  }
  assert.equal(api.llm.chatRequests().length, 0);
});

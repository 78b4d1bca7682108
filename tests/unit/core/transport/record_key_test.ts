import assert from "node:assert/strict";
import { decodeRecordKey } from "../../../../core/transport/mod.ts";

Deno.test("a record key is text when it is UTF-8, and its own bytes when it is not", () => {
  assert.equal(decodeRecordKey(null), null);
  assert.equal(decodeRecordKey(new TextEncoder().encode("agent:ü")), "agent:ü");
  assert.equal(decodeRecordKey(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])), "\ufeffa");
  const bytes = new Uint8Array([0x74, 0xff]);
  const kept = decodeRecordKey(bytes);
  assert.deepEqual(kept, new Uint8Array([0x74, 0xff]));
  bytes[0] = 0;
  assert.deepEqual(kept, new Uint8Array([0x74, 0xff]), "a copy, not a view of the fetch buffer");
});

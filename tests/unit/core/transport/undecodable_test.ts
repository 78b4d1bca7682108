import assert from "node:assert/strict";
import {
  installUndecodableMarkers,
  undecodableBatch,
} from "../../../../core/transport/undecodable.ts";

Deno.test("the marker for batches that do not decode installs into kafkajs as this project lays it out", () => {
  assert.equal(installUndecodableMarkers(), undefined);
  // Once is enough: a second call says the same and changes nothing.
  assert.equal(installUndecodableMarkers(), undefined);
});

Deno.test("a record kafkajs decoded, or anything a producer could write, is no marker", () => {
  const lookalike = {
    offset: "3",
    key: null,
    value: null,
    headers: {},
    firstOffset: "1",
    lastOffset: "3",
    reason: "forged",
  };
  assert.equal(undecodableBatch(lookalike), undefined);
});

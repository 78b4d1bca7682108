#!/usr/bin/env python3
"""Checks the published JSON Schema with Python's `jsonschema` (draft 2020-12), as another
language's implementation would use it: the schema itself, every valid golden record and signed
value, certificates through `$defs/Certificate`, and strings that a Python `$` would let a final
newline slip into.

  python3 check_schema.py SCHEMA   exit 0 when every check holds, 1 (saying which) otherwise

Needs: python3 >= 3.8 and jsonschema >= 4.0 (Debian: python3-jsonschema; pip: jsonschema).
"""

import base64
import json
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

HERE = Path(__file__).parent


def main(argv):
    schema = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    envelope = Draft202012Validator(schema)
    certificate = Draft202012Validator({"$ref": "#/$defs/Certificate", "$defs": schema["$defs"]})
    failures = []

    def expect(validator, value, valid, what):
        if validator.is_valid(value) != valid:
            failures.append(f"{what}: {'refused' if valid else 'accepted'}")

    index = json.loads((HERE / "index.json").read_text(encoding="utf-8"))
    for case in index["cases"]:
        if case["expect"]["ok"]:
            value = json.loads((HERE / case["file"]).read_text(encoding="utf-8"))
            expect(envelope, value, True, case["file"])
    vectors = json.loads((HERE / "signed" / "vectors.json").read_text(encoding="utf-8"))
    for vector in vectors["vectors"]:
        expect(envelope, json.loads(vector["value"]), True, vector["name"])
        if "kc-cert" in vector["headers"]:
            cert = vector["headers"]["kc-cert"]
            data = json.loads(base64.urlsafe_b64decode(cert + "=" * (-len(cert) % 4)))
            expect(certificate, data, True, f"the certificate of {vector['name']}")
            expect(certificate, {**data, "agent_id": data["agent_id"] + "\n"}, False,
                   "a certificate whose agent_id ends in a newline")
            expect(certificate, {k: v for k, v in data.items() if k != "public_key"}, False,
                   "a certificate without public_key")
    audit = json.loads((HERE / "valid" / "audit.json").read_text(encoding="utf-8"))
    for field, text, valid in [("span_id", "b7ad6b7169203331", True), ("span_id", "b7ad6b7169203331\n", False),
                               ("span_id", "0" * 16, False), ("sender_id", "alice\n", False),
                               ("timestamp", "2026-01-15 10:00:00Z", False), ("timestamp", "2026-01-15T10:00:00Z\n", False)]:
        expect(envelope, {**audit, field: text}, valid, f"audit with {field} {text!r}")
    for failure in failures:
        print(f"check_schema: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

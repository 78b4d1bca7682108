"""Validates envelopes against the published JSON Schema (core/protocol/kafclaw-1.schema.json).

Reads one JSON value a line on stdin and prints, for each, a JSON list of what the schema refuses
(empty when the envelope is valid), with formats checked: date-time needs rfc3339-validator installed,
without which jsonschema skips it silently.

    python validate.py core/protocol/kafclaw-1.schema.json < envelopes.jsonl
"""
import json, sys
import jsonschema

schema = json.load(open(sys.argv[1]))
validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
for line in sys.stdin:
    problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(json.loads(line))]
    print(json.dumps(problems), flush=True)

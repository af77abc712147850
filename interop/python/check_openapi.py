"""Checks latchkey's OpenAPI document (issue 15 item 3), run by tests/api/openapi.rs:

    check_openapi.py DOCUMENT SAMPLES

DOCUMENT must be a valid OpenAPI 3.1 document (openapi-spec-validator), and every sample in
SAMPLES (a JSON array of {"method", "path", "status", "body"} recorded from a running server,
"path" being the documented template) must match the schema the document gives for that
operation and status (or its "default" response), under JSON Schema 2020-12 (jsonschema).
"""

import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate


def main(document_path, samples_path):
    with open(document_path) as f:
        doc = json.load(f)
    validate(doc)
    with open(samples_path) as f:
        samples = json.load(f)
    failures = []
    for s in samples:
        op = doc["paths"][s["path"]][s["method"].lower()]
        response = op["responses"].get(str(s["status"])) or op["responses"].get("default")
        where = f'{s["method"]} {s["path"]} {s["status"]}'
        if response is None:
            failures.append(f"{where}: no response documented for this status")
            continue
        schema = response["content"]["application/json"]["schema"]
        # The schema's $refs point into the document's components.
        validator = Draft202012Validator({"components": doc["components"], **schema})
        for e in validator.iter_errors(s["body"]):
            failures.append(f"{where}: at {list(e.absolute_path)}: {e.message[:300]}")
    for f in failures:
        print(f)
    print(f"{len(samples)} samples checked, {len(failures)} mismatches")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

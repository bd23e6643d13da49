"""Checks schema/pipeline.schema.json against manifests, as yaml-language-server would.

Every manifest in the folders given must validate; every file in tests/schema-invalid/ must not
(so the schema cannot silently accept anything). Prints one line per problem; exits 1 on any.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

root = pathlib.Path(__file__).resolve().parent.parent
schema = json.loads((root / "schema/pipeline.schema.json").read_text())
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)

problems = 0
checked = 0
for folder in sys.argv[1:]:
    for path in sorted(pathlib.Path(folder).glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            checked += 1
            for error in validator.iter_errors(document):
                problems += 1
                print(f"{path}: schema rejects a valid manifest: {'/'.join(map(str, error.path))}: {error.message}")

for path in sorted((root / "Tests/Fixtures/schema-invalid").glob("*.yaml")):
    checked += 1
    if validator.is_valid(yaml.safe_load(path.read_text())):
        problems += 1
        print(f"{path}: schema accepts an invalid manifest")

print(f"schema: {checked - problems} passed, {problems} failed")
sys.exit(1 if problems else 0)

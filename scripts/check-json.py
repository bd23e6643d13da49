"""Validates JSON documents against one of the schemas in schema/ (which may refer to each other).

Usage: check-json.py SCHEMA_NAME FILE...   (SCHEMA_NAME: plan, planfile)
Prints one line per problem; exits 1 on any, 0 when every file validates.
"""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

root = pathlib.Path(__file__).resolve().parent.parent / "schema"
resources = []
for path in root.glob("*.schema.json"):
    schema = json.loads(path.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    resources.append((schema["$id"], Resource.from_contents(schema)))
registry = Registry().with_resources(resources)
schema = json.loads((root / f"{sys.argv[1]}.schema.json").read_text())
validator = jsonschema.Draft7Validator(schema, registry=registry)

problems = 0
for name in sys.argv[2:]:
    for error in validator.iter_errors(json.loads(pathlib.Path(name).read_text())):
        problems += 1
        print(f"{name}: {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}")
sys.exit(1 if problems else 0)

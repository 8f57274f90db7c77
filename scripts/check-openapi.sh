#!/usr/bin/env bash
# The committed spec (openapi/simo-v1.json) is a valid OpenAPI 3.1 document, by the
# openapi-spec-validator of PyPI: what code generators and API tools of integrators will read.
# (The drift test in backend/tests/api/openapi.rs checks that it is what the code generates.)
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/openapi-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import openapi_spec_validator' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'openapi-spec-validator>=0.7,<1'
fi
"$venv/bin/python" - openapi/simo-v1.json <<'PY'
import sys
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

spec, _ = read_from_filename(sys.argv[1])
validate(spec)
assert spec["openapi"].startswith("3.1"), spec["openapi"]
assert "messagestatus" in spec.get("webhooks", {}), "the webhook is documented"
print(f"{sys.argv[1]}: valid OpenAPI {spec['openapi']}, {len(spec['paths'])} paths, webhooks: {', '.join(spec['webhooks'])}")
PY

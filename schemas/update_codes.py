"""Add the lint codes the code table has and policyengine-config.schema.json lacks.

Run after adding a lint code: ``python schemas/update_codes.py``
(tests/test_schemas.py fails until the schema names every code).
"""

import json
from pathlib import Path

from policyengine.language.diagnostics import CODES

path = Path(__file__).with_name("policyengine-config.schema.json")
schema = json.loads(path.read_text("utf-8"))
levels = ["error", "warning", "info", "off", False]
known = schema["properties"]["rules"]["properties"]
schema["properties"]["rules"]["properties"] = {
    code: known.get(code) or {"enum": levels, "description": f"{title} (default {level})"}
    for code, (level, title) in CODES.items()
}
path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", "utf-8")

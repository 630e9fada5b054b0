"""The `diff:` section of `.policyengine.yaml`: reclassifying kinds of change.

    diff:
      reclassify:
        note_changed: material
        order_changed: minor

YAML is read with the safe loader and aliases are refused: a config is a few
lines a person writes, and an alias is how a small file becomes a huge one.
"""

from __future__ import annotations

from pathlib import Path

from ..language.diagnostics import PolicyError
from ..language.lint import CONFIG_NAMES
from .kinds import KINDS

CLASSES = {"material": True, "minor": False}


def load_reclassify(path: Path) -> dict[str, bool]:
    from ..safe_yaml import YamlRefused, load as load_yaml  # (yaml only when a config is read)

    try:
        text = path.read_text("utf-8")
    except OSError as err:
        raise PolicyError(f"cannot read config {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: the config is not valid UTF-8") from None
    try:  # aliases and anchors refused, nesting bounded
        data = load_yaml(text, str(path))
    except YamlRefused as err:
        raise PolicyError(str(err)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping at the top of the config")
    section = data.get("diff", {})
    if section is None:
        return {}
    if not isinstance(section, dict) or not isinstance(section.get("reclassify", {}), dict):
        raise PolicyError(f"{path}: expected 'diff: {{reclassify: {{CHANGE_KIND: minor|material}}}}'")
    unknown_keys = set(section) - {"reclassify"}
    if unknown_keys:
        raise PolicyError(f"{path}: diff: unknown key(s) {', '.join(sorted(map(str, unknown_keys)))} "
                          "(known: reclassify)")
    found = {}
    for kind, level in (section.get("reclassify") or {}).items():
        if kind not in KINDS:
            raise PolicyError(f"{path}: diff.reclassify: unknown change kind {kind!r} "
                              "(the kinds are listed in docs/diff.md)")
        if not isinstance(level, str) or level.lower() not in CLASSES:
            raise PolicyError(f"{path}: diff.reclassify.{kind}: must be 'material' or 'minor'")
        found[kind] = CLASSES[level.lower()]
    return found


def discover_reclassify(start: Path) -> dict[str, bool]:
    """The nearest config from START upward, as lint finds it."""
    for folder in (start, *start.parents):
        for name in CONFIG_NAMES:
            if (folder / name).is_file():
                return load_reclassify(folder / name)
    return {}

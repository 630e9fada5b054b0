"""schemas/: the JSON Schemas editors validate binding files and .policyengine.yaml with.
They agree with the loaders: what a schema accepts, the loader accepts; the shipped
examples are valid; the schema's names are the code's tables."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from check_support import ROOT
from hypothesis import given, settings, strategies as st

from policyengine.checking.binding import FIELDS, BindingError, parse_binding
from policyengine.language.diagnostics import CODES, PolicyError
from policyengine.language.lint import LintConfig
from policyengine.starter import TEMPLATES, render_binding

BINDING = json.loads((ROOT / "schemas/binding.schema.json").read_text("utf-8"))
CONFIG = json.loads((ROOT / "schemas/policyengine-config.schema.json").read_text("utf-8"))


def valid(schema, data) -> bool:
    return jsonschema.Draft202012Validator(schema).is_valid(data)


def test_the_schemas_are_schemas_and_name_the_code_tables():
    jsonschema.Draft202012Validator.check_schema(BINDING)
    jsonschema.Draft202012Validator.check_schema(CONFIG)
    assert list(BINDING["$defs"]["columns"]["properties"]) == list(FIELDS)
    assert list(CONFIG["properties"]["rules"]["properties"]) == list(CODES)


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*/binding.yaml")), ids=lambda p: p.parent.name)
def test_example_bindings_are_valid(path):
    assert valid(BINDING, yaml.safe_load(path.read_text("utf-8")))


def test_init_bindings_are_valid():
    assert valid(BINDING, yaml.safe_load(render_binding("x.policy", [*TEMPLATES, "other"])))


BAD_BINDINGS = [
    {"colums": {"key": "id"}},
    {"columns": {"kee": "id"}},
    {"columns": {"key": 3}},
    {"columns": ["key"]},
    {"sources": {"a.csv": {"timezone": "UTC"}}},
    {"sources": {"a.csv": "cctv"}},
    {"sources": {"a.csv": {"columns": {"nope": "x"}}}},
]


@pytest.mark.parametrize("data", BAD_BINDINGS)
def test_bad_bindings_are_refused_by_both(data):
    assert not valid(BINDING, data)
    with pytest.raises(BindingError):
        parse_binding(data, "<test>")


_names = st.text("abcdefghij_", min_size=1, max_size=8)
_columns = st.dictionaries(st.sampled_from(FIELDS + ("kee", "Key")), _names, max_size=6)
_bindings = st.fixed_dictionaries({}, optional={
    "timezone": st.sampled_from(["UTC", "Europe/Stockholm", "Europe/Oslo"]),
    "separator": st.sampled_from([";", ",", "|"]),
    "purpose_is": _names,
    "columns": _columns,
    "sources": st.dictionaries(_names, st.fixed_dictionaries({}, optional={
        "columns": _columns, "purpose_is": _names, "separator": st.just(";")}), max_size=2),
})


@settings(max_examples=200)
@given(_bindings)
def test_what_the_binding_schema_accepts_the_loader_accepts(data):
    if valid(BINDING, data):
        parse_binding(data, "<test>")
    else:
        with pytest.raises(BindingError):
            parse_binding(data, "<test>")


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(list(CODES) + ["PE999"]),
                       st.sampled_from(["error", "warning", "info", "off", False, "fatal"]), max_size=4))
def test_what_the_config_schema_accepts_the_loader_accepts(tmp_path_factory, rules):
    path = Path(tmp_path_factory.mktemp("cfg")) / ".policyengine.yaml"
    path.write_text(yaml.safe_dump({"rules": rules}), "utf-8")
    if valid(CONFIG, {"rules": rules}):
        LintConfig.load(path)
    else:
        with pytest.raises(PolicyError):
            LintConfig.load(path)

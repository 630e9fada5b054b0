"""Specific consent (Balcoo: "et spesifikt samtykke"): `basis consent to SCOPE` needs a
record consenting to that scope (binding column `consent_scope`); anything else is PC301."""

from __future__ import annotations

import json

import pytest

from policyengine import check, compile_policy
from policyengine.checking.binding import Binding, BindingError
from policyengine.checking.evaluate import lower_to_python
from policyengine.checking.reading import check_lines
from policyengine.language.loading import load_policy

POLICY = '''controller "B AS" {
  authority Datatilsynet
}
category email "E-post"
subject subscriber "Abonnent"
purpose newsletter "Nyhetsbrev" {
  subjects subscriber
  categories email
  basis consent to newsletter
  retain until withdrawn
}
'''


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("scope") / "b.policy"
    path.write_text(POLICY, encoding="utf-8")
    return compile_policy(load_policy(str(path)))


BINDING = Binding(dict(Binding.identity().columns, consent_scope="consent_to"))


@pytest.mark.parametrize("scope, expected", [
    ("newsletter", []),
    ("events;newsletter", []),  # several scopes, the separator of the binding
    ("events", ["PC301"]),
    ("Newsletter", ["PC301"]),  # names are exact
    (None, ["PC301"]),  # consent given, but to what is not recorded
    ("", ["PC301"]),
])
def test_consent_must_be_to_the_purpose(policy, scope, expected):
    record = {"id": "n", "purpose": "newsletter", "consent_given": "2026-01-01", "consent_to": scope}
    found = list(check(policy, [record], now="2026-11-21", binding=BINDING))
    assert [f.code for f in found] == expected
    if expected:
        assert "needs specific consent to newsletter" in found[0].message
    lowered = lower_to_python(policy, BINDING, "2026-11-21")
    out: list = []  # the hot loop (screens, native included) agrees
    check_lines(lowered, "t", 1, [json.dumps(record).encode()], 0, lowered.columns, out)
    assert [f.code for f in out] == expected


def test_binding_must_say_where_the_scope_is(policy):
    with pytest.raises(BindingError, match="consent_scope"):
        list(check(policy, [{"id": "n", "purpose": "newsletter"}], now="2026-11-21"))


def test_scope_is_kept_by_fmt_and_in_the_ir(policy):
    from policyengine.language.fmt import format_policy
    from policyengine.language.parser import parse

    assert "  basis consent to newsletter\n" in format_policy(parse(POLICY))
    assert policy.to_dict()["purposes"][0]["consent_scope"] == "newsletter"

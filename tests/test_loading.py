"""load_policy and scrubber_settings: what the scrubber takes from a purpose's log rules."""

from __future__ import annotations

import pytest

from policyengine import PolicyError, PolicyInvalid, load_policy, scrubber_settings

HEAD = '''controller "X" { authority IMY }
subject visitor
category ip
requests { respond within 1 month }
'''


def _policy(tmp_path, body: str):
    path = tmp_path / "x.policy"
    path.write_text(HEAD + 'purpose web { subjects visitor categories ip basis legitimate_interests "security"\n'
                    + body + "\n}\n")
    return str(path)


@pytest.mark.parametrize("body, v4, v6, max_age", [
    ("retain at most 30 days from collected logs access { keep at most 14 days truncate ipv4 /24 ipv6 /48 }",
     24, 48, "14d"),
    ("retain at most 2 weeks from collected logs access { truncate ipv4 /16 ipv6 /32 }", 16, 32, "2w"),
    ("retain at most 1 month from collected logs access, error { truncate ipv4 /24 ipv6 /56 }", 24, 56, "1mo"),
    ("retain at most 1 year from last_activity logs access { truncate ipv4 /8 ipv6 /48 }", 8, 48, None),
    ("retain at least 2 months from collected logs access { keep at least 2 months truncate ipv4 /24 ipv6 /48 }",
     24, 48, None),
])
def test_scrubber_settings_table(tmp_path, body, v4, v6, max_age):
    path = _policy(tmp_path, body)
    settings = scrubber_settings(path, "web")
    assert (settings.ipv4_prefix, settings.ipv6_prefix, settings.max_age) == (v4, v6, max_age)
    assert settings.source == f"{path}:6:{body.index('logs') + 1}"  # the log rules' clause


def test_purpose_without_truncation_is_a_clear_error(tmp_path):
    path = _policy(tmp_path, "retain at most 30 days from collected logs access { keep at most 14 days }")
    with pytest.raises(PolicyError, match="no log rules that truncate"):
        scrubber_settings(path, "web")


def test_unknown_purpose_lists_the_known_ones(tmp_path):
    path = _policy(tmp_path, "retain at most 30 days from collected")
    with pytest.raises(PolicyError, match=r"no purpose 'webb' \(purposes: web\)"):
        scrubber_settings(path, "webb")


def test_invalid_policy_is_refused_with_its_diagnostics(tmp_path):
    path = _policy(tmp_path, "retain at most 0 days from collected")
    with pytest.raises(PolicyInvalid) as raised:
        load_policy(path)
    assert [d.code for d in raised.value.diagnostics] == ["PE207"]
    assert raised.value.exit_code == 2


def test_lint_ignore_counts_when_loading(tmp_path):
    path = tmp_path / "x.policy"
    path.write_text(HEAD + "purpose web {  # lint-ignore: PE206\n subjects visitor categories ip "
                    'basis legitimate_interests "security"\n}\n')
    assert load_policy(str(path)).purpose("web").retention == ()
    path.write_text(path.read_text().replace("  # lint-ignore: PE206", ""))
    with pytest.raises(PolicyInvalid):
        load_policy(str(path))

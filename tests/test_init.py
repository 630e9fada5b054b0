"""`policyengine init`: a lint-clean, canonically formatted first policy and a binding that
fits it, for every jurisdiction init knows; never over an existing file."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest
from click.testing import CliRunner

from policyengine.cli import main
from policyengine.language.loading import load_policy
from policyengine.starter import JURISDICTIONS, TEMPLATES

ALL_PURPOSES = ",".join([*TEMPLATES, "donations"])


def invoke(*args, cwd=None):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_the_bookkeeping_periods_start_where_each_law_says():
    """SE and FI count from the end of the calendar year in which the financial year ended
    (BFL 7 kap. 2 §; KPL 2:10 for vouchers), DK and IE from the financial year's end."""
    anchors = {code: j.anchor for code, j in JURISDICTIONS.items()}
    assert anchors["SE"] == anchors["FI"] == "calendar_year_end_of_financial_year"
    assert anchors["DK"] == anchors["IE"] == "financial_year_end"
    assert "not verified" in JURISDICTIONS["DK"].note


@pytest.mark.parametrize("jurisdiction", sorted(JURISDICTIONS))
def test_every_jurisdiction_lints_formats_and_checks_clean(tmp_path, jurisdiction):
    out = tmp_path / "first.policy"
    result = invoke("init", "--controller", 'Exempel "AB" \\ Ltd', "--jurisdiction", jurisdiction.lower(),
                    "--purposes", ALL_PURPOSES, "--output", out)
    assert result.exit_code == 0, result.output
    lint = invoke("lint", out)
    assert lint.exit_code == 0 and "0 error(s), 0 warning(s)" in lint.output, lint.output
    assert invoke("fmt", "--check", out).exit_code == 0
    policy = load_policy(str(out))
    j = JURISDICTIONS[jurisdiction]
    text = out.read_text("utf-8")
    assert policy.controller.name == 'Exempel "AB" \\ Ltd'
    assert f"authority {j.authority}" in text and f"jurisdiction {j.code}" in text
    assert f'legal hold {j.bookkeeping_years} years from {j.anchor} "{j.bookkeeping_law}"' in text
    assert text.count("DECIDE:") >= 5
    # the binding fits the policy: a check over records with its columns runs (no findings)
    binding = tmp_path / "first.binding.yaml"
    import yaml

    columns = yaml.safe_load(binding.read_text("utf-8"))["columns"]
    records = tmp_path / "r.csv"
    records.write_text(",".join(columns.values()) + "\n", "utf-8")
    check = invoke("check", out, "--records", records, "--now", "2026-11-21T12:00:00Z")
    assert check.exit_code == 0, check.output


def test_the_issue_example(tmp_path):
    out = tmp_path / "first.policy"
    result = invoke("init", "--controller", "Exempel AB", "--jurisdiction", "SE",
                    "--purposes", "newsletter,web_logs,bookkeeping", "--output", out)
    assert result.exit_code == 0
    text = out.read_text("utf-8")
    assert 'authority IMY' in text and "Bokföringslagen (1999:1078) 7 kap. 2 §" in text
    assert [p.name.value for p in load_policy(str(out)).purposes] == ["newsletter", "web_logs", "bookkeeping"]


def test_never_overwrites(tmp_path):
    out = tmp_path / "first.policy"
    out.write_text("mine\n", "utf-8")
    args = ("init", "--controller", "X", "--jurisdiction", "SE", "--purposes", "newsletter", "--output")
    result = invoke(*args, out)
    assert result.exit_code == 2 and "never overwrites" in result.output
    assert out.read_text("utf-8") == "mine\n"
    other = tmp_path / "second.policy"
    (tmp_path / "second.binding.yaml").write_text("columns: {}\n", "utf-8")
    result = invoke(*args, other)
    assert result.exit_code == 2 and not other.exists()
    link = tmp_path / "third.policy"
    link.symlink_to(tmp_path / "elsewhere.policy")
    assert invoke(*args, link).exit_code == 2 and not (tmp_path / "elsewhere.policy").exists()


@pytest.mark.parametrize("args, message", [
    (("--jurisdiction", "XX"), "Invalid value for '--jurisdiction'"),
    (("--purposes", "news letter"), "is not a name"),
    (("--purposes", "newsletter,newsletter"), "named twice"),
    (("--purposes", ","), "at least one purpose"),
    (("--controller", "two\nlines"), "control characters"),
])
def test_bad_options_exit_2(tmp_path, args, message):
    base = {"--controller": "X", "--jurisdiction": "SE", "--purposes": "newsletter",
            "--output": str(tmp_path / "p.policy")}
    base.update(dict(zip(args[::2], args[1::2])))
    result = invoke("init", *[x for kv in base.items() for x in kv])
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "p.policy").exists()


def test_missing_options_in_a_pipe_are_an_error(tmp_path):
    result = invoke("init", "--output", tmp_path / "p.policy")
    assert result.exit_code == 2 and "only asked for on a terminal" in result.output


def test_missing_options_are_asked_on_a_terminal(tmp_path):
    """A real pseudo-terminal: init prompts, reads the answers, writes the files."""
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "policyengine", "init"], cwd=tmp_path,
                            stdin=child_fd, stdout=child_fd, stderr=child_fd)
    os.close(child_fd)
    for answer in ("Exempel AB", "NO", "", "mine.policy"):
        os.write(main_fd, answer.encode() + b"\r")
    seen = b""
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 0, seen.decode(errors="replace")
    os.close(main_fd)
    text = (tmp_path / "mine.policy").read_text("utf-8")
    assert "Controller" in seen.decode() and "Jurisdiction" in seen.decode()
    assert "authority Datatilsynet" in text and "purpose bookkeeping" in text
    assert (tmp_path / "mine.binding.yaml").is_file()

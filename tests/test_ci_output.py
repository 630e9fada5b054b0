"""`--format github` and `--format junit` for lint and check: the commands GitHub reads, and
no text from a policy or a record can forge a second command or break the XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from check_support import ROOT
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from policyengine.ci_output import escape_data, escape_property, workflow_command, xml_attr, xml_text
from policyengine.cli import main

NOW = "2026-11-21T12:00:00+01:00"
HOSTILE = ["%0A::error::x", "a\n::error::forged", "a\r\n::warning file=x::y", "::", "k,line=1",
           "x:y", "%", "%25", "\x1b[31mred", "\x00nul", "<script>&'\"", "\u2028sep", "\ud800"]


HEADER = (ROOT / "examples/binero/records.csv").read_text("utf-8").splitlines()[0]


def invoke(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


# ---- a reader of workflow commands as the GitHub runner reads them -----------------
_COMMAND = re.compile(r"^::([a-z]+)(?: ([^:]*))?::(.*)$")


def _unescape_data(s: str) -> str:
    return s.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def _unescape_property(s: str) -> str:
    return (s.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",")
            .replace("%25", "%"))


def read_commands(log: str) -> list[tuple[str, dict, str]]:
    """Every workflow command in a log, one per line, as the runner splits them."""
    found = []
    for line in log.split("\n"):
        line = line.rstrip("\r")  # the runner reads lines; a trailing CR is not part of them
        m = _COMMAND.match(line)
        if m:
            props = {}
            for pair in (m.group(2) or "").split(","):
                if pair:
                    key, _, value = pair.partition("=")
                    props[key] = _unescape_property(value)
            found.append((m.group(1), props, _unescape_data(m.group(3))))
    return found


@settings(max_examples=300)
@given(message=st.text(), title=st.text(), file=st.text())
def test_a_command_is_one_line_and_reads_back(message, title, file):
    line = workflow_command("error", message, file=file, line=3, title=title)
    assert line.endswith("\n") and "\n" not in line[:-1] and "\r" not in line
    [(level, props, text)] = read_commands(line)
    assert level == "error" and props["line"] == "3"
    visible = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
    show = lambda s: visible.sub(lambda m: f"\\x{ord(m.group()):02x}", s)  # noqa: E731
    assert text == show(message) and props["title"] == show(title) and props["file"] == show(file)


def test_escaping_matches_the_toolkit():
    assert escape_data("50% a\r\nb:c,d") == "50%25 a%0D%0Ab:c,d"
    assert escape_property("50% a\r\nb:c,d") == "50%25 a%0D%0Ab%3Ac%2Cd"


def _hostile_policy(tmp_path, label):
    text = (ROOT / "rules/binero.policy").read_text("utf-8")
    quoted = label.replace("\\", "\\\\").replace('"', '\\"')
    # a category nobody uses: PE212, whose message holds the name; the label rides in a title
    path = tmp_path / "x.policy"
    path.write_text(text.replace('category billing "Faktureringsinformation"',
                                 f'category billing "{quoted}"\ncategory unused_one "{quoted}"'), "utf-8")
    return path


def _records_with_keys(tmp_path, keys):
    rows = [HEADER]
    for key in keys:
        rows.append('"' + key.replace('"', '""') + '",nosuchpurpose,customer,billing,2026-01-01,,,,,,')
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8", newline="")
    return path


def test_lint_github_annotations_and_exit(tmp_path):
    path = _hostile_policy(tmp_path, "%0A::error::x")
    result = invoke("lint", "--format", "github", path)
    assert result.exit_code == 1
    commands = read_commands(result.output)
    assert commands and all(level == "warning" for level, _, _ in commands)
    assert {props["title"] for _, props, _ in commands} == {"PE212 declared but never used"}
    assert all(props["file"] == str(path) and props["line"].isdigit() for _, props, _ in commands)
    assert len(commands) == len(result.output.splitlines())


def test_check_github_no_record_key_forges_a_command(tmp_path):
    keys = [k for k in HOSTILE if k != "\ud800"]
    records = _records_with_keys(tmp_path, keys)
    result = invoke("check", ROOT / "rules/binero.policy", "-b", ROOT / "examples/binero/binding.yaml",
                    "-r", records, "--now", NOW, "--format", "github")
    assert result.exit_code == 1, result.output
    commands = read_commands(result.output)
    lines = result.output.split("\n")
    assert lines[-1] == "" and len(commands) == len(lines) - 1  # every line is one command, no more
    errors = [c for c in commands if c[0] == "error"]
    assert len(errors) == len(keys)  # PC401 per record, and nothing forged
    for (level, props, text), key in zip(errors, keys):
        assert props["title"] == "PC401 purpose not in the policy"
        assert props["file"] == str(records)
        shown = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}", key)
        assert text.startswith(f"record {shown} (")
    assert commands[-1][0] == "notice" and f": {len(keys)} findings\n" in commands[-1][2]


def test_check_github_points_at_the_policy_clause():
    result = invoke("check", ROOT / "rules/binero.policy", "-b", ROOT / "examples/binero/binding.yaml",
                    "-r", ROOT / "examples/binero/records.csv", "--now", NOW, "--format", "github")
    commands = read_commands(result.output)
    keep = [c for c in commands if c[1].get("title", "").startswith("PC201")]
    assert keep and keep[0][0] == "warning"
    assert keep[0][1]["file"] == str(ROOT / "rules/binero.policy")
    line = int(keep[0][1]["line"])
    assert "retain at least" in (ROOT / "rules/binero.policy").read_text().splitlines()[line - 1]
    # cctv-02 is on the last day of its minimum (kept through that day), cctv-03 a day before
    assert "cctv-02" in keep[0][2] and "records.csv:3" in keep[0][2]


@settings(max_examples=200)
@given(st.text())
def test_xml_escaping_always_parses_back(text):
    doc = f"<a b={xml_attr(text)}>{xml_text(text)}</a>"
    element = ET.fromstring(doc)
    forbidden = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    if not forbidden.search(text):
        assert (element.text or "") == text.replace("\r\n", "\n").replace("\r", "\n")
        assert element.get("b") == text


def test_lint_junit(tmp_path):
    path = _hostile_policy(tmp_path, "<script>\x01&")
    clean = ROOT / "tests/golden/lint/clean.policy"
    result = invoke("lint", "--format", "junit", path, clean)
    assert result.exit_code == 1
    root = ET.fromstring(result.output)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {str(path), str(clean)}
    assert suites[str(clean)].get("failures") == "0"
    [case] = suites[str(path)].iter("testcase")
    assert case.get("name") == "PE212" and case.find("failure") is not None


def test_check_junit_with_hostile_keys(tmp_path):
    records = _records_with_keys(tmp_path, HOSTILE[:-1])
    result = invoke("check", ROOT / "rules/binero.policy", "-b", ROOT / "examples/binero/binding.yaml",
                    "-r", records, "--now", NOW, "--format", "junit")
    assert result.exit_code == 1
    root = ET.fromstring(result.output)
    [failure] = root.iter("failure")
    assert "<script>&'\"" in failure.text and "\\x1b[31mred" in failure.text
    assert root.get("failures") == "1"


def test_check_junit_clean_run_is_one_passing_case(tmp_path):
    records = tmp_path / "r.csv"
    records.write_text(HEADER + "\n", "utf-8")
    result = invoke("check", ROOT / "rules/binero.policy", "-b", ROOT / "examples/binero/binding.yaml",
                    "-r", records, "--now", NOW, "--format", "junit")
    assert result.exit_code == 0
    root = ET.fromstring(result.output)
    assert root.get("tests") == "1" and root.get("failures") == "0"


def test_the_contrib_workflow_uses_commands_that_exist(tmp_path):
    """contrib/github/policyengine.yml: valid YAML, and every policyengine command in it
    accepts its options (run with --help appended, so nothing needs the user's files)."""
    import shlex

    import yaml

    workflow = yaml.safe_load((ROOT / "contrib/github/policyengine.yml").read_text("utf-8"))
    runs = [step["run"] for step in workflow["jobs"]["policy"]["steps"] if "run" in step]
    commands = [shlex.split(r.split("#")[0]) for r in runs if r.startswith("policyengine")]
    assert {c[1] for c in commands} == {"lint", "fmt", "test", "check"}
    for words in commands:
        result = invoke(*[w for w in words[1:] if "/" not in w], "--help")
        assert result.exit_code == 0, (words, result.output)
        for word in words:
            if word.startswith("--"):
                assert word in result.output, (word, words)


_pieces = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=6) | st.sampled_from(
    ["\n", "\r", "%", ":", ",", "::", "%0A", "%25", "\x1b", "\x00", "<", "&", "]]>", "::error::x"])
_texts = st.lists(_pieces, max_size=6).map("".join)


@settings(max_examples=200)
@given(record=_texts, location=_texts, purpose=_texts, clause=_texts, message=_texts)
def test_any_finding_is_one_annotation_and_valid_junit(record, location, purpose, clause, message):
    """Whatever a record key, a location, a purpose, a clause or a message holds: one
    workflow command per finding, reading back to the finding's text, and XML that parses."""
    import io
    from datetime import date

    from policyengine.checking.findings import Finding
    from policyengine.checking.report import RunInfo
    from policyengine.ci_output import GithubReporter, JunitReporter, finding_message

    finding = Finding("PC101", record, location + ":7", purpose, "p.policy:3", clause, date(2026, 1, 2), 1,
                      message)
    info = RunInfo("p.policy", "2026-01-03", "2026-01-03T00:00:00+00:00", "UTC", [location])
    out = io.StringIO()
    github = GithubReporter(out, info)
    github.add(finding)
    [(level, props, text)] = read_commands(out.getvalue())
    assert out.getvalue().count("\n") == 1 and level == "error"
    assert props == {"file": "p.policy", "line": "3", "title": "PC101 past maximum retention"}
    shown = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", lambda m: f"\\x{ord(m.group()):02x}",
                   finding_message(finding))
    assert text == shown
    xml = io.StringIO()
    junit = JunitReporter(xml, info)
    junit.add(finding)
    junit.finish()
    assert ET.fromstring(xml.getvalue()).get("failures") == "1"

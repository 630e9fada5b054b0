"""The policy shown in the README is lint-clean and canonically formatted: the
documentation cannot drift from the language."""

import re
from pathlib import Path

from policyengine.language.fmt import format_policy
from policyengine.language.lint import lint_text

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_policy_example_is_clean_and_formatted():
    text = README.read_text("utf-8")
    example = re.search(r"## The policy language.*?```\n(.*?)```", text, re.S).group(1)
    diagnostics, policy = lint_text(example, "README.md")
    assert [d.headline() for d in diagnostics] == []
    assert format_policy(policy) == example
    assert len(policy.purposes) == 5


def test_readme_check_example_is_the_real_output(monkeypatch):
    """The README's main command: its finding count and the excerpt it shows are what
    `check` prints (the command is run as the README writes it)."""
    from click.testing import CliRunner

    from policyengine.cli import main

    text = README.read_text("utf-8")
    root = README.parent
    command = re.search(r"\.venv/bin/policyengine (check [^\n]*)", text).group(1).split()
    monkeypatch.chdir(root)  # the README runs it from the repository's root
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    count = int(re.search(r"it lists (\d+) findings and exits 1", text).group(1))
    assert result.output.rstrip().splitlines()[-1 - len(set(re.findall(r"^  (PC\d+) ", result.output, re.M)))]\
        .endswith(f": {count} findings")
    excerpt = re.search(r"## `policyengine check POLICY.*?```\n(.*?)```", text, re.S).group(1)
    assert excerpt in result.output


def test_readme_check_example_against_sqlite_and_duckdb(tmp_path, monkeypatch):
    """The README's main command over a SQLite copy of its records (the screen run in
    SQLite, as the README's SQL section shows) and with --engine duckdb over the CSV: the
    same findings as the CSV path, each at the same record (the CSV's line less its header)."""
    import json
    import sys

    from click.testing import CliRunner

    from policyengine.cli import main

    text = README.read_text("utf-8")
    root = README.parent
    command = re.search(r"\.venv/bin/policyengine (check [^\n]*)", text).group(1).split()
    csv_spec = command[command.index("--records") + 1]
    sys.path.insert(0, str(root / "examples"))
    import make_sqlite

    db = tmp_path / "records.db"
    make_sqlite.write_table(db, "records", make_sqlite.read_rows(root / csv_spec))
    monkeypatch.chdir(root)

    def findings(spec, *extra, header=0):
        args = [a if a != csv_spec else spec for a in command] + ["--format", "jsonl", *extra]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        out = []
        for line in result.output.splitlines():
            d = json.loads(line)
            where = d.pop("location")
            out.append((int(where.rpartition(":")[2]) - header, d))
        return out

    want = findings(csv_spec, header=1)
    assert len(want) > 5
    assert findings(f"{db}#records") == want
    assert findings(f"{db}#records", "--engine", "python") == want
    assert findings(csv_spec, "--engine", "duckdb", header=1) == want

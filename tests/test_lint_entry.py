"""The `policyengine` entry point (policyengine.entry) runs `lint` with simple arguments
without importing click (or lark), and everything else through the click group: for a
table of command lines, real processes of the entry point and of the click group alone
(policyengine.cli.main) give the same stdout, stderr and exit status."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyengine.cli_lint import simple_arguments

GOLDEN = Path(__file__).resolve().parent / "golden" / "lint"
PROBE = ("import atexit, sys\n"
         "out = sys.argv.pop(1)\n"
         "atexit.register(lambda: open(out, 'w').write(' '.join(m for m in ('click', 'lark') if m in sys.modules)))\n"
         "from {module} import main\n"
         "main()\n")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("entry")
    for name in ("clean", "pe212_declared_but_never_used", "pe001_several_syntax_errors", "pe001_single_quotes"):
        shutil.copy(GOLDEN / f"{name}.policy", d / f"{name}.policy")
    (d / "folder").mkdir()
    shutil.copy(GOLDEN / "clean.policy", d / "folder" / "a.policy")
    (d / "off.yaml").write_text("rules:\n  PE212: off\n", "utf-8")
    (d / "bad.yaml").write_text("rules: [1, 2]\n", "utf-8")
    (d / "latin1.policy").write_bytes(b'subject s "\xe9"\n')
    (d / "esc.policy").write_bytes(b'subject \x1b[31m s\n')
    return d


def _run(module: str, args: list[str], cwd: Path, stdin: bytes = b"") -> tuple:
    out = cwd / "imported.txt"
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module), str(out), *args],
                          cwd=cwd, input=stdin, capture_output=True, check=False)
    return (done.stdout, done.stderr, done.returncode), out.read_text()


CLEAN, WARN, BAD = "clean.policy", "pe212_declared_but_never_used.policy", "pe001_several_syntax_errors.policy"
FAST = [
    ["lint", CLEAN], ["lint", WARN], ["lint", BAD], ["lint", CLEAN, WARN, BAD],
    ["lint", WARN, "--fail-level", "error"], ["lint", "--fail-level=error", WARN], ["lint", WARN, "--no-fail"],
    ["lint", "--format", "json", BAD], ["lint", "--format=sarif", WARN], ["lint", "--format", "github", BAD],
    ["lint", "--format", "junit", WARN], ["lint", "--format", "text", "folder"],
    ["lint", "missing.policy"], ["lint", CLEAN, "missing.policy"], ["lint", "latin1.policy"], ["lint", "esc.policy"],
    ["lint", "--config", "off.yaml", WARN], ["lint", "--config", "bad.yaml", WARN], ["lint", "--config=none.yaml", WARN],
    ["lint", "-"], ["lint", "pe001_single_quotes.policy", "--format", "json", "--format", "text"],
]
BY_CLICK = [
    ["lint"], ["lint", "--help"], ["--help"], ["lint", "--format", "xml", CLEAN], ["lint", "-x", CLEAN],
    ["lint", "--", CLEAN], ["lint", "--config", "folder", CLEAN], ["lint", "--fail-level", "info", CLEAN],
    ["lint", "--format"], ["lint", "--no-fail=yes", CLEAN], ["lint", "--config", "", CLEAN], ["fmt", CLEAN],
    ["--version"], [], ["lint", "--form", "json", CLEAN],
]


@pytest.mark.parametrize("args", FAST, ids=" ".join)
def test_simple_lint_runs_without_click_and_as_click_runs_it(work, args):
    stdin = (GOLDEN / BAD).read_bytes() if "-" in args else b""
    fast, imported = _run("policyengine.entry", args, work, stdin)
    assert "lark" not in imported
    if not {"github", "junit"} & set(args):  # the CI formats share the check report's code, with click
        # click only for an error shown by PolicyError, which is defined with it
        failing = {"bad.yaml", "missing.policy", "--config=none.yaml"} & set(args)
        assert imported == ("click" if failing else "")
    assert fast == _run("policyengine.cli", args, work, stdin)[0]
    assert fast[2] in (0, 1, 2) and (fast[0] or fast[1])


@pytest.mark.parametrize("args", BY_CLICK, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_goes_to_click(work, args, monkeypatch):
    monkeypatch.chdir(work)  # `--config folder`: a folder there
    assert simple_arguments(args) is None
    entry, imported = _run("policyengine.entry", args, work)
    assert "click" in imported
    assert entry == _run("policyengine.cli", args, work)[0]


def test_the_simple_arguments_are_read_as_click_reads_them(work, monkeypatch):
    monkeypatch.chdir(work)
    assert simple_arguments(["lint", "a", "--no-fail", "-", "--format=json", "--fail-level", "error"]) == {
        "files": ["a", "-"], "output_format": "json", "config_path": None, "fail_level": "error", "no_fail": True}
    assert simple_arguments(["lint", "a", "--config", "off.yaml"])["config_path"] == "off.yaml"
    assert simple_arguments(["check", "a"]) is None


@given(st.lists(st.sampled_from(["", ".", "..", "a", "b.policy", "/", "//"]), max_size=6).map("/".join),
       st.booleans())
def test_config_folders_are_pathlibs(path, absolute):
    # lint finds each file's config from its folder upwards by os.path (pathlib's import was
    # a twentieth of lint's start-up): the same folders, named the same, as pathlib gives
    from pathlib import Path

    from policyengine.language.lint import _absolute, _parent

    if absolute:
        path = "/" + path
    want = Path(path).absolute()
    assert _absolute(path) == str(want)
    got, folders = _absolute(path), []
    while True:
        folders.append(got)
        parent = _parent(got)
        if parent == got:
            break
        got = parent
    assert folders == [str(p) for p in (want, *want.parents)]

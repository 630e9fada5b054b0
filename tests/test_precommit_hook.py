"""The pre-commit hooks of .pre-commit-hooks.yaml, run by a real `pre-commit run --all-files`,
and the README's two pre-commit snippets (repository form, `repo: local`) the same way.

The project's working tree (tracked and untracked files, less what .gitignore drops)
is copied to a temporary git repository and committed, so pre-commit can install it
as a hook repository at that commit. PRE_COMMIT_HOME is shared by the module, so the
hook environment (a virtualenv with this project pip-installed) is built once and
reused by every case.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
GOLDEN = Path(__file__).parent / "golden" / "lint"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | GIT_ENV
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def project_files() -> list[str]:
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    return [f for f in listed.split("\0") if f and (ROOT / f).is_file()
            and not f.startswith((".venv/", "tests/"))]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed copy of the project as it is now: (path, commit sha)."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for name in project_files():
        target = repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    assert (repo / ".pre-commit-hooks.yaml").is_file(), "the project has no .pre-commit-hooks.yaml"
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "snapshot for the pre-commit test", cwd=repo)
    return repo, git("rev-parse", "HEAD", cwd=repo).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def make_user_repo(folder: Path, hook_repo: tuple[Path, str], files: dict[str, str]) -> Path:
    path, sha = hook_repo
    folder.mkdir()
    config = {"repos": [{"repo": str(path), "rev": sha,
                         "hooks": [{"id": "policyengine-lint"}, {"id": "policyengine-fmt"}]}]}
    (folder / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=folder)
    git("add", "-A", cwd=folder)
    return folder


def run_hooks(repo: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))} | GIT_ENV
    env |= {"PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never", "NO_COLOR": "1"}
    return subprocess.run([*PRE_COMMIT, "run", "--all-files", "--color", "never"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)


def hook_lines(output: str) -> dict[str, str]:
    """{hook name: Passed|Failed|...} from pre-commit's status lines."""
    return dict(re.findall(r"^(policyengine lint|policyengine fmt --check)\.+(Passed|Failed|Skipped)\s*$",
                           output, flags=re.M))


CLEAN = (GOLDEN / "clean.policy").read_text(encoding="utf-8")


def test_hooks_pass_fail_and_report(tmp_path: Path, hook_repo, pre_commit_home: Path) -> None:
    # One module-scoped install; three user repositories share it.
    clean = make_user_repo(tmp_path / "clean", hook_repo,
                           {"policies/acme.policy": CLEAN, "README.txt": "not a policy {{{\n"})
    done = run_hooks(clean, pre_commit_home)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert hook_lines(out) == {"policyengine lint": "Passed", "policyengine fmt --check": "Passed"}, out

    bad = make_user_repo(tmp_path / "bad", hook_repo, {
        "acme.policy": CLEAN,
        "broken.policy": (GOLDEN / "pe206_no_retention.policy").read_text(encoding="utf-8"),
    })
    done = run_hooks(bad, pre_commit_home)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert hook_lines(out)["policyengine lint"] == "Failed", out
    assert "broken.policy:14:9: PE206: error: purpose 'support' has no retention" in out
    assert "  hint: add: retain at most 2 years from last_activity" in out

    messy = make_user_repo(tmp_path / "messy", hook_repo,
                           {"acme.policy": CLEAN.replace("subject customer", "subject   customer")})
    done = run_hooks(messy, pre_commit_home)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert hook_lines(out) == {"policyengine lint": "Passed", "policyengine fmt --check": "Failed"}, out
    assert "-subject   customer" in out and "+subject customer" in out
    # --diff only reports: the file in the work tree is left as it was
    assert "subject   customer" in (messy / "acme.policy").read_text(encoding="utf-8")


def test_diff_hook_against_head(tmp_path: Path, hook_repo, pre_commit_home: Path) -> None:
    """policyengine-diff compares the staged policy with the last commit: material fails."""
    path, sha = hook_repo
    folder = tmp_path / "diffs"
    folder.mkdir()
    config = {"repos": [{"repo": str(path), "rev": sha, "hooks": [{"id": "policyengine-diff"}]}]}
    (folder / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (folder / "acme.policy").write_text(CLEAN, encoding="utf-8")
    git("init", "-q", "-b", "main", cwd=folder)
    git("add", "-A", cwd=folder)
    done = run_hooks(folder, pre_commit_home)  # before the first commit: all of it is new
    assert done.returncode == 1 and "material: purpose_added" in done.stdout, done.stdout + done.stderr
    git("commit", "-q", "-m", "policy", cwd=folder)
    status = re.compile(r"^policyengine diff --against HEAD\.+(Passed|Failed)\s*$", re.M)

    done = run_hooks(folder, pre_commit_home)
    assert done.returncode == 0 and status.search(done.stdout).group(1) == "Passed", done.stdout

    (folder / "acme.policy").write_text(CLEAN.replace("subject customer", "# reviewed\nsubject customer"),
                                        encoding="utf-8")
    git("add", "acme.policy", cwd=folder)
    done = run_hooks(folder, pre_commit_home)
    assert done.returncode == 0, done.stdout  # a comment: minor

    longer = re.sub(r"retain at most (\d+)", lambda m: f"retain at most {int(m.group(1)) + 1}", CLEAN, count=1)
    assert longer != CLEAN
    (folder / "acme.policy").write_text(longer, encoding="utf-8")
    git("add", "acme.policy", cwd=folder)
    done = run_hooks(folder, pre_commit_home)
    out = done.stdout + done.stderr
    assert done.returncode == 1 and status.search(out).group(1) == "Failed", out
    assert re.search(r"HEAD:acme\.policy:\d+ -> acme\.policy:\d+: material: retention_maximum_lengthened", out), out


# ---- the README's two snippets, as written but for the values marked REPLACE ----------
README = (ROOT / "README.md").read_text("utf-8")


def snippets() -> list[str]:
    section = README.split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```yaml\n(.*?)```", section, flags=re.S)


def user_repo(folder: Path, config: str, files: dict[str, str]) -> Path:
    folder.mkdir()
    (folder / ".pre-commit-config.yaml").write_text(config, "utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    git("init", "-q", "-b", "main", cwd=folder)
    git("add", "-A", cwd=folder)
    return folder


def test_the_readme_has_both_forms_and_marks_what_to_replace():
    repository, local = snippets()
    assert "repo: local" in local and "additional_dependencies" in local
    for text in (repository, local):
        yaml.safe_load(text)  # valid YAML as written
        assert "REPLACE" in text


def test_repository_form_as_in_the_readme(tmp_path, hook_repo, pre_commit_home):
    path, sha = hook_repo
    config = snippets()[0]
    config = re.sub(r"repo: \S+(\s+# REPLACE)", rf"repo: {path}\1", config)
    config = re.sub(r"rev: \S+(\s+# REPLACE)", rf"rev: {sha}\1", config)
    assert str(path) in config and sha in config
    broken = (GOLDEN / "pe206_no_retention.policy").read_text("utf-8")
    repo = user_repo(tmp_path / "r", config, {"acme.policy": CLEAN, "broken.policy": broken})
    done = run_hooks(repo, pre_commit_home)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "broken.policy:14:9: PE206: error" in out
    assert re.search(r"^policyengine lint\.+Failed", out, re.M), out


def test_local_form_as_in_the_readme(tmp_path, hook_repo, pre_commit_home):
    path, _ = hook_repo
    config = snippets()[1]
    config, n = re.subn(r'additional_dependencies: \[".*?"\]', f'additional_dependencies: ["{path}"]', config)
    assert n == 1
    clean = user_repo(tmp_path / "clean", config, {"acme.policy": CLEAN})
    done = run_hooks(clean, pre_commit_home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^policyengine lint\.+Passed", done.stdout, re.M), done.stdout
    broken = (GOLDEN / "pe206_no_retention.policy").read_text("utf-8")
    bad = user_repo(tmp_path / "bad", config, {"broken.policy": broken})
    done = run_hooks(bad, pre_commit_home)
    assert done.returncode == 1 and "PE206: error" in done.stdout, done.stdout + done.stderr

"""Lint: parse and validate policy files, apply the config and inline ignores, report."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from . import ast
from . import diagnostics as diag  # diag.PolicyError: defined on first use (see there)
from .diagnostics import CODES, ERROR, INFO, LEVELS, WARNING, Diagnostic, did_you_mean, render_text, source_lines
from .parser import ParseFailed, parse
from .source import STDIN, parse_ignores, read_policy_text, silenced_line, statement_lines
from .validate import validate

CONFIG_NAMES = (".policyengine.yaml", ".policyengine.yml")
CONFIG_KEYS = ("rules",)
UNSILENCEABLE = frozenset({"PE001", "PE002", "PE003"})
OFF = "off"

@dataclass(frozen=True)
class LintConfig:
    levels: dict[str, str] = field(default_factory=dict)  # code -> error|warning|info|off

    def level_of(self, code: str) -> str:
        return self.levels.get(code, CODES[code][0])

    @classmethod
    def load(cls, path) -> "LintConfig":
        """The config in the file ``path`` (a Path, or a str as pathlib would print it)."""
        from .. import safe_yaml  # only when a config exists: start-up counts under pre-commit

        try:
            with open(os.fspath(path), encoding="utf-8") as f:
                data = safe_yaml.load(f.read(), str(path)) or {}
        except OSError as err:
            raise diag.PolicyError(f"cannot read config {path}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise diag.PolicyError(f"{path}: not valid YAML: the file is not UTF-8") from None
        except safe_yaml.YamlRefused as err:
            raise diag.PolicyError(str(err)) from None
        if isinstance(data, dict):
            for key in data:
                if key not in CONFIG_KEYS:
                    hint = did_you_mean(str(key), CONFIG_KEYS)
                    raise diag.PolicyError(f"{path}: unknown key {str(key)!r}"
                                      + (f"; {hint}" if hint else f" (known: {', '.join(CONFIG_KEYS)})"))
        rules = data.get("rules", {}) if isinstance(data, dict) else None
        if not isinstance(rules, dict):
            raise diag.PolicyError(f"{path}: expected a mapping 'rules: {{PE212: off, ...}}'")
        levels = {}
        for code, level in rules.items():
            if not isinstance(code, str):
                raise diag.PolicyError(f"{path}: unknown code {code!r} (known: {', '.join(CODES)})")
            if code in UNSILENCEABLE and level != ERROR:
                raise diag.PolicyError(f"{path}: {code} cannot be set to {level!r}: a file that cannot be "
                                  "read or parsed is never clean")
            level = OFF if level is False else str(level).lower()
            if code not in CODES:
                raise diag.PolicyError(f"{path}: unknown code {code!r} (known: {', '.join(CODES)})")
            if level not in LEVELS + (OFF,):
                raise diag.PolicyError(f"{path}: {code}: level must be one of error, warning, info, off")
            levels[code] = level
        return cls(levels)

    @classmethod
    def discover(cls, start) -> "LintConfig":
        """The config of the nearest folder from ``start`` upwards that has one (as Regal
        finds its config): a policy is linted by the rules of its own tree, wherever lint
        runs from. (Folders as pathlib's ``start.absolute()`` and its parents, by os.path:
        pathlib's import was a twentieth of lint's start-up.)"""
        folder = _absolute(os.fspath(start))
        while True:
            for name in CONFIG_NAMES:
                candidate = _join(folder, name)
                if os.path.isfile(candidate):
                    return cls.load(candidate)
            parent = _parent(folder)
            if parent == folder:
                return cls()
            folder = parent

    @classmethod
    def for_file(cls, path: str) -> "LintConfig":
        return cls.discover(os.getcwd() if path == "-" else _parent(_absolute(path)))


def _absolute(path: str) -> str:
    """As ``str(pathlib.Path(path).absolute())``: a relative path joined to the working
    folder; empty and '.' parts dropped, '..' kept (lexical: no link is resolved)."""
    if not path.startswith("/"):
        path = os.getcwd() + "/" + path
    root = "//" if path.startswith("//") and not path.startswith("///") else "/"
    return root + "/".join(part for part in path.split("/") if part and part != ".")


def _parent(path: str) -> str:
    """As ``pathlib``'s ``.parent`` of an absolute path from ``_absolute``."""
    head = path.rpartition("/")[0]
    return head if head.strip("/") else path[:len(path) - len(path.lstrip("/"))] or "/"


def _join(folder: str, name: str) -> str:
    return folder + name if folder.endswith("/") else f"{folder}/{name}"


@dataclass
class LintResult:
    diagnostics: list[Diagnostic]
    sources: dict[str, str]  # file -> text, for excerpts
    files: int = 0  # files linted, including those that could not be decoded
    unreadable: list[str] = field(default_factory=list)  # tool errors (exit 2); the rest was linted

    @property
    def failed(self) -> bool:
        return any(d.level in (ERROR, WARNING) for d in self.diagnostics)


def lint_text(text: str, file: str) -> tuple[list[Diagnostic], ast.PolicyFile | None]:
    """All diagnostics for one policy text, before config and inline ignores."""
    try:
        policy = parse(text, file)
    except ParseFailed as failed:
        return list(failed.diagnostics), None
    return validate(policy), policy


def lint_paths(paths: list[str], config: LintConfig | None = None) -> LintResult:
    """Lint files; ``config`` for all, or (None) each file's own, found from its folder up."""
    given, configs = config, {}
    unreadable: list[str] = []
    found: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in paths:
        if given is None:
            folder = _parent(_absolute(path)) if path != "-" else "-"
            if folder not in configs:
                configs[folder] = LintConfig.for_file(path)
            config = configs[folder]
        name = "<stdin>" if path == STDIN else path
        try:
            text = read_policy_text(path)
        except ParseFailed as failed:
            found.append(failed.diagnostic)
            continue
        except diag.PolicyError as err:  # unreadable: said, and the other files are still linted
            unreadable.append(err.format_message())
            continue
        sources[name] = text
        diagnostics, policy = lint_text(text, name)
        ignores, problems = parse_ignores(policy.comments, name) if policy else ([], [])
        first = statement_lines(policy) if policy else {}
        ignored = {(first.get(i.line, i.line), i.code): i for i in ignores}
        used = set()
        for d in diagnostics:
            level = config.level_of(d.code)
            key = (silenced_line(d, first), d.code)
            if d.code not in UNSILENCEABLE and key in ignored:
                used.add(key)
                continue
            if level != OFF:
                found.append(replace(d, level=level))
        problems += [Diagnostic("PE218", f"'lint-ignore: {i.code}' silences nothing on line {i.line}", i.span,
                                "remove it, or move it onto (or just above) the line it is for")
                     for key, i in ignored.items() if key not in used]
        found += [replace(d, level=config.level_of(d.code)) for d in problems
                  if config.level_of(d.code) != OFF]
    found.sort(key=lambda d: d.sort_key)
    return LintResult(found, sources, len(paths) - len(unreadable), unreadable)


# ---- output formats ---------------------------------------------------------
def format_text(result: LintResult) -> str:
    """The text report: each diagnostic with its excerpt, then the counts."""
    lines = {file: source_lines(text) for file, text in result.sources.items()}  # split once per file
    blocks = [render_text(d, lines.get(d.span.file)) for d in result.diagnostics]
    errors = sum(d.level == ERROR for d in result.diagnostics)
    warnings = sum(d.level == WARNING for d in result.diagnostics)
    files = result.files
    summary = f"{errors} error(s), {warnings} warning(s) in {files} file(s)"
    return "\n".join(blocks + [summary]) + "\n"


def _as_dict(d: Diagnostic) -> dict:
    return {"file": d.span.file, "line": d.span.line, "column": d.span.column,
            "end_line": d.span.end_line, "end_column": d.span.end_column,
            "code": d.code, "level": d.level, "message": d.message, "hint": d.hint}


def format_json(result: LintResult) -> str:
    """The diagnostics as a JSON array."""
    import json  # the json and sarif formats only: start-up counts under pre-commit

    return json.dumps([_as_dict(d) for d in result.diagnostics], indent=2, ensure_ascii=False) + "\n"


def _artifact(file: str) -> dict:
    """A SARIF artifactLocation: relative URIs against %SRCROOT%, absolute as file: URIs."""
    from pathlib import Path  # SARIF only: lint's start-up does not load it

    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return {"uri": path.as_uri()}
    from urllib.parse import quote

    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


_SARIF_LEVEL = {ERROR: "error", WARNING: "warning", INFO: "note"}


def format_sarif(result: LintResult) -> str:
    """SARIF 2.1.0 as GitHub code scanning takes it (relative URIs, 1-based regions)."""
    from ..version import tool_version  # only here: start-up counts under pre-commit

    codes = sorted(CODES)
    rules = [{"id": code, "name": CODES[code][1].title().replace(" ", "").replace(".", ""),
              "shortDescription": {"text": CODES[code][1]},
              "defaultConfiguration": {"level": _SARIF_LEVEL[CODES[code][0]]}} for code in codes]
    results = []
    for d in result.diagnostics:
        text = d.message + (f" ({d.hint})" if d.hint else "")
        region = {"startLine": max(1, d.span.line), "startColumn": max(1, d.span.column)}
        if d.span.end_line >= d.span.line and d.span.end_column > 0:
            region.update(endLine=d.span.end_line, endColumn=d.span.end_column)
        results.append({
            "ruleId": d.code, "ruleIndex": codes.index(d.code), "level": _SARIF_LEVEL[d.level],
            "message": {"text": text},
            "locations": [{"physicalLocation": {
                "artifactLocation": _artifact(d.span.file),
                "region": region}}],
        })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "policyengine", "version": tool_version(),
                                      "informationUri": "https://pypi.org/project/privacy-promises/",
                                      "rules": rules}},
                  "results": results}],
    }
    import json

    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif}

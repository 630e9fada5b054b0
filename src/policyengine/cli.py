"""The `policyengine` command: a thin click layer over the library.

Exit codes: 0 clean / nothing due, 1 findings (lint diagnostics, a file fmt
would change, records that need action), 2 the tool could not run.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import click

from .cli_lint import CI_FORMATS, FAIL_LEVELS, FORMATS, exit_code, run as run_lint  # noqa: F401 - exit_code: API
from .escaping import printable
from .entry import _silence
from .language.diagnostics import EXIT_FINDINGS, EXIT_INTERRUPTED, EXIT_READER_GONE, EXIT_TOOL_ERROR, PolicyError, render_text
from .language.source import policy_files, read_policy_text


class _LazyGroup(click.Group):
    """Imports a command's module only when that command runs: `lint` under
    pre-commit should not pay for loading the record-checking machinery."""

    lazy = {"check": "policyengine.cli_check:check",
            "explain": "policyengine.cli_check:explain",
            "compile": "policyengine.cli_check:compile_command",
            "notice": "policyengine.cli_documents:notice",
            "ropa": "policyengine.cli_documents:ropa",
            "export": "policyengine.cli_documents:export",
            "diff": "policyengine.cli_diff:diff",
            "test": "policyengine.cli_test:test_command",
            "init": "policyengine.cli_init:init"}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def invoke(self, ctx):
        # Ctrl-C: exit 130 (128 + SIGINT) with no traceback, whichever command was running
        # (click's own handling prints "Aborted!" and exits 1, the "findings" code).
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            _interrupted()
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: their message and exit code
        except Exception as exc:  # noqa: BLE001 - see _internal_error (EPIPE too: never click's 1)
            _internal_error(exc)

    def get_command(self, ctx, name):
        if name in self.lazy:
            import importlib

            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


def _internal_error(exc: BaseException) -> None:
    """An exception no command expected, never left to the interpreter's 1 (or click's),
    which reads as "findings": the reader of stdout gone (EPIPE) is 141, quietly; another
    OSError is the system's refusal, said as such, exit 2; anything else is a bug, said in
    one line, not a traceback (POLICYENGINE_TRACEBACK=1 shows it), exit 2."""
    if isinstance(exc, BrokenPipeError) or getattr(exc, "errno", None) == errno.EPIPE:
        _silence(sys.stdout)
        sys.exit(EXIT_READER_GONE)
    if isinstance(exc, OSError):  # not a bug: the system refused (a full disk under stdout, EIO)
        where = f"{printable(str(exc.filename))}: " if exc.filename else ""
        _silence(sys.stdout)  # what is still buffered would fail again at the interpreter's exit
        try:
            click.echo(f"policyengine: error: {where}{printable(exc.strerror or str(exc))}", err=True)
        except OSError:  # stderr refuses too: the exit status still says it
            _silence(sys.stderr)
        sys.exit(EXIT_TOOL_ERROR)
    if os.environ.get("POLICYENGINE_TRACEBACK"):
        raise exc
    click.echo(f"policyengine: internal error: {printable(type(exc).__name__)}: {printable(str(exc))} "
               "(a bug: please report it; POLICYENGINE_TRACEBACK=1 shows where)", err=True)
    sys.exit(EXIT_TOOL_ERROR)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``--version``, and whether the optional C screen is in use (imported only here)."""
    if not value or ctx.resilient_parsing:
        return
    import importlib
    from importlib.metadata import version

    note = ""
    for name in ("policyengine._screen",):
        try:
            importlib.import_module(name)
            break
        except ImportError:
            continue
    else:
        note = " (the C screen policyengine._screen is not built: check uses the pure-Python screen, same findings, slower)"
    click.echo(f"policyengine, version {version('privacy-promises')}{note}")
    ctx.exit()


def _interrupted() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while leaving changes nothing
    click.echo("policyengine: interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
def main() -> None:
    """Privacy policy as code: lint, format, check and diff policy files."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(allow_dash=True))
@click.option("--format", "output_format", type=click.Choice(FORMATS),
              default="text", show_default=True,
              help="sarif: SARIF 2.1.0; github: annotations; junit: JUnit XML.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="YAML config setting rule levels (default: .policyengine.yaml found from each "
                   "file's folder upwards).")
@click.option("--fail-level", type=click.Choice(FAIL_LEVELS), default="warning", show_default=True,
              help="Exit 1 only for diagnostics at this level or above.")
@click.option("--no-fail", is_flag=True, help="Exit 0 whatever is found (2 still means the tool failed).")
def lint(files: tuple[str, ...], output_format: str, config_path: str | None, fail_level: str,
         no_fail: bool) -> None:
    """Report every error and warning in policy FILES (a directory: its *.policy files;
    -: stdin).

    Silence one finding with a comment `# lint-ignore: PE212` on its line (or
    alone on the line above). Exit 0 clean, 1 findings, 2 the tool failed.
    """
    sys.exit(run_lint(files, output_format, config_path, fail_level, no_fail, click.echo))


def _write_atomically(path: Path, text: str) -> None:
    """Replace the file's text (through a temporary file and a rename). A symbolic link is
    kept: the file it points to is rewritten. A folder that cannot be written is a clean
    error, and the file is left as it was."""
    path = Path(os.path.realpath(path))
    try:
        _replace(path, text)
    except OSError as err:
        raise PolicyError(f"cannot write {path}: {err.strerror or err}") from None


def _replace(path: Path, text: str) -> None:
    import tempfile  # fmt --write only: lint's start-up does not load it

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fmt-tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@main.command()
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True))
@click.option("--check", is_flag=True, help="Change nothing; exit 1 if any file would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff of what would change.")
@click.option("--write", "-w", is_flag=True, help="Rewrite the files in place.")
@click.option("--list", "-l", "list_only", is_flag=True, help="List the files that would change.")
def fmt(files: tuple[str, ...], check: bool, show_diff: bool, write: bool, list_only: bool) -> None:
    """Format policy FILES canonically (a directory: its *.policy files; stdin to stdout
    when no FILES).

    Exit 0 formatted or already canonical, 1 with --check/--diff/--list when
    something would change, 2 a file could not be read or parsed.
    """
    from .language.fmt import format_text

    if write and not files:
        raise PolicyError("--write needs FILES (stdin is formatted to stdout)")
    if write and (check or show_diff or list_only):
        raise PolicyError("--write changes files; --check, --diff and --list only report: give one")
    changed = failed = 0
    for name in policy_files(files) if files else ("-",):
        if write and name == "-":
            click.echo("policyengine fmt: --write cannot rewrite stdin ('-')", err=True)
            failed += 1
            continue
        try:
            original = _source(name)
            formatted = format_text(original, "<stdin>" if name == "-" else name)
        except PolicyError as err:
            click.echo(f"policyengine fmt: {err.format_message()}", err=True)
            failed += 1
            continue
        if formatted == original:
            if not (check or show_diff or write or list_only):
                click.echo(formatted, nl=False)
            continue
        changed += 1
        if list_only or check:
            click.echo(printable(name))
        if show_diff:
            import difflib

            diff = difflib.unified_diff(original.splitlines(True), formatted.splitlines(True),
                                        f"a/{name}", f"b/{name}")
            click.echo("".join(diff), nl=False)
        if write:
            try:
                _write_atomically(Path(name), formatted)
            except PolicyError as err:
                click.echo(f"policyengine fmt: {err.format_message()}", err=True)
                failed += 1
        elif not (check or show_diff or list_only):
            click.echo(formatted, nl=False)
    if failed:
        sys.exit(EXIT_TOOL_ERROR)
    if changed and (check or show_diff or list_only):
        sys.exit(EXIT_FINDINGS)


def _source(name: str) -> str:
    """A policy's text from a file or, for '-', stdin; bad bytes are a tool error here."""
    from .language.parser import ParseFailed

    try:
        return read_policy_text(name)
    except ParseFailed as failed:
        raise PolicyError(render_text(failed.diagnostic, None)) from None


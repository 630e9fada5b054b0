"""The `policyengine` entry point. `lint` with simple arguments (cli_lint.simple_arguments)
runs here without importing click: pre-commit starts lint per commit, and click's import
was a seventh of its start-up. Everything else -- the other commands, --help, options
written any other way, a value click would refuse, shell completion -- goes to the click
group (cli.main), which reads and runs it as it always did. Both run lint through
cli_lint.run; tests/test_lint_entry.py holds them to the same output and exit status.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """The ``policyengine`` command; stdout that refuses what was written outside a
    command (``--help``, ``--version``, click's usage errors: flushed here, not by the
    interpreter, whose failure would be a traceback and exit 120): exit 141 quietly for
    a reader gone, else one line and 2."""
    try:
        _main(argv)
    except SystemExit as done:
        _flush_or_leave(done.code if isinstance(done.code, int) else 2)
        raise
    except OSError as exc:
        _leave(exc)
    _flush_or_leave(0)


def _flush_or_leave(code: int) -> None:
    try:
        sys.stdout.flush()
    except OSError as exc:
        if code:
            _silence(sys.stdout)
            sys.exit(code)
        _leave(exc)


def _leave(exc: OSError) -> None:
    from .cli import _internal_error  # 141 for a reader gone, else one line and 2

    _internal_error(exc)


def _main(argv: list[str] | None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    completing = any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)
    if not completing and _text_streams_are_utf8():
        from . import cli_lint

        given = cli_lint.simple_arguments(args)
        if given is not None:
            sys.exit(_lint(cli_lint, given))
    from .cli import main as command

    command(args=None if argv is None else args)


def _text_streams_are_utf8() -> bool:
    """click re-wraps a stream whose encoding cannot write all text; such a stream is
    left to it."""
    import codecs

    try:
        return all(codecs.lookup(s.encoding).name == "utf-8" for s in (sys.stdout, sys.stderr))
    except (AttributeError, LookupError, TypeError):
        return False


def _lint(cli_lint, given: dict) -> int:
    from .language import diagnostics as diag

    try:
        return cli_lint.run(**given, echo=cli_lint.echo)
    except KeyboardInterrupt:  # as the click group: 130, no traceback
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        cli_lint.echo("policyengine: interrupted", err=True)
        return diag.EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away: 141 quietly, as the click group
        _silence(sys.stdout)
        return diag.EXIT_READER_GONE
    except diag.PolicyError as err:  # defined (and click imported) only now
        err.show()
        return err.exit_code
    except Exception as exc:  # noqa: BLE001 - exit 2, as the click group does (cli._internal_error)
        from .cli import _internal_error

        _internal_error(exc)
        raise  # not reached: _internal_error exits


def _silence(stream) -> None:
    """Point ``stream``'s descriptor at /dev/null: its buffer's last flush cannot fail
    (after EPIPE or ENOSPC; the click group uses it too)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass

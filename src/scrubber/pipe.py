"""The pipe: stdin to stdout, as a web server's piped log (``CustomLog "|scrubber ..."``)
or ``scrubber < in > out`` runs it, and the ``scrubber`` entry point.

A pipe with only simple options (``--max-age``, ``--now``, ``--timezone``, the prefix
lengths, ``--line-buffered``) is run from here without importing click or the CLI:
click's import was a fifth of a 200k-line run.  Anything else -- files, other options,
``--help``, an option written any other way, a value that does not parse -- goes to the
click command (scrubber.cli), which parses, reports and runs exactly as it always does.
Both run a pipe through :func:`run_pipe`; tests/test_scrubber_pipe_entry.py holds the
two parsers to the same settings, output and exit status.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, NamedTuple, NoReturn

from . import _version
from .core import Settings, Stats, keep_heap, native_available
from .stream import Terminated, scrub_stream
from .timestamps import duration_parts, resolve_timezone

EXIT_OK = 0
EXIT_FILES_FAILED = 1
EXIT_USAGE = 2
EXIT_SIGINT = 128 + 2
EXIT_SIGPIPE = 128 + 13
EXIT_SIGTERM = 128 + 15

DEFAULT_IPV4_PREFIX = 24
DEFAULT_IPV6_PREFIX = 48


class Interrupted(Terminated):
    """Ctrl-C: stops like SIGTERM (flush, clean up) but exits 130."""


def _on_signal(signum: int, frame: Any) -> None:
    raise Interrupted() if signum == signal.SIGINT else Terminated()


def catch_signals() -> dict[int, Any]:
    """Handle SIGTERM and SIGINT; a SIGINT the parent ignores (``cmd &``) stays ignored."""
    previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _on_signal)}
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, _on_signal)
    return previous


def silence_stdout() -> None:
    """After EPIPE: make the interpreter's final flush of stdout quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def stdout_binary() -> BinaryIO:
    """Large blocks straight to fd 1 (or the binary stream a test harness gives)."""
    try:
        return open(sys.stdout.fileno(), "wb", buffering=1 << 20, closefd=False)  # noqa: SIM115
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stdout.buffer


def stdin_source() -> int | BinaryIO:
    try:
        return sys.stdin.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stdin.buffer


def parse_now(text: str) -> _dt.datetime:
    """``--now``: ISO 8601, ``Z`` for UTC; ValueError if not."""
    return _dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def slow_path_note() -> str:
    """Why the pure-Python path runs, or "" when the C core is in use."""
    if native_available():
        return ""
    if os.environ.get("SCRUBBER_PURE", "") not in ("", "0"):
        return "pure-Python path: SCRUBBER_PURE is set"
    return "the C core scrubber._native is not built: pure-Python path, same output, about 20x slower"


def version_line() -> str:
    note = slow_path_note()
    return f"scrubber, version {_version()}" + (f" ({note})" if note else "")


def leave_broken_pipe(report: Callable[[], None]) -> NoReturn:
    """stdout's reader left: report what was done, exit 141 without a second EPIPE."""
    silence_stdout()
    report()
    sys.exit(EXIT_SIGPIPE)


def leave_terminated(stop: Terminated, previous: dict[int, Any], out: BinaryIO | None,
                     report: Callable[[], None]) -> NoReturn:
    """SIGINT/SIGTERM: what was scrubbed is flushed, then the report, exit 130 or 143
    (and a --jobs worker's death, if one came with it: the output stops before its range)."""
    for signum in previous:  # a second signal while leaving changes nothing
        signal.signal(signum, signal.SIG_IGN)
    said = getattr(stop, "worker_gone_message", None)
    if said is not None:
        from .errors import printable

        sys.stderr.write(f"scrubber: error: {printable(said)}\n")
    try:
        if out is not None:
            out.flush()
    except OSError:
        silence_stdout()
    report()
    sys.exit(EXIT_SIGINT if isinstance(stop, Interrupted) else EXIT_SIGTERM)


def run_pipe(make_settings: Callable[[], Settings], *, line_buffered: bool, report: Callable[[Stats], None]) -> NoReturn:
    """Scrub stdin to stdout and exit: 0, 141 when stdout's reader went away, 130/143 on
    SIGINT/SIGTERM after flushing what was read.  ``make_settings`` runs once the signal
    handlers are in place; what it raises (the CLI's ConfigError) propagates."""
    previous = catch_signals()
    total = Stats()
    out: BinaryIO | None = None
    try:
        settings = make_settings()
        out = stdout_binary()
        keep_heap()
        scrub_stream(stdin_source(), out, settings, line_buffered=line_buffered, stats=total)
        report(total)
    except BrokenPipeError:
        leave_broken_pipe(lambda: report(total))
    except Terminated as stop:
        leave_terminated(stop, previous, out, lambda: report(total))
    except OSError as exc:  # stdin or stdout refused (a full disk, EIO): said, not a traceback
        leave_failed(exc, lambda: report(total))
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    sys.exit(EXIT_OK)


def leave_failed(exc: OSError, report: Callable[[], None]) -> NoReturn:
    """Reading stdin or writing stdout failed: exit 1 with the system's reason."""
    from .errors import printable

    try:
        report()
    except OSError:
        pass
    silence_stdout()  # (what is still buffered would fail again at the interpreter's exit)
    try:
        sys.stderr.write(f"scrubber: error: {printable(exc.strerror or str(exc))} (stdin to stdout)\n")
        sys.stderr.flush()
    except OSError:  # stderr refuses too: the exit status still says it
        pass
    sys.exit(EXIT_FILES_FAILED)


class PipeOptions(NamedTuple):
    """The options a pipe may be given without the click command."""

    ipv4_prefix: int | None = None
    ipv6_prefix: int | None = None
    max_age: str | None = None
    now: str | None = None
    timezone: str | None = None
    line_buffered: bool = False


_VALUED = {"--max-age": "max_age", "--now": "now", "--timezone": "timezone",
           "--ipv4-prefix": "ipv4_prefix", "--ipv6-prefix": "ipv6_prefix"}
_RANGES = {"ipv4_prefix": 32, "ipv6_prefix": 128}


def simple_pipe_options(args: Sequence[str]) -> PipeOptions | None:
    """``args`` as PipeOptions when they are only the options above, each once, written
    ``--opt VALUE`` or ``--opt=VALUE`` with a value that is not empty and does not start
    with '-', prefixes plain decimal in range; else None (the click command decides)."""
    seen: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--line-buffered":
            key, value = "line_buffered", True
        else:
            name, eq, value = arg.partition("=")
            key = _VALUED.get(name)
            if key is None:
                return None
            if not eq:
                if i >= len(args):
                    return None
                value = args[i]
                i += 1
            if not value or value.startswith("-"):
                return None
            if key in _RANGES:
                if not (value.isascii() and value.isdigit()) or int(value) > _RANGES[key]:
                    return None
                value = int(value)
        if key in seen:
            return None
        seen[key] = value
    return PipeOptions(**seen)


def pipe_settings(opts: PipeOptions) -> Settings:
    """The settings the click command builds from the same options (cli.build_settings,
    without a policy or key file); ValueError where it reports a configuration error."""
    if opts.max_age is not None:
        duration_parts(opts.max_age)
    resolve_timezone(opts.timezone)
    return Settings.create(
        ipv4_prefix=DEFAULT_IPV4_PREFIX if opts.ipv4_prefix is None else opts.ipv4_prefix,
        ipv6_prefix=DEFAULT_IPV6_PREFIX if opts.ipv6_prefix is None else opts.ipv6_prefix,
        max_age=opts.max_age,
        now=parse_now(opts.now) if opts.now else None,
        timezone=opts.timezone,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """The ``scrubber`` command; stdout that refuses what was written outside a run
    (``--help``, ``--version``: flushed here, not by the interpreter, whose own failure
    would be a traceback and exit 120): 141 quietly for a reader gone, else one line, 1."""
    try:
        _main(argv)
    except SystemExit as done:
        _flush_or_leave(done.code if isinstance(done.code, int) else EXIT_FILES_FAILED)
        raise
    except BrokenPipeError:
        silence_stdout()
        sys.exit(EXIT_SIGPIPE)
    except OSError as exc:
        leave_failed(exc, lambda: None)
    _flush_or_leave(EXIT_OK)


def _flush_or_leave(code: int) -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        sys.exit(code or EXIT_SIGPIPE)
    except OSError as exc:
        silence_stdout()
        if code:
            sys.exit(code)
        leave_failed(exc, lambda: None)


def _main(argv: Sequence[str] | None) -> None:
    """A simple pipe here, everything else by scrubber.cli."""
    args = sys.argv[1:] if argv is None else list(argv)
    # click's shell completion (_SCRUBBER_COMPLETE=bash_source ...) is click's to answer.
    completing = any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)
    if not completing and args in (["--version"], ["-V"]):
        sys.stdout.write(version_line() + "\n")
        sys.stdout.flush()
        sys.exit(EXIT_OK)
    opts = None if completing else simple_pipe_options(args)
    if opts is not None:
        try:
            settings = pipe_settings(opts)
        except ValueError:
            pass  # the click command says what is wrong, as it always did
        else:
            run_pipe(lambda: settings, line_buffered=opts.line_buffered, report=lambda total: None)
    from .cli import main as command

    command(args=None if argv is None else list(argv))

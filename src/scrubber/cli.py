"""``scrubber``: a thin click command over scrubber.core and scrubber.files.

Exit codes: 0 everything processed; 1 some input files failed (the others were
processed, failed ones left untouched); 2 usage or configuration error (nothing
processed); 130 stopped by SIGINT (Ctrl-C) and 143 by SIGTERM, both after flushing
what had been read; 141 the reader of stdout went away (SIGPIPE).
"""

from __future__ import annotations

import contextlib
import errno
import signal
import sys
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from .core import Settings, Stats, keep_heap, native_available
from .files import (
    ConfigError,
    FileError,
    Terminated,
    iter_targets,
    printable,
    scrub_file_in_place,
    scrub_file_to,
)
from .pipe import (  # noqa: F401 (EXIT_* and Interrupted: part of this module's interface)
    DEFAULT_IPV4_PREFIX,
    DEFAULT_IPV6_PREFIX,
    EXIT_FILES_FAILED,
    EXIT_OK,
    EXIT_SIGINT,
    EXIT_SIGPIPE,
    EXIT_SIGTERM,
    EXIT_USAGE,
    Interrupted,
    catch_signals as _catch_signals,
    leave_broken_pipe,
    leave_terminated,
    parse_now,
    run_pipe,
    silence_stdout as _silence_stdout,
    slow_path_note as _slow_path_note,
    stdout_binary as _stdout,
    version_line as _version_line,
)
from .progress import Progress, wanted as progress_wanted
from .timestamps import duration_parts, resolve_timezone

MIN_KEY_BYTES = 16


def _load_policy(policy: str, purpose: str | None) -> Any:
    if not purpose:
        raise ConfigError("--policy needs --purpose NAME (the purpose whose log rules apply)")
    try:
        from policyengine import scrubber_settings  # type: ignore[attr-defined]
    except ImportError as exc:
        raise ConfigError(f"reading settings from a policy needs policyengine.scrubber_settings ({exc})") from exc
    try:
        return scrubber_settings(policy, purpose)
    except click.ClickException as exc:  # its message names the policy file already
        error = ConfigError(exc.format_message())
        error.multiline = True
        raise error from exc
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{policy}: {exc}") from exc


def _read_key(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            key = f.read().strip()
    except OSError as exc:
        raise ConfigError(f"--hash-key-file {path}: {exc.strerror or exc}") from exc
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(
            f"--hash-key-file {path}: the key must be at least {MIN_KEY_BYTES} bytes "
            "(e.g. `head -c 32 /dev/urandom | base64 > KEYFILE`)"
        )
    return key


def _parse_now(text: str) -> Any:
    try:
        return parse_now(text)
    except ValueError as exc:
        raise ConfigError(f"--now {text!r}: not an ISO 8601 date and time (e.g. 2024-06-30T12:00:00Z)") from exc


def build_settings(
    ipv4_prefix: int | None,
    ipv6_prefix: int | None,
    max_age: str | None,
    now: str | None,
    timezone: str | None,
    hash_key_file: str | None,
    policy: str | None,
    purpose: str | None,
) -> Settings:
    from .core import Settings
    from .timestamps import parse_duration, resolve_timezone

    if policy:
        ps = _load_policy(policy, purpose)
        if ipv4_prefix is None:
            ipv4_prefix = int(ps.ipv4_prefix)
        if ipv6_prefix is None:
            ipv6_prefix = int(ps.ipv6_prefix)
        if max_age is None and ps.max_age:
            max_age = str(ps.max_age)
    elif purpose:
        raise ConfigError("--purpose needs --policy FILE")
    v4 = DEFAULT_IPV4_PREFIX if ipv4_prefix is None else ipv4_prefix
    v6 = DEFAULT_IPV6_PREFIX if ipv6_prefix is None else ipv6_prefix
    if not 0 <= v4 <= 32 or not 0 <= v6 <= 128:
        raise ConfigError(f"prefix lengths out of range: IPv4 /{v4}, IPv6 /{v6}")
    if max_age is not None:
        try:
            duration_parts(max_age)
        except ValueError as exc:
            raise ConfigError(f"--max-age: {exc}") from exc
    try:
        resolve_timezone(timezone)
    except ValueError as exc:
        raise ConfigError(f"--timezone: {exc}") from exc
    key = _read_key(hash_key_file) if hash_key_file else None
    try:
        return Settings.create(
            ipv4_prefix=v4,
            ipv6_prefix=v6,
            max_age=max_age,
            now=_parse_now(now) if now else None,
            timezone=timezone,
            hash_key=key,
        )
    except ValueError as exc:  # the cut-off or now outside the calendar (years 1-9999)
        raise ConfigError(f"--max-age/--now: {exc}") from exc


def _default_jobs(paths: tuple[str, ...]) -> int:
    from .parallel import default_jobs

    return default_jobs(paths)


def _report(stats: Stats, fmt: str | None) -> None:
    if not fmt:
        return
    from .core import native_available

    if fmt == "json":
        import json

        doc = {"scrubber": stats.as_dict(), "native": native_available()}
        click.echo(json.dumps(doc, sort_keys=True), err=True)
    else:
        d = stats.as_dict()
        click.echo("scrubber: " + " ".join(f"{k}={v}" for k, v in d.items()), err=True)
        if not native_available():
            click.echo(f"scrubber: note: {_slow_path_note()}", err=True)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _p, v: (click.echo(_version_line()), ctx.exit()) if v else None,
    help="Show the version and exit.",
)
@click.argument("paths", nargs=-1, type=str, metavar="[FILE|DIR|GLOB]...")
@click.option("-i", "--in-place", is_flag=True, help="Rewrite each file atomically instead of writing to stdout.")
@click.option(
    "--break-hard-links",
    is_flag=True,
    help="With --in-place, also rewrite a file that has other hard links (they keep the old content).",
)
@click.option("--ipv4-prefix", type=click.IntRange(0, 32), default=None, help="IPv4 bits to keep [default: 24].")
@click.option("--ipv6-prefix", type=click.IntRange(0, 128), default=None, help="IPv6 bits to keep [default: 48].")
@click.option(
    "--hash-key-file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Replace addresses by keyed HMAC pseudonyms (240.0.0.0/4, 2001:db8::/32) instead of truncating.",
)
@click.option("--max-age", default=None, metavar="DURATION", help="Drop lines older than this (30d, 2w, 1mo, 12h).")
@click.option("--now", default=None, metavar="ISO8601", help="Fix 'now' for --max-age (reproducible runs).")
@click.option("--timezone", default=None, metavar="ZONE", help="Zone of timestamps without one [default: local].")
@click.option("--policy", type=click.Path(exists=True, dir_okay=False), default=None, help="Take settings from this policy.")
@click.option("--purpose", default=None, metavar="NAME", help="The policy purpose whose log rules apply.")
@click.option("--stats", "stats_text", is_flag=True, help="When done, print counts to stderr as text.")
@click.option("--stats-json", "stats_json", is_flag=True, help="When done, print counts to stderr as one JSON line.")
@click.option("--line-buffered", is_flag=True, help="Flush after every line read (tail -f, live pipes).")
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="When walking a directory, only file names matching GLOB (repeatable) [default: all non-hidden].",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 512),
    default=None,
    help="Worker processes for files (a pipe is read by one) [default: the cores when several files are given, else 1].",
)
def main(
    paths: tuple[str, ...],
    in_place: bool,
    break_hard_links: bool,
    ipv4_prefix: int | None,
    ipv6_prefix: int | None,
    hash_key_file: str | None,
    max_age: str | None,
    now: str | None,
    timezone: str | None,
    policy: str | None,
    purpose: str | None,
    stats_text: bool,
    stats_json: bool,
    line_buffered: bool,
    include: tuple[str, ...],
    jobs: int | None,
) -> None:
    """Truncate every IP address in web server logs and drop expired lines.

    With no FILE, read stdin and write stdout (an Apache/nginx log pipe).  With
    files, write the scrubbed files to stdout, or rewrite them with --in-place;
    .gz files are read and rewritten as gzip; directories are walked.

    Exit status: 0 ok, 1 some files failed, 2 usage/configuration error,
    130 SIGINT (Ctrl-C), 141 stdout closed, 143 SIGTERM.
    """
    from .core import Stats
    from .files import iter_targets, scrub_file_in_place, scrub_file_to, scrub_stream
    from .progress import Progress, wanted as progress_wanted

    stats_format = "json" if stats_json else "text" if stats_text else None
    if not paths and not in_place:  # a pipe; scrubber.pipe runs the simple ones without click
        run_pipe(
            lambda: build_settings(ipv4_prefix, ipv6_prefix, max_age, now, timezone, hash_key_file, policy, purpose),
            line_buffered=line_buffered,
            report=lambda total: _report(total, stats_format),
        )
    previous = _catch_signals()
    total = Stats()
    out: BinaryIO | None = None
    code = EXIT_OK
    workers: Any = None
    pump = None
    try:
        settings = build_settings(ipv4_prefix, ipv6_prefix, max_age, now, timezone, hash_key_file, policy, purpose)
        if in_place and not paths:
            raise ConfigError("--in-place needs at least one FILE, DIR or GLOB")
        out = _stdout()
        keep_heap()
        if paths:  # (a pipe ran in run_pipe above)
            if jobs is None:
                jobs = _default_jobs(paths)
            if jobs > 1:
                from .parallel import Workers

                workers = Workers(jobs)
                pump = workers.pump
            progress = Progress.for_paths(paths, list(include)) if progress_wanted(in_place) else None
            targets = iter_targets(paths, list(include))
            for path in progress.walk(targets) if progress else targets:  # a progress line on a terminal only
                if isinstance(path, str):  # an argument that names nothing
                    with progress.message() if progress else contextlib.nullcontext():
                        click.echo(f"scrubber: error: {printable(path)}", err=True)
                    total.files_failed += 1
                    continue
                try:
                    if in_place:
                        total.add(scrub_file_in_place(path, settings, break_hard_links=break_hard_links, pump=pump))
                    else:
                        total.add(scrub_file_to(path, out, settings, pump=pump))
                        if line_buffered:
                            out.flush()
                except FileError as exc:
                    with progress.message() if progress else contextlib.nullcontext():
                        exc.show()
                    total.files_failed += 1
            try:
                out.flush()
            except OSError as exc:
                if exc.errno == errno.EPIPE:
                    raise
                click.echo(f"scrubber: error: writing the output: {printable(exc.strerror or str(exc))}", err=True)
                code = EXIT_FILES_FAILED  # (not one more failed file: the files' own errors count those)
            if workers is not None:  # here, not only in finally: a signal meanwhile is handled below
                workers.close(terminate=True)  # every result was written
        if total.files_failed:
            code = EXIT_FILES_FAILED
        _report(total, stats_format)
    except BrokenPipeError:
        leave_broken_pipe(lambda: _report(total, stats_format))
    except Terminated as stop:
        leave_terminated(stop, previous, out, lambda: _report(total, stats_format))
    finally:
        if workers is not None:
            workers.close(terminate=True)  # every result was written or is not wanted
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    sys.exit(code)

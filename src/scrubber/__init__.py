"""scrubber: stream web logs, truncate every IP address, drop expired lines -- fast.

Library API (pure functions and classes, no I/O unless the name says so)::

    from scrubber import Settings, scrub_block, scrub_lines, Streamer

    settings = Settings.create(ipv4_prefix=24, ipv6_prefix=48, max_age="30d")
    out, stats, state = scrub_block(data, settings)      # whole lines of bytes
    streamer = Streamer(settings)                        # arbitrary chunks
    out = streamer.feed(chunk) + streamer.finish()

File helpers: ``scrub_file_in_place``, ``scrub_file_to``, ``scrub_stream``.
"""

from __future__ import annotations



VERSION = "0.1.0"  # [project] version in pyproject.toml (tests/test_scrubber_startup.py checks)


def _version() -> str:
    # A constant, not importlib.metadata: that import was a fifth of `scrubber --version`.
    return VERSION


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(name)

from .addresses import AddressPolicy, scrub_token  # noqa: E402
from .core import Settings, State, Stats, Streamer, native_available, scrub_block  # noqa: E402
from .files import (  # noqa: E402
    ConfigError,
    FileError,
    ScrubberError,
    scrub_file_in_place,
    scrub_file_to,
    scrub_stream,
)
from .timestamps import make_cutoff, parse_duration  # noqa: E402


def scrub_lines(data: bytes, settings: Settings | None = None) -> bytes:
    """Convenience: scrub a complete input given as one bytes object."""
    streamer = Streamer(settings or Settings())
    return streamer.feed(data) + streamer.finish()


__all__ = [
    "__version__",
    "AddressPolicy",
    "ConfigError",
    "FileError",
    "ScrubberError",
    "Settings",
    "State",
    "Stats",
    "Streamer",
    "make_cutoff",
    "native_available",
    "parse_duration",
    "scrub_block",
    "scrub_file_in_place",
    "scrub_file_to",
    "scrub_lines",
    "scrub_stream",
    "scrub_token",
]

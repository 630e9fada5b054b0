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

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core import Settings

VERSION = "0.1.0"  # [project] version in pyproject.toml (tests/test_scrubber_startup.py checks)


def _version() -> str:
    # A constant, not importlib.metadata: that import was a fifth of `scrubber --version`.
    return VERSION


# The public API, imported on first use: `scrubber --version` (and the CLI's start-up
# generally) should not load the core and the file layer before it needs them.
_EXPORTS = {
    "AddressPolicy": "addresses", "scrub_token": "addresses",
    "Settings": "core", "State": "core", "Stats": "core", "Streamer": "core",
    "native_available": "core", "scrub_block": "core",
    "ConfigError": "errors", "FileError": "errors", "ScrubberError": "errors",
    "scrub_file_in_place": "files", "scrub_file_to": "files", "scrub_stream": "files",
    "make_cutoff": "timestamps", "parse_duration": "timestamps",
}


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name == "__version__":
        return _version()
    if name not in _EXPORTS:
        raise AttributeError(f"module 'scrubber' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def scrub_lines(data: bytes, settings: Settings | None = None) -> bytes:
    """Convenience: scrub a complete input given as one bytes object."""
    from .core import Settings, Streamer

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

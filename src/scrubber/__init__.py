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


# The public names, imported on first use (PEP 562): a pipe's start-up imports only
# what it runs (not click, which scrubber.files and the CLI need), see scrubber.pipe.
_EXPORTS = {
    "AddressPolicy": "addresses",
    "scrub_token": "addresses",
    "Settings": "core",
    "State": "core",
    "Stats": "core",
    "Streamer": "core",
    "native_available": "core",
    "scrub_block": "core",
    "ConfigError": "errors",
    "FileError": "errors",
    "ScrubberError": "errors",
    "scrub_file_in_place": "files",
    "scrub_file_to": "files",
    "scrub_stream": "stream",
    "make_cutoff": "timestamps",
    "parse_duration": "timestamps",
}


def __getattr__(name: str) -> object:
    if name == "__version__":
        return _version()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scrubber' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def scrub_lines(data: bytes, settings: Settings | None = None) -> bytes:
    """Convenience: scrub a complete input given as one bytes object."""
    from .core import Settings, Streamer  # noqa: F811 (the name above is for type checkers)

    streamer = Streamer(settings or Settings())
    return streamer.feed(data) + streamer.finish()


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | {"__version__"})


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

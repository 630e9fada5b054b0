"""The installed distribution's version, as the reports (lint and check SARIF) name it."""

from __future__ import annotations


def tool_version() -> str:
    """The version of privacy-promises, or 0.0.0 when not installed."""
    from importlib import metadata

    try:
        return metadata.version("privacy-promises")
    except metadata.PackageNotFoundError:
        return "0.0.0"

"""Regular expressions compiled on first use.

Compiling the scrubber's patterns was a fifth of a pipe's own start-up (about 6 ms of
30), and the C core's path uses a few of them, if any.  ``NAME = lazy(globals(), "NAME",
pattern)`` stands in for ``NAME = re.compile(pattern)``: the first attribute used on it
compiles the pattern and rebinds the module global ``NAME`` to the compiled pattern, so
the functions that read ``NAME`` afterwards get ``re.Pattern`` itself, at no extra cost.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["LazyPattern", "lazy"]


class LazyPattern:
    """A pattern not compiled yet; any attribute (``match``, ``sub``, ...) compiles it."""

    __slots__ = ("namespace", "name", "pattern", "flags", "_compiled")

    def __init__(self, namespace: dict[str, Any], name: str, pattern: bytes | str, flags: int = 0) -> None:
        self.namespace = namespace
        self.name = name
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[Any] | None = None

    def compiled(self) -> re.Pattern[Any]:
        rx = self._compiled
        if rx is None:
            rx = self._compiled = re.compile(self.pattern, self.flags)
            if self.namespace.get(self.name) is self:
                self.namespace[self.name] = rx
        return rx

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.compiled(), attr)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self.flags})"


def lazy(namespace: dict[str, Any], name: str, pattern: bytes | str, flags: int = 0) -> Any:
    """``re.compile(pattern, flags)`` on first use, then bound as ``namespace[name]``."""
    return LazyPattern(namespace, name, pattern, flags)

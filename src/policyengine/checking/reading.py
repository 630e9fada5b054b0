"""The readers that feed the evaluator: a source's records, screened, then evaluated.

JSON Lines come in batches of raw lines (``check_lines``): the native screen, when built,
picks the lines it cannot clear; the Python screen clears most of the rest after parsing;
only what is left goes to ``LoweredPolicy.evaluate``. Other sources (CSV, SQLite) give
values tuples, screened and evaluated the same way (``check_values``). Findings come out
as ``Finding`` objects, unrendered. Several processes over one file: ``parallel``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator

from .findings import Finding
from .records import (JSON_ERRORS, JsonLinesSource, RecordError, Source, column_getter, json_error,
                      loads_json)
from .screens import native_scan

if TYPE_CHECKING:
    from .evaluate import LoweredPolicy


class _Always:
    """Every purpose is the same one (``purpose_is``): its screen whatever the value."""

    def __init__(self, screen):
        self.screen = screen

    def __getitem__(self, _):
        return self.screen


class LineError(RecordError):
    """A JSON line that cannot be read: keeps its number, so a chunk read by a worker
    can be relocated in the file."""

    def __init__(self, where: str, number: int, text: str):
        super().__init__(f"{where}:{number}: {text}")
        self.number, self.text = number, text


class Stats:
    """How many records a run read."""

    def __init__(self) -> None:
        self.records = 0


def screens_of(lowered: LoweredPolicy) -> tuple:
    """(screens by purpose value, index of the purpose in a values tuple)."""
    if lowered.binding.purpose_is:
        return _Always(lowered.screens[lowered.binding.purpose_is]), 0
    return lowered.screens, lowered.i_purpose


def check_lines(lowered: LoweredPolicy, where: str, number: int, lines: list, restore: int,
                wanted: list[str], out: list) -> int:
    """Read and check a batch of JSON Lines (``number`` is the first one's line): the
    findings are appended to ``out``; returns how many records there were.

    Each record is first screened: nothing asked, no coverage question, every erase
    rule's date well after its threshold (see ``screens.python_screen``). Only a record the
    screen cannot clear goes to ``evaluate``, which decides exactly, so the findings are
    ``evaluate``'s.
    """
    loads, evaluate = loads_json, lowered.evaluate
    pick = column_getter(wanted)
    screens, ip = screens_of(lowered)
    first, skipped = number, 0
    plan = lowered.native_plan() if wanted == lowered.columns else None
    if plan is not None and lines and isinstance(lines[0], bytes):
        # The native screen: only the lines it cannot clear are read in Python, with
        # their own numbers, so the findings (and any error) are the same.
        attention = native_scan(lines, plan)
        numbered: Iterable = ((first + i, lines[i]) for i in attention)
    else:
        numbered = enumerate(lines, number)
    for number, line in numbered:
        try:  # the common case: a record the screen clears
            values = pick(loads(line))
            if screens[values[ip]](values):
                continue
        except Exception:  # a missing key, an unknown purpose, an odd value, a bad line...
            values = _read_line(where, number, line, number - first < restore, wanted)
            if values is None:  # a blank line
                skipped += 1
                continue
        found = evaluate(where, number, values)
        if found:
            out.extend(found)
    return len(lines) - skipped


def _read_line(where: str, number: int, line, restore: bool, wanted: list[str]) -> tuple | None:
    """A line's values as the line-by-line reader gives them (None: a blank line), or
    its LineError."""
    try:
        record = loads_json(line)
    except JSON_ERRORS:
        if not line.strip():
            return None
        raise LineError(where, number, json_error(line, restore)) from None
    if not isinstance(record, dict):
        raise LineError(where, number, "a record must be a JSON object")
    try:
        return column_getter(wanted)(record)
    except KeyError:
        return tuple(record.get(c) for c in wanted)


def check_source_serial(lowered: LoweredPolicy, source: Source, stats: Stats) -> Iterator[Finding]:
    """Findings for one source read in this process, streamed, in input order."""
    label = source.label
    screened = getattr(source, "screened", None)
    rows = screened(lowered) if screened is not None else None
    if rows is not None:  # a SQL engine ran the screen (checking.sql.engines): evaluate what it selected
        evaluate = lowered.evaluate
        for number, values in rows:
            out = evaluate(label, number, values)
            if out:
                yield from out
        stats.records += source.count
        return
    if screened is not None:  # the engine cannot read this source as Python does: the Python path
        source = source.inner
    if isinstance(source, JsonLinesSource):
        columns = lowered.columns
        for number, lines, restore in source.batches():
            out: list[Finding] = []
            try:
                stats.records += check_lines(lowered, label, number, lines, restore, columns, out)
            except BaseException:
                yield from out  # what came before the bad line, as when reading line by line
                raise
            yield from out
        return
    yield from check_values(lowered, label, source.read(lowered.columns), stats)


def check_values(lowered: LoweredPolicy, label: str, numbered: Iterable[tuple[int, tuple]],
                 stats: Stats) -> Iterator[Finding]:
    """Findings for ``(line number, values)`` pairs: CSV, stdin CSV, SQLite."""
    screens, ip = screens_of(lowered)
    evaluate = lowered.evaluate
    for number, values in numbered:
        stats.records += 1
        try:  # the same screen as check_lines
            if screens[values[ip]](values):
                continue
        except Exception:
            pass
        out = evaluate(label, number, values)
        if out:
            yield from out

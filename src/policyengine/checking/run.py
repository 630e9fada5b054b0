"""A whole check run as one library call: sources -> lowering -> readers -> findings -> a sink.

``check`` (mappings in memory), ``check_source`` (one source, streamed) and ``run_check``
(every source of a run, into a reporter: what `policyengine check` does) share one
dispatch: a JSON Lines file is split over ``jobs`` processes (``parallel``), anything else
is read in this process (``reading``). The sink renders; nothing here does.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Callable, Iterable, Iterator, Mapping, Protocol

from .binding import Binding
from .compile import CompiledPolicy, compile_policy
from .evaluate import LoweredPolicy, lower_to_python
from .findings import Finding
from .parallel import check_file_parallel
from .reading import Stats, check_source_serial, check_values
from .records import JsonLinesSource, RecordError, Source


class Sink(Protocol):
    """Where a run's findings go (``report.Reporter`` is one)."""

    def add(self, finding: Finding) -> None: ...

    def add_chunk(self, payload) -> None: ...

    def chunk_renderer(self) -> Callable[[list[Finding]], object]: ...


def _compiled(policy) -> CompiledPolicy:
    return policy if isinstance(policy, CompiledPolicy) else compile_policy(policy)


def check(policy, records: Iterable[Mapping], now=None, *, binding: Binding | None = None,
          where: str = "<records>") -> Iterator[Finding]:
    """Findings for ``records`` (mappings) against a policy (AST or compiled).

    Without a binding, each field is read from the key of its own name and the
    record key from 'id' (``Binding.identity()``).
    """
    compiled = _compiled(policy)
    binding = binding or Binding.identity()
    binding.check_against(compiled)
    lowered = lower_to_python(compiled, binding, now)
    columns = lowered.columns
    evaluate = lowered.evaluate
    for number, record in enumerate(records, 1):
        out = evaluate(where, number, tuple(record.get(c) for c in columns))
        if out:
            yield from out


def bind_source(policy, source: Source, binding: Binding, now=None,
                warn: Callable[[str], None] | None = None) -> LoweredPolicy:
    """The policy lowered for one source: its binding resolved and checked against
    the policy and against the source's columns. An implicit binding (no binding given)
    is narrowed to the columns the source has; ``warn`` hears each rule left unchecked."""
    compiled = _compiled(policy)
    bound = binding.for_source(source.name)
    if bound.implicit and not source.empty:
        bound = bound.narrowed_to(source.columns)
        for gap in bound.gaps(compiled) if warn else ():
            warn(f"{source.label}: no binding given, {gap}")
    bound.check_against(compiled)
    lowered = lower_to_python(compiled, bound, now)
    missing = source.missing(lowered.columns)
    if missing and not source.empty:  # no records at all: "0 records", not a missing column
        fields = {c: f for f, c in bound.columns.items()}
        named = ", ".join(f"'{c}' (for {fields[c]})" for c in missing)
        raise RecordError(f"{source.label}: the binding ({bound.origin}) names "
                          f"column{'s' if len(missing) > 1 else ''} {named} that the records do not "
                          f"have; they have: {', '.join(source.columns) or 'no columns'}")
    return lowered


def _split_path(source: Source, jobs: int) -> str | None:
    """The file to split over ``jobs`` processes, or None: one process reads the source."""
    path = getattr(source.closer, "name", None)
    if jobs > 1 and isinstance(source, JsonLinesSource) and isinstance(path, str) and source.first is not None:
        return path
    return None


def check_source(policy, source: Source, binding: Binding, now=None,
                 stats: Stats | None = None, jobs: int = 1) -> Iterator[Finding]:
    """Findings for one record source, streamed; the binding is resolved for the source.

    A JSON Lines file is checked in ``jobs`` processes when ``jobs`` > 1 (see
    ``parallel.check_file_parallel``); the findings are the same, in the same order.
    """
    lowered = bind_source(policy, source, binding, now)
    stats = stats if stats is not None else Stats()
    path = _split_path(source, jobs)
    if path is not None:
        for payload, _ in check_file_parallel(lowered, path, source.label, jobs, stats):
            yield from (Finding(*t) for t in payload)
        return
    yield from check_source_serial(lowered, source, stats)


PARALLEL_BYTES = 32 << 20  # --jobs 0: files from this size are split over the CPUs


def jobs_for(source, jobs: int) -> int:
    """--jobs N as given, or (0) one per CPU for a JSON Lines file of PARALLEL_BYTES or more
    (POLICYENGINE_PARALLEL_BYTES overrides, for tests)."""
    if jobs:
        return jobs
    path = getattr(source.closer, "name", None)
    if not isinstance(source, JsonLinesSource) or not isinstance(path, str):
        return 1  # CSV (quoted newlines), stdin and SQLite are read by one process
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    threshold = int(os.environ.get("POLICYENGINE_PARALLEL_BYTES") or PARALLEL_BYTES)
    return cpus if cpus > 1 and os.path.getsize(path) >= threshold else 1


def run_check(policy, sources: Iterable[Source], binding: Binding, now, sink: Sink, *,
              jobs: int = 0, counts: Counter | None = None,
              warn: Callable[[str], None] | None = None,
              observe: Callable[[LoweredPolicy, tuple], None] | None = None) -> tuple[int, Counter]:
    """Check every source into ``sink``: (records read, findings per code).

    ``jobs`` as ``jobs_for``; a file split over processes comes back as chunks the workers
    rendered with ``sink.chunk_renderer()``, in input order, so the output is the same.
    ``observe(lowered, values)`` hears every record (the HTML report's timeline counts
    them); such a run reads each source record by record in this process."""
    compiled = _compiled(policy)
    stats = Stats()
    counts = counts if counts is not None else Counter()
    for source in sources:
        n = jobs_for(source, jobs)
        lowered = bind_source(compiled, source, binding, now, warn)
        if observe is not None:
            for finding in check_values(lowered, source.label, _observed(lowered, source, observe), stats):
                counts[finding.code] += 1
                sink.add(finding)
            continue
        path = _split_path(source, n)
        if path is not None:
            for payload, found in check_file_parallel(lowered, path, source.label, n, stats,
                                                      sink.chunk_renderer()):
                counts.update(found)
                sink.add_chunk(payload)
            continue
        for finding in check_source_serial(lowered, source, stats):
            counts[finding.code] += 1
            sink.add(finding)
    return stats.records, counts


def _observed(lowered: LoweredPolicy, source: Source, observe) -> Iterator[tuple[int, tuple]]:
    for number, values in source.read(lowered.columns):
        observe(lowered, values)
        yield number, values

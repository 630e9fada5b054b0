"""Block scrubbing: a pure function over whole lines of bytes, plus a small streamer.

``scrub_block(data, settings, state)`` takes complete lines (the last one may lack
its newline only at the end of the input), drops expired lines, rewrites every
address in the others, and returns ``(output, stats, new_state)``.  It does no
I/O, so bulk scrubbing can run it in worker processes.  ``Streamer`` adds the
carry-over of the last incomplete line between blocks.

The work is done by ``scrubber._native`` (C) when it is built and
``SCRUBBER_PURE`` is not set, else by the pure-Python path here; both give
byte-identical output (tests/test_scrubber_native.py).
"""

from __future__ import annotations

import datetime as _dt
import os
from typing import NamedTuple

from .addresses import AddressPolicy, TokenCache, scrub_text_py, token_needs_check
from .lazy_re import lazy
from .timestamps import Cutoff, line_is_expired_py, make_cutoff, starts_with_timestamp

try:  # pragma: no cover - depends on the build
    if os.environ.get("SCRUBBER_PURE", "") not in ("", "0"):
        raise ImportError("SCRUBBER_PURE is set")
    from . import _native
except ImportError:  # pragma: no cover
    _native = None  # type: ignore[assignment]

__all__ = ["Settings", "Stats", "State", "scrub_block", "Streamer", "native_available"]

BLOCK_SIZE = 1 << 20  # read/write granularity
MAX_CARRY = 1 << 20  # a line longer than this is processed in pieces


def native_available() -> bool:
    return _native is not None


def keep_heap() -> None:
    """scrubber.parallel.keep_heap, by the C core where it is loaded (no ctypes import
    at every start of a pipe)."""
    if _native is not None:
        _native.keep_heap()
    else:
        from .parallel import keep_heap as keep

        keep()


class Settings(NamedTuple):
    """What to do (immutable, picklable).  Build it with :meth:`Settings.create`."""

    policy: AddressPolicy = AddressPolicy()
    cutoff: Cutoff | None = None

    @classmethod
    def create(
        cls,
        ipv4_prefix: int = 24,
        ipv6_prefix: int = 48,
        max_age: str | None = None,
        now: _dt.datetime | None = None,
        timezone: str | None = None,
        hash_key: bytes | None = None,
    ) -> "Settings":
        policy = AddressPolicy(ipv4_prefix, ipv6_prefix, hash_key)
        cutoff = make_cutoff(max_age, now, timezone) if max_age else None
        return cls(policy, cutoff)


class Stats:
    """Counters; ``add`` merges another Stats (e.g. from a worker)."""

    FIELDS = (
        "lines_read",
        "lines_written",
        "lines_expired",
        "addresses",
        "bytes_read",
        "bytes_written",
        "files",
        "files_failed",
    )
    __slots__ = FIELDS

    def __init__(self, **counts: int) -> None:
        for name in self.FIELDS:
            setattr(self, name, counts.pop(name, 0))
        if counts:
            raise TypeError(f"unknown counters: {sorted(counts)}")

    def add(self, other: "Stats") -> None:
        for name in self.FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stats) and self.as_dict() == other.as_dict()

    def __repr__(self) -> str:
        return "Stats(" + ", ".join(f"{k}={v}" for k, v in self.as_dict().items()) + ")"


class State(NamedTuple):
    """Carried between blocks: keep lines without a timestamp? (follow the last one)."""

    keep: bool = True
    continuation: bool = False  # the block starts in the middle of a line


_CACHES: dict[AddressPolicy, TokenCache] = {}


def _cache_for(policy: AddressPolicy) -> TokenCache:
    cache = _CACHES.get(policy)
    if cache is None:
        if len(_CACHES) > 8:
            _CACHES.clear()
        cache = _CACHES[policy] = TokenCache(policy)
    return cache


def _scrub_block_py(data: bytes, settings: Settings, state: State) -> tuple[bytes, Stats, State]:
    cache = _cache_for(settings.policy)
    cutoff = settings.cutoff
    keep = state.keep
    stats = Stats(bytes_read=len(data))
    out: list[bytes] = []
    lines = data.splitlines(keepends=True) if b"\r" not in data else _split_lf(data)
    first = True
    for line in lines:
        cont = first and state.continuation
        first = False
        if not cont:
            stats.lines_read += 1
        if cutoff is not None and not cont:
            expired = line_is_expired_py(line, cutoff)
            if expired is not None:
                keep = not expired
        if not keep:
            if not cont:
                stats.lines_expired += 1
            continue
        if not cont:
            stats.lines_written += 1
        text, n = scrub_text_py(line, cache)
        stats.addresses += n
        out.append(text)
    result = b"".join(out)
    stats.bytes_written = len(result)
    return result, stats, State(keep, False)


def _split_lf(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    last = parts.pop()
    lines = [p + b"\n" for p in parts]
    if last:
        lines.append(last)
    return lines


def _scrub_block_native(data: bytes, settings: Settings, state: State) -> tuple[bytes, Stats, State]:
    cache = _cache_for(settings.policy)
    c = settings.cutoff
    if c is None:
        cut = (0, 0, 0, 0, 0)
    else:
        cut = (1, c.utc, c.naive, c.now_naive, c.now_year)
    out, read, written, expired, addrs, keep = _native.scrub_block(
        data,
        cache.table,
        cache,
        cut,
        state.keep,
        state.continuation,
        TokenCache.LIMIT,
        -1 if settings.policy.hash_key is not None else settings.policy.v4_mask,
        -1 if settings.policy.hash_key is not None else settings.policy.ipv6_prefix,
    )
    stats = Stats(
        lines_read=read,
        lines_written=written,
        lines_expired=expired,
        addresses=addrs,
        bytes_read=len(data),
        bytes_written=len(out),
    )
    return out, stats, State(bool(keep), False)


INITIAL_STATE = State()


def scrub_block(
    data: bytes, settings: Settings, state: State = INITIAL_STATE, *, pure: bool | None = None
) -> tuple[bytes, Stats, State]:
    """Scrub whole lines.  ``pure=True`` forces the Python path, False the native one."""
    if pure is None:
        pure = _native is None
    if pure:
        return _scrub_block_py(data, settings, state)
    if _native is None:
        raise RuntimeError("scrubber._native is not built")
    return _scrub_block_native(data, settings, state)


# An over-long line is cut after its last byte that can neither be in a token nor start
# one: not '-' ("host-10-105-160-179"), '%' ("%3A", and "%27" whose digits glue to an
# address), '\\' (an escape's digits may be the address's own), '[' and ',' (a
# journald byte array, addresses._BYTE_ARRAY, is one token) or ESC, ';', '<', '=', '>'
# and '?' (an ANSI sequence, addresses._CSI, separates what follows it: "\x1b[0;31m").
_LAST_SEPARATOR = lazy(globals(), "_LAST_SEPARATOR", rb"(?s).*[^\w.:%\\,\[\x1b;?<=>-]")

# A line cut by a restart (see Streamer.finish): the address bytes at the cut.  _ENC: an
# encoded or escaped separator inside a token ("%3A", "%253A", "\\.", "\\\\:"; see
# addresses._UNIT); a cut may also fall inside one ("%25", "%2", "\\").
_ENC = rb"(?:%(?:25)*3[Aa]|\\+[.:])"
_ENC_CUT = rb"(?:%(?:25)*[23]?|\\+)?\Z"
_CUT_TOKEN = lazy(globals(), "_CUT_TOKEN", rb"(?:[\w.:-]|" + _ENC + rb")*" + _ENC_CUT)
_CUT_TAIL = lazy(globals(), "_CUT_TAIL", rb"(?:[0-9A-Fa-f.:-]|" + _ENC + rb")*" + _ENC_CUT)
_CUT_HEAD = lazy(
    globals(),
    "_CUT_HEAD",
    rb"(?:[.-]|:(?!:)|" + _ENC + rb"|5?(?:25)*3?[Aa](?=(?:[0-9A-Fa-f.:-]|" + _ENC + rb")*%(?:25)*3[Aa])"
    rb"|[G-Zg-z](?=(?:[0-9A-Fa-f]|" + _ENC + rb")*(?:[.:-]|%[0-9A-Fa-f]{2}|\\+[.:])))(?:[0-9A-Fa-f.:-]|" + _ENC + rb")*"
)
# The first field of a digit-led run that may be an address's rest: an IPv6 group (at
# most four hex digits) or an IPv4 number (at most three digits before a '.').
_LEAD_FIELD = lazy(globals(), "_LEAD_FIELD", rb"[0-9]{1,3}(?:[.:-]|" + _ENC + rb")|[0-9A-Fa-f]{1,4}(?:[:-]|%(?:25)*3[Aa]|\\+:)")
_LEAD_RUN = lazy(globals(), "_LEAD_RUN", rb"(?:[0-9A-Fa-f.:-]|" + _ENC + rb")+")
_LEAD_SEP = lazy(globals(), "_LEAD_SEP", rb"[.:]|%(?:25)*3[Aa]")
_OCTET = rb"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_WHOLE_QUAD = lazy(globals(), "_WHOLE_QUAD", _OCTET + rb"(?:\." + _OCTET + rb"){3}")
_QUAD_GOES_ON = frozenset(bytes([c]) for c in b".:0123456789%-\\")  # a quad that goes on: a longer run
# After the rest of a cut ANSI sequence a token starts, glued to its 'm' (no longer a
# separator without its ESC): every form the scrub reads there counts, dashed names too
# ("1m" + "2001-db8--7.ipv6-literal.net").
_CSI_RUN_SEP = lazy(globals(), "_CSI_RUN_SEP", rb"[.:-]|%(?:25)*3[Aa]")
_HEX_OUTSIDE_PCT = lazy(globals(), "_HEX_OUTSIDE_PCT", rb"%(?:25)*3[Aa]|[0-9A-Fa-f]")
# A journald byte array (addresses._BYTE_ARRAY) cut open at the end, or its rest at the start.
_CUT_ARRAY_TAIL = lazy(globals(), "_CUT_ARRAY_TAIL", rb"\[(?:[0-9]{1,3},)*[0-9]{0,3}\Z")
_CUT_ARRAY_HEAD = lazy(globals(), "_CUT_ARRAY_HEAD", rb"(?:[0-9]{0,3},)+[0-9]{1,3}\]")
_DIGIT = lazy(globals(), "_DIGIT", rb"[0-9]")
# The rest of an ANSI colour sequence cut anywhere ("\x1b[" + "1m", "\\u00" + "1b[0;31m",
# "\x1b[0;3" + "1m", "\x1b[38:5" + ":196m"): its parameters, and the run after it.
_CUT_CSI_HEAD = lazy(globals(), "_CUT_CSI_HEAD", rb"(?:(?:[xu]?0{0,2}1)?[bB]\[|\[)?([0-?]*)m((?:[0-9A-Fa-f.:-]|" + _ENC + rb")*)")


def _blank_digits(run: bytes) -> bytes:
    """Every hex digit of ``run`` becomes 'x' (URL-encoded colons stay colons)."""
    return _HEX_OUTSIDE_PCT.sub(lambda m: m.group() if len(m.group()) > 1 else b"x", run)


def blank_cut_head(data: bytes) -> bytes:
    """A stream's first bytes may continue a line the previous process was cut in.  A
    first line that starts as a line does (a timestamp of a known format, after an
    optional ``<PRI>`` and ``[``) is left alone.  Else a run of address bytes that cannot
    be a token's start is the tail of a possibly-cut address, and loses its hex digits:
    one that starts with '.', '-', one ':' or "%3A" (no line or token starts so), or with
    the rest of a cut "%3A" ("3A", "A") and holds another "%3A", or with the rest of a cut
    escape (a letter g-z: "x" of "\\x", "u" of "\\u") followed by a run that holds a
    separator ("x10.0.0.1", not "Received"), or with at most four hex digits (three
    decimal before a '.') and holding '.' or ':' ("198." + "51.100.7"), even where it is
    itself an IPv6 address ("2001:db8::7 - -" at a line's start then loses its digits
    too: it may be the rest of a longer one), but not a whole dotted quad
    ("198.51.100.7 - -" is truncated as any address)."""
    if (_native.starts_with_timestamp if _native is not None else starts_with_timestamp)(data):
        return data
    a = _CUT_ARRAY_HEAD.match(data)
    if a is not None:  # the rest of a byte array cut open ("46,50,46,52]")
        return _DIGIT.sub(b"x", a.group()) + data[a.end() :]
    a = _CUT_CSI_HEAD.match(data)
    if a is not None and _CSI_RUN_SEP.search(a.group(2)):  # "1m2001:db8::7" after a cut "\x1b["
        params = a.group(1)
        if b":" in params:  # "5:196m" of "\x1b[38:5:196m", but also "::7m" of "2001:db8::7m..."
            params = _DIGIT.sub(b"x", params)
        return data[: a.start(1)] + params + data[a.end(1) : a.start(2)] + _blank_digits(a.group(2)) + data[a.end() :]
    m = _CUT_HEAD.match(data)
    if m is None:
        # A run led by a digit may be the rest of an address cut after a separator
        # ("198." + "51.100.7"): if it holds '.' or ':', its digits go.  So they do where
        # the rest reads as an address of its own, with other host bits than the cut
        # one's ("[client 2001:" + "db8:85a3:8d3::7:443]": any IPv6 address's rest may),
        # but for a whole dotted quad (an access log's "%h"): the rest of a cut IPv4
        # address holds three numbers, or four with a dotted port, which only tcpdump
        # and BSD netstat write ("IP 192." + "0.2.33.80 > ": blanked; netstat's
        # "0.2.33.80 198.51.100.7.443" is not: README).
        m = _LEAD_RUN.match(data)
        if m is None or not _LEAD_SEP.search(m.group()):
            return data
        q = _WHOLE_QUAD.match(data)
        after = bytes(data[q.end() : q.end() + 2]) if q is not None else b""
        if q is not None and after[:1] not in _QUAD_GOES_ON and after not in (b" >", b" <"):
            return data  # a line's first field: "198.51.100.7 - - [", "10.0.0.1 2001::1"
        if _LEAD_FIELD.match(m.group()) is None:
            return data  # "1704189600.123": no address's rest starts with so many digits
    if _blank_digits(m.group()) == m.group():
        return data
    return _blank_digits(m.group()) + data[m.end() :]


def blank_cut_tail(out: bytes) -> bytes:
    """The end of a line cut by termination: the bytes at its very end may be the head of
    an address the next process reads on with.  A token there that may hold an address
    (cut anywhere, even in a name's suffix: "...0.0.2.i" + "p6.arpa") becomes all 'x';
    else the run of address bytes at the end does (separators too: "::" + "1:0:0" is an
    address, "xx1:0:0" not; digits too: "\\x0010" + "0.0.0.192.in-addr.arpa" is one)."""
    a = _CUT_ARRAY_TAIL.search(out)
    if a is not None:  # a byte array cut open: its numbers may spell an address's head
        return out[: a.start()] + _DIGIT.sub(b"x", a.group())
    t = _CUT_TOKEN.search(out)
    if t is not None and token_needs_check(t.group()):
        return out[: t.start()] + b"x" * (t.end() - t.start())
    m = _CUT_TAIL.search(out)
    if m is None:
        return out
    return out[: m.start()] + b"x" * (m.end() - m.start())


class Streamer:
    """Feed arbitrary chunks of bytes, get scrubbed bytes back (no I/O)."""

    def __init__(
        self,
        settings: Settings,
        pure: bool | None = None,
        stats: Stats | None = None,
        *,
        cut_start: bool = False,
        max_carry: int = MAX_CARRY,
    ) -> None:
        self.max_carry = max_carry  # a line longer than this is processed in pieces
        self.settings = settings
        self.pure = pure
        self.stats = Stats() if stats is None else stats
        self._state = State()
        # The incomplete last line: never holds a newline.  A bytearray grown in
        # place, because joining carry + chunk on every read was quadratic for a
        # separator-free token (64 MB through a pipe's 64 KiB reads: 29.6 s).
        self._carry = bytearray()
        self._clean = 0  # the carry's first bytes that are known to hold no separator
        # cut_start: a pipe, whose first bytes may continue a line that the previous
        # process was terminated in (blank_cut_head); a file starts at a line's start.
        self._fresh = cut_start

    def _scrub(self, data: bytes, state: State) -> tuple[bytes, Stats, State]:
        if self._fresh:
            self._fresh = False
            data = blank_cut_head(data)
        return scrub_block(data, self.settings, state, pure=self.pure)

    def _run(self, data: bytes) -> bytes:
        out, st, self._state = self._scrub(data, self._state)
        self.stats.add(st)
        return out

    def feed(self, chunk: bytes) -> bytes:
        cut = chunk.rfind(b"\n") + 1  # the carry holds no newline: search the chunk only
        carry = self._carry
        if cut == 0:
            carry += chunk
            if len(carry) <= self.max_carry:
                return b""
            return self._split_long()
        if carry:
            carry += memoryview(chunk)[:cut]
            # The C core reads any buffer: hand it the carry itself, not a 1 MB copy
            # (it is replaced just below, so nothing else sees it change).
            data = carry if (self.pure is False or (self.pure is None and _native is not None)) else bytes(carry)
        else:
            data = chunk[:cut] if cut < len(chunk) else chunk
        self._carry = bytearray(memoryview(chunk)[cut:])
        self._clean = 0
        out = self._run(data)
        if len(self._carry) > self.max_carry:
            out += self._split_long()
        return out

    def _split_long(self) -> bytes:
        """Process the head of an over-long carried line, cutting only between tokens."""
        carry = self._carry
        # Search only the bytes not searched before: rescanning the whole carry on
        # every chunk made a giant token quadratic (8 MB took 13 s).
        m = _LAST_SEPARATOR.match(carry, self._clean)
        cut = m.end() if m is not None else 0
        if cut == 0:  # one giant token: keep accumulating rather than split an address
            self._clean = len(carry)
            return b""
        head = bytes(memoryview(carry)[:cut])
        del carry[:cut]
        self._clean = len(carry)
        # (The line's decision is taken on this first piece, by the same rules: a time
        # field further in it is not seen. README: over-long lines.)
        out, st, state = self._scrub(head, self._state)
        self.stats.add(st)
        # The rest of this line follows the decision just taken and is not a new line.
        self._state = State(state.keep, True)
        return out

    def finish(self, cut: bool = False) -> bytes:
        """Scrub and return the incomplete last line.  ``cut``: the process is being
        terminated (SIGTERM) and the writer may go on with this line in the next one,
        so the address bytes at its end are treated as a possibly-cut address."""
        data = bytes(self._carry)
        self._carry = bytearray()
        self._clean = 0
        if not data:
            return b""
        out = self._run(data)
        return blank_cut_tail(out) if cut else out

"""Compressed logs: the format is told by the file's magic bytes, never by its name.

gzip, xz and bzip2 are read and rewritten in their own format (standard library).
Formats scrubber cannot decode (zstd, lz4, compress, lzip, zip) are refused: their
bytes are never scrubbed as if they were text, and never rewritten.  A name that
promises one format over data of another (``x.gz`` holding plain text) is refused
too: something is wrong with that file, and guessing could corrupt it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import BinaryIO, NamedTuple

__all__ = ["Format", "PLAIN", "Unsupported", "detect", "decode_errors"]


class Format(NamedTuple):
    name: str
    reader: Callable[[BinaryIO], BinaryIO]
    writer: Callable[[BinaryIO, str, float], BinaryIO]  # (raw, file name, mtime)


class Unsupported(Exception):
    """The file is in a format scrubber does not decode (message says which)."""


# The codecs are imported when a file in their format is met: a plain stream (the common
# case, and every start-up) does not load zlib, lzma and bz2.
def _gzip_reader(raw: BinaryIO) -> BinaryIO:
    import gzip

    return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]


def _xz_reader(raw: BinaryIO) -> BinaryIO:
    import lzma

    return lzma.LZMAFile(raw, "rb")  # type: ignore[return-value]


def _xz_writer(raw: BinaryIO, _name: str, _mtime: float) -> BinaryIO:
    import lzma

    return lzma.LZMAFile(raw, "wb", format=lzma.FORMAT_XZ)  # type: ignore[return-value]


def _bz2_reader(raw: BinaryIO) -> BinaryIO:
    import bz2

    return bz2.BZ2File(raw, "rb")  # type: ignore[return-value]


def _bz2_writer(raw: BinaryIO, _name: str, _mtime: float) -> BinaryIO:
    import bz2

    return bz2.BZ2File(raw, "wb")  # type: ignore[return-value]


def _gzip_writer(raw: BinaryIO, name: str, mtime: float) -> BinaryIO:
    import gzip

    inner = name[:-3] if name.endswith(".gz") else name
    return gzip.GzipFile(filename=inner, mode="wb", fileobj=raw, mtime=int(mtime))  # type: ignore[return-value]


class _Unclosed:
    """The plain "writer": writes straight through; leaving it does not close the file."""

    def __init__(self, raw: BinaryIO) -> None:
        self.write = raw.write

    def __enter__(self) -> "_Unclosed":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


PLAIN = Format("plain", lambda raw: raw, lambda raw, _n, _m: _Unclosed(raw))  # type: ignore[arg-type,return-value]
GZIP = Format("gzip", _gzip_reader, _gzip_writer)
XZ = Format("xz", _xz_reader, _xz_writer)
BZIP2 = Format("bzip2", _bz2_reader, _bz2_writer)

_DECODED = {"gzip": GZIP, "xz": XZ, "bzip2": BZIP2}
_UNDECODED_HINT = {
    "zstd": "zstd -d",
    "lz4": "lz4 -d",
    "compress": "gzip -d",
    "lzip": "lzip -d",
    "zip": "unzip",
}
_SUFFIXES = {
    ".gz": "gzip",
    ".xz": "xz",
    ".bz2": "bzip2",
    ".zst": "zstd",
    ".lz4": "lz4",
    ".Z": "compress",
    ".lz": "lzip",
    ".zip": "zip",
}
HEAD_SIZE = 10

def decode_errors() -> tuple[type[BaseException], ...]:
    """Errors a decoder raises on damaged data (bz2 raises OSError without an errno);
    called where one is caught, so the codecs load only when an error is raised."""
    import gzip
    import lzma
    import zlib

    return (EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError)


def _by_magic(head: bytes) -> str | None:
    if head[:3] == b"\x1f\x8b\x08":
        return "gzip"
    if head[:6] == b"\xfd7zXZ\x00":
        return "xz"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[3:4] != b"0" and head[4:10] in (
        b"\x31\x41\x59\x26\x53\x59",  # first block
        b"\x17\x72\x45\x38\x50\x90",  # end of stream: an empty file
    ):
        return "bzip2"
    if head[:4] == b"\x28\xb5\x2f\xfd" or (head[1:4] == b"\x2a\x4d\x18" and 0x50 <= head[0] <= 0x5F):
        return "zstd"  # a frame, or a skippable frame
    if head[:4] == b"\x04\x22\x4d\x18":
        return "lz4"
    if head[:2] == b"\x1f\x9d":
        return "compress"
    if head[:4] == b"LZIP":
        return "lzip"
    if head[:4] == b"PK\x03\x04":
        return "zip"
    return None


def _by_name(name: str) -> str | None:
    return _SUFFIXES.get(os.path.splitext(name)[1])


def detect(fd: int, name: str) -> Format:
    """The format of the open file ``fd`` (read with pread: the offset stays at 0)."""
    head = os.pread(fd, HEAD_SIZE, 0)
    found = _by_magic(head)
    named = _by_name(name)
    if not head:
        return PLAIN  # empty: nothing to decode, whatever the name says
    if found in _UNDECODED_HINT:
        raise Unsupported(f"{found}-compressed data, which scrubber does not decode: not read, not rewritten (decompress it with `{_UNDECODED_HINT[found]}` first)")
    if named is not None and found is None:
        raise Unsupported(f"corrupt or truncated {named} data (no {named} header): not read, not rewritten")
    if named is not None and named != found:
        raise Unsupported(f"named as {named} but holds {found} data: not read, not rewritten")
    return _DECODED[found] if found else PLAIN

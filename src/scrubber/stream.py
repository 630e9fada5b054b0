"""A pipe's stream: stdin-style reading, scrubbing and writing, with the signal handling
that keeps a SIGTERM from splitting a write or losing a read chunk.  No click here: a
pipe's start-up does not pay for it (see scrubber.pipe); ``files`` re-exports both names.
"""

from __future__ import annotations

import os
import select
import signal
from typing import BinaryIO

from .core import BLOCK_SIZE, Settings, Stats, Streamer

__all__ = ["Terminated", "scrub_stream"]


class Terminated(BaseException):
    """Raised from the SIGTERM handler so that ``finally`` blocks run."""


def scrub_stream(
    source: int | BinaryIO,
    out: BinaryIO,
    settings: Settings,
    *,
    line_buffered: bool = False,
    pure: bool | None = None,
    stats: Stats | None = None,
) -> Stats:
    """stdin-style scrubbing: read what is there, write scrubbed lines.

    ``source`` is a file descriptor (read with os.read: returns as soon as some
    input is there) or a binary stream (read1).

    SIGTERM and SIGINT are blocked while a block is being scrubbed and written and only
    delivered while waiting for input, so a Terminated exception never splits a
    write; the caller flushes.  The incomplete last line is scrubbed and written
    on EOF or SIGTERM; on SIGTERM (or SIGINT) the address bytes at its very end are
    treated as a possibly-cut address (Streamer.finish), as the writer may go on with
    the line in the next process.
    """
    streamer = Streamer(settings, pure=pure, stats=stats if stats is not None else Stats(), cut_start=True)
    term = {signal.SIGTERM, signal.SIGINT}
    can_mask = hasattr(signal, "pthread_sigmask")
    wait = None
    if isinstance(source, int):
        fd = source

        def read() -> bytes:
            return os.read(fd, BLOCK_SIZE)

        if can_mask and hasattr(select, "poll"):
            # Signals land only while waiting for input, before anything is read: a
            # handler that ran just after os.read returned would lose that chunk.
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            wait = poller.poll

    else:
        stream = source
        read1 = getattr(stream, "read1", stream.read)

        def read() -> bytes:
            return read1(BLOCK_SIZE)

    cut = False
    try:
        while True:
            if can_mask:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, term)
            try:
                if wait is None:
                    chunk = read()
                else:
                    wait()
            finally:
                if can_mask:
                    signal.pthread_sigmask(signal.SIG_BLOCK, term)
            if wait is not None:
                chunk = read()
            if not chunk:
                break
            data = streamer.feed(chunk)
            if data:
                out.write(data)
            if line_buffered:
                out.flush()
    except Terminated:
        cut = True  # the writer may go on with the last line in the next process
        raise
    finally:
        try:
            data = streamer.finish(cut=cut)
            if data:
                out.write(data)
            out.flush()
        finally:
            if can_mask:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, term)
    return streamer.stats

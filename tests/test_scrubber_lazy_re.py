"""Patterns compiled on first use (scrubber.lazy_re): each stands under its own name, turns
into the very pattern re.compile gives, and a pipe on the C path compiles none of the
big ones (TS_RE, TOKEN_RE) at all."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from scrubber import native_available
from scrubber.lazy_re import LazyPattern, lazy

MODULES = ["scrubber.addresses", "scrubber.core", "scrubber.timestamps"]

CHECK = """
import importlib, re, sys
from scrubber.lazy_re import LazyPattern
n = 0
for name in sys.argv[1:]:
    mod = importlib.import_module(name)
    for key, value in list(vars(mod).items()):
        if isinstance(value, LazyPattern):
            n += 1
            assert value.name == key and value.namespace is vars(mod), (name, key, value.name)
            want = re.compile(value.pattern, value.flags)
            getattr(value, "match")  # first use
            got = vars(mod)[key]
            assert type(got) is re.Pattern and got.pattern == want.pattern and got.flags == want.flags, key
print(n)
"""


def test_every_lazy_pattern_is_bound_under_its_name_and_compiles_to_the_same() -> None:
    out = subprocess.run([sys.executable, "-c", CHECK, *MODULES], capture_output=True, check=True, text=True).stdout
    assert int(out) >= 20  # the modules' patterns are lazy (none left out by a typo)


def test_first_use_rebinds_the_global() -> None:
    ns: dict[str, object] = {}
    ns["X"] = lazy(ns, "X", rb"a(b+)", re.IGNORECASE)
    held = ns["X"]
    assert isinstance(held, LazyPattern)
    assert held.match(b"ABB").group(1) == b"BB"  # type: ignore[attr-defined]
    assert type(ns["X"]) is re.Pattern
    assert held.compiled() is ns["X"]  # a reference kept from before still works, compiled once


@pytest.mark.skipif(not native_available(), reason="the C path is what skips them")
def test_a_pipe_on_the_c_path_compiles_neither_ts_re_nor_token_re() -> None:
    code = (
        "import sys, scrubber.cli, scrubber.timestamps as t, scrubber.addresses as a\n"
        "from scrubber.lazy_re import LazyPattern\n"
        "try:\n    scrubber.cli.main(['--max-age', '30d'])\n"
        "except SystemExit:\n    pass\n"
        "sys.stderr.write(repr((isinstance(t.TS_RE, LazyPattern), isinstance(a.TOKEN_RE, LazyPattern))))\n"
    )
    log = b'192.0.2.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 1 "-" "Chrome/119.0.6045.199"\n'
    p = subprocess.run([sys.executable, "-c", code], input=log * 3, capture_output=True, check=True)
    assert p.stdout == b""  # expired
    assert p.stderr.endswith(b"(True, True)")

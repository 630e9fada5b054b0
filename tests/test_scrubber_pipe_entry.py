"""The ``scrubber`` entry point (scrubber.pipe) runs a simple pipe without click and
hands everything else to the click command: both must read the same options the same
way, and a user must not be able to tell which one ran (output, messages, exit status)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scrubber.cli import build_settings
from scrubber.cli import main as command
from scrubber.files import ConfigError
from scrubber.pipe import pipe_settings, simple_pipe_options

NOW = "2024-07-01T00:00:00Z"
VALUES = {
    "--max-age": ["30d", "1mo", "12h", "2w1d", "bogus", "0d", " 3d", "99999999999999d", "-1d", ""],
    "--now": [NOW, "2024-07-01T00:00:00+02:00", "2024-07-01", "yesterday", "2024-13-01T00:00:00Z", "z", ""],
    "--timezone": ["UTC", "utc", "Europe/Stockholm", "Nowhere/Land", "", "../etc"],
    "--ipv4-prefix": ["0", "8", "24", "32", "33", "024", "+8", " 8", "٣", "x", "-1", ""],
    "--ipv6-prefix": ["0", "48", "128", "129", "0x30", ""],
}


@st.composite
def argv(draw: st.DrawFn) -> list[str]:
    args: list[str] = []
    for kind in draw(st.lists(st.sampled_from([*VALUES, "--line-buffered"]), unique=True, max_size=6)):
        if kind == "--line-buffered":
            args.append(kind)
        else:
            value = draw(st.sampled_from(VALUES[kind]))
            args += [f"{kind}={value}"] if draw(st.booleans()) else [kind, value]
    if draw(st.integers(0, 4)) == 0:  # now and then something only click takes
        extra = draw(st.sampled_from(["--stats", "-i", "file.log", "--", "-j", "--max", "--line", "--max-age"]))
        args.insert(draw(st.integers(0, len(args))), extra)
    if any(a.startswith("--max-age") for a in args) and not any(a.startswith("--now") for a in args):
        args += ["--now", NOW]  # else the two would read the clock a moment apart
    return args


def _click_settings(args: list[str]):  # type: ignore[no-untyped-def]
    ctx = command.make_context("scrubber", list(args))
    p = ctx.params
    return (
        build_settings(p["ipv4_prefix"], p["ipv6_prefix"], p["max_age"], p["now"], p["timezone"],
                       p["hash_key_file"], p["policy"], p["purpose"]),
        p,
    )


@given(args=argv())
def test_the_fast_path_reads_options_as_click_does(args: list[str]) -> None:
    opts = simple_pipe_options(args)
    if opts is None:
        return  # the click command takes it
    try:
        fast = pipe_settings(opts)
    except ValueError:
        with pytest.raises(ConfigError):  # click reads the same options, and refuses them too
            _click_settings(args)
        return
    slow, params = _click_settings(args)
    assert fast == slow
    assert opts.line_buffered == params["line_buffered"]
    assert not params["paths"] and not params["in_place"] and not params["stats_text"] and not params["stats_json"]


def test_the_fast_path_takes_the_usual_pipes() -> None:
    for args in ([], ["--max-age", "30d"], ["--max-age=30d", "--now", NOW, "--timezone=UTC"],
                 ["--ipv4-prefix", "16", "--ipv6-prefix=32", "--line-buffered"]):
        assert simple_pipe_options(args) is not None, args
    for args in (["--stats"], ["x.log"], ["--max-age", "1d", "--max-age", "2d"], ["--max-age"], ["--"],
                 ["--ipv4-prefix", "+8"], ["--max-age", "-1d"], ["-i"]):
        assert simple_pipe_options(args) is None, args


LOG = (
    b'192.0.2.1 - - [10/Jun/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 1 "-" "Chrome/119.0.6045.199"\n'
    b'2001:db8:85a3::7 - - [10/Jun/2023:13:55:36 +0000] "GET /a HTTP/1.1" 404 1 "-" "curl/8.4.0"\n'
    b"host-10-1-2-3 cut line without newline"
)
CASES = [
    [],
    ["--max-age", "30d", "--now", NOW, "--timezone", "UTC"],
    ["--max-age=400d", "--now=" + NOW],
    ["--ipv4-prefix", "16", "--ipv6-prefix=32", "--line-buffered"],
    ["--max-age", "bogus"],
    ["--timezone", "Nowhere/Land"],
    ["--now", "yesterday", "--max-age", "1d"],
    ["--ipv4-prefix", "33"],
    ["--ipv4-prefix", "+8"],
    ["--max-age"],
    ["--max-age", "1d", "--max-age", "400d", "--now", NOW],
    ["--stats"],
    ["-V"],
    ["--version"],
    ["--in-place"],
]


@pytest.mark.parametrize("args", CASES, ids=lambda a: " ".join(a) or "no options")
def test_entry_point_and_click_command_behave_alike(args: list[str]) -> None:
    fast = subprocess.run([sys.executable, "-m", "scrubber", *args], input=LOG, capture_output=True, timeout=60)
    slow = subprocess.run(
        [sys.executable, "-c", "import sys; from scrubber.cli import main; sys.argv[0] = 'scrubber'; main()", *args],
        input=LOG, capture_output=True, timeout=60,
    )
    assert (fast.returncode, fast.stdout) == (slow.returncode, slow.stdout)
    # click names the program in usage errors: "python -m scrubber" vs "scrubber"
    assert fast.stderr.replace(b"python -m scrubber", b"scrubber") == slow.stderr


def test_a_simple_pipe_imports_no_click_and_others_do() -> None:
    def imported(*args: str) -> set[str]:
        p = subprocess.run([sys.executable, "-X", "importtime", "-m", "scrubber", *args], input=LOG,
                           capture_output=True, text=False, timeout=60)
        lines = p.stderr.decode(errors="replace").splitlines()
        return {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}

    fast = imported("--max-age", "30d", "--timezone", "UTC")
    assert "scrubber.pipe" in fast and "scrubber.core" in fast
    assert not {"click", "scrubber.cli", "scrubber.files", "dateutil"} & fast
    assert {"click", "scrubber.cli"} <= imported("--stats")


def test_shell_completion_is_clicks() -> None:
    """With click's completion variable set, the entry point (no options, like a pipe)
    prints the completion script instead of reading stdin."""
    import os
    from pathlib import Path

    exe = Path(sys.executable).parent / "scrubber"
    if not exe.exists():
        pytest.skip("the scrubber entry point is not installed beside this interpreter")
    env = {**os.environ, "_SCRUBBER_COMPLETE": "bash_source"}
    done = subprocess.run([str(exe)], input=b"192.0.2.1\n", capture_output=True, timeout=60, env=env)
    assert done.returncode == 0 and b"_scrubber_completion" in done.stdout

"""Hypothesis profiles: `ci` (default, a few seconds) and `thorough` (on demand).

    pytest --hypothesis-profile=thorough
"""

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci")

import os  # noqa: E402

# policyengine turns an exception no command expected into exit 2 and one line (a user
# sees no traceback); under test it must stay the exception, or every test that asserts
# "no traceback" or an exit code would pass over a bug. Subprocesses inherit it.
# tests/test_check_worker_killed.py unsets it where it tests that one line.
os.environ["POLICYENGINE_TRACEBACK"] = "1"


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pg_server():
    """One real PostgreSQL for the session (tests/pg_support.py), stopped after."""
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    from pg_support import PgServer, binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
    server = PgServer()
    yield server
    server.stop()

"""A real PostgreSQL for tests: Debian's ``initdb`` + ``pg_ctl`` in a temporary folder.

The server listens on a Unix socket only (``listen_addresses = ''``) in its own folder,
with password (SCRAM) authentication, and is stopped (``pg_ctl stop -m immediate``) and
its folder removed after. initdb and postgres refuse to run as root, and CI runs as root:
then the server runs as the ``postgres`` user that Debian's ``postgresql`` package creates
(``runuser -u postgres --``), owning only the data folder; the folder above it is made
world-traversable (0755) so that user can reach it and the tests (root) can reach its
socket. Run as any other user, the server simply runs as that user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

PASSWORD = "s3cret-Pw!d"  # what the redaction tests look for in stdout and stderr
USER = "policyengine"


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class PgServer:
    def __init__(self):
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/initdb): "
                               "apt-get install postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="policyengine-pg-"))
        os.chmod(self.root, 0o755)
        self.data = self.root / "data"
        self.data.mkdir(mode=0o700)
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.data, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        pwfile = self.root / "pw"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, (PASSWORD + "\n").encode())
        os.close(fd)
        if self.as_user:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        self._run(self.bin / "initdb", "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C")
        pwfile.unlink()
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.data}' -c fsync=off " \
                  "-c full_page_writes=off -c synchronous_commit=off"
        self._run(self.bin / "pg_ctl", "-D", str(self.data), "-l", str(self.data / "log"), "-w",
                  "-o", options, "start")
        self.url = f"postgresql://{USER}:{PASSWORD}@/postgres?host={self.data}"
        self.url_no_password = f"postgresql://{USER}@/postgres?host={self.data}"

    def _run(self, *args) -> None:
        result = subprocess.run([*self.as_user, *map(str, args)], capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}")

    def connect(self, **kw):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, **kw)

    def stop(self) -> None:
        try:
            self._run(self.bin / "pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def load_csv_rows(conn, table: str, rows: list[dict], types: dict[str, str] | None = None) -> None:
    """``rows`` (dicts of text or None) as ``table``; columns TEXT unless ``types`` says."""
    types = types or {}
    columns = list(dict.fromkeys(k for row in rows for k in row))
    q = lambda c: '"' + c.replace('"', '""') + '"'  # noqa: E731
    conn.execute(f"DROP TABLE IF EXISTS {q(table)}")
    defs = ", ".join(q(c) + " " + types.get(c, "TEXT") for c in columns)
    conn.execute(f"CREATE TABLE {q(table)} ({defs})")
    with conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {q(table)} VALUES ({', '.join('%s' for _ in columns)})",
                        [[row.get(c) for c in columns] for row in rows])

"""The README's server set-ups, run for real: Apache piping its logs through scrubber,
and nginx writing its access log into a FIFO that scrubber reads.

Both servers come from Debian's packages (`.ci/run` installs them) and are started here
on loopback, on a free port, with a configuration in a temporary directory. A machine
without them skips these tests; CI has them.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SCRUBBER = str(Path(sys.executable).with_name("scrubber"))

CLIENT_V6 = "2001:db8:85a3:8d3:1319:8a2e:370:7348"
HOP_V4 = "203.0.113.195"
QUERY_V4 = "198.51.100.77"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port: int, path: str) -> None:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"X-Forwarded-For": f"{CLIENT_V6}, {HOP_V4}",
                                              "Referer": f"http://{QUERY_V4}/from"})
    try:
        urllib.request.urlopen(request, timeout=5).read()
    except urllib.error.HTTPError:
        pass  # a 404 is what the error-log case asks for


def _wait_for(path: Path, pattern: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text(errors="replace") if path.exists() else ""
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"{path} never matched {pattern!r}; it holds:\n{text}")


def _start(argv: list[str], folder: Path) -> subprocess.Popen:
    with (folder / "server.stderr").open("w") as stderr:  # the child keeps its own copy
        return subprocess.Popen(argv, stderr=stderr)


def _wait_listening(port: int, proc: subprocess.Popen, folder: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}: {(folder / 'server.stderr').read_text()}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError("server did not start listening")


def _assert_scrubbed(text: str) -> None:
    for address in ("127.0.0.1", CLIENT_V6, HOP_V4, QUERY_V4):
        assert address not in text, f"{address} leaked into:\n{text}"


@pytest.mark.skipif(not os.path.exists(APACHE), reason="apache2 is not installed (.ci/run installs it)")
def test_apache_customlog_and_errorlog_pipes(tmp_path):
    port = _free_port()
    (tmp_path / "htdocs").mkdir()
    (tmp_path / "htdocs" / "index.html").write_text("hello\n")
    access, error = tmp_path / "access.log", tmp_path / "error.log"
    # The README's piped-log lines, with the combined format plus X-Forwarded-For.
    (tmp_path / "httpd.conf").write_text(f"""
ServerRoot "{tmp_path}"
DefaultRuntimeDir "{tmp_path}"
PidFile "{tmp_path}/httpd.pid"
Mutex file:{tmp_path}
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
User nobody
Group nogroup
Listen 127.0.0.1:{port}
ServerName localhost
DocumentRoot "{tmp_path}/htdocs"
<Directory "{tmp_path}/htdocs">
  Require all granted
</Directory>
LogLevel info
LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{{Referer}}i\\" \\"%{{User-Agent}}i\\" \\"%{{X-Forwarded-For}}i\\"" combined_xff
CustomLog "|${SCRUBBER} --line-buffered >> {access}" combined_xff
ErrorLog "|${SCRUBBER} --line-buffered >> {error}"
""".replace("${SCRUBBER}", SCRUBBER))
    os.chmod(tmp_path, 0o755)
    server = _start([APACHE, "-f", str(tmp_path / "httpd.conf"), "-DFOREGROUND"], tmp_path)
    try:
        _wait_listening(port, server, tmp_path)
        _request(port, f"/index.html?client={QUERY_V4}")
        _request(port, "/missing.html")
        logged = _wait_for(access, r"missing\.html")
        errors = _wait_for(error, r"client 127\.0\.0\.0")
    finally:
        server.send_signal(signal.SIGTERM)  # Apache stops its piped loggers with SIGTERM
        server.wait(timeout=20)
    _assert_scrubbed(logged + errors)
    assert logged.startswith("127.0.0.0 ")
    assert "2001:db8:85a3::, 203.0.113.0" in logged
    assert f"client={QUERY_V4.rsplit('.', 1)[0]}.0" in logged
    assert re.search(r"\[client 127\.0\.0\.0:\d+\] AH\d+: ", errors)  # Apache 2.4: address:port


@pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed (.ci/run installs it)")
def test_nginx_access_log_through_a_fifo_and_error_log_file(tmp_path):
    port = _free_port()
    (tmp_path / "htdocs").mkdir()
    (tmp_path / "htdocs" / "index.html").write_text("hello\n")
    fifo, access, error = tmp_path / "access.fifo", tmp_path / "access.log", tmp_path / "error.log"
    os.mkfifo(fifo, 0o600)
    # The README's systemd unit in a line: scrubber reads the FIFO, appends to the log.
    reader = subprocess.Popen(["/bin/sh", "-c", f'exec "{SCRUBBER}" --line-buffered < "{fifo}" >> "{access}"'])
    (tmp_path / "nginx.conf").write_text(f"""
daemon off;
master_process on;
user root;
pid {tmp_path}/nginx.pid;
error_log {error} info;
events {{ worker_connections 16; }}
http {{
  client_body_temp_path {tmp_path}/body;
  proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fastcgi;
  uwsgi_temp_path {tmp_path}/uwsgi;
  scgi_temp_path {tmp_path}/scgi;
  log_format combined_xff '$remote_addr - $remote_user [$time_local] "$request" $status '
                          '$body_bytes_sent "$http_referer" "$http_user_agent" "$http_x_forwarded_for"';
  access_log {fifo} combined_xff;
  server {{
    listen 127.0.0.1:{port};
    root {tmp_path}/htdocs;
  }}
}}
""")
    server = _start([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], tmp_path)
    try:
        _wait_listening(port, server, tmp_path)
        _request(port, f"/index.html?client={QUERY_V4}")
        _request(port, "/missing.html")
        logged = _wait_for(access, r"missing\.html")
        _wait_for(error, r"client: 127\.0\.0\.1")
    finally:
        server.send_signal(signal.SIGQUIT)  # graceful stop: closes the FIFO, the reader sees EOF
        server.wait(timeout=20)
        reader.wait(timeout=20)
    assert reader.returncode == 0
    _assert_scrubbed(logged)
    assert logged.startswith("127.0.0.0 - ")
    assert "2001:db8:85a3::, 203.0.113.0" in logged
    # nginx's error log, as the README's cron line scrubs it: in place.
    done = subprocess.run([SCRUBBER, "--in-place", str(error)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    scrubbed = error.read_text()
    assert "client: 127.0.0.0" in scrubbed
    _assert_scrubbed(scrubbed)

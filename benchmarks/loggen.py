"""Deterministic generator of Apache/nginx "combined" access log lines for benchmarks.

Clients come from a skewed (Zipf-like) distribution over a pool of addresses, 20%
of them IPv6; 15% of the lines carry an X-Forwarded-For list at the end (as with
``LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" \\"%{X-Forwarded-For}i\\""``).
Timestamps run over the ``days`` days before ``end`` so that ``--max-age`` has work.
"""

from __future__ import annotations

import datetime as dt
import random

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
PATHS = [
    "/", "/index.html", "/about/", "/blog/2024/03/privacy-by-design/", "/static/css/site.3f2a1c.css",
    "/static/js/app.91bd0e.js", "/images/logo.png", "/favicon.ico", "/robots.txt", "/feed.xml",
    "/search?q=privacy+policy&page=2", "/api/v1/items?id=4711&sort=desc", "/wp-login.php", "/contact",
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.6045.199 Safari/537.36 Edg/119.0.2151.93",
]
REFERERS = ["-", "https://www.example.org/", "https://www.google.com/", "https://example.net/page?from=newsletter"]


def _v4(rng: random.Random) -> str:
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def _v6(rng: random.Random) -> str:
    groups = [0x2001, 0xDB8, rng.randint(0, 0xFFFF), rng.randint(0, 0xFFFF)]
    if rng.random() < 0.5:
        return ":".join(f"{g:x}" for g in groups) + "::" + f"{rng.randint(1, 0xFFFF):x}"
    groups += [rng.randint(0, 0xFFFF) for _ in range(4)]
    return ":".join(f"{g:x}" for g in groups)


def generate_lines(n: int, seed: int = 42, days: int = 60, end: dt.datetime | None = None) -> list[str]:
    rng = random.Random(seed)
    end = end or dt.datetime(2024, 6, 30, 23, 59, 59, tzinfo=dt.timezone.utc)
    pool = [(_v6(rng) if rng.random() < 0.2 else _v4(rng)) for _ in range(20000)]
    # Zipf-ish weights: a few heavy hitters, a long tail.
    weights = [1.0 / (i + 1) ** 1.1 for i in range(len(pool))]
    clients = rng.choices(pool, weights=weights, k=n)
    start = end - dt.timedelta(days=days)
    span = int((end - start).total_seconds())
    step = span / max(n, 1)
    lines = []
    for i, ip in enumerate(clients):
        t = start + dt.timedelta(seconds=int(i * step) + rng.randint(-30, 30))
        stamp = f"{t.day:02d}/{MONTHS[t.month - 1]}/{t.year}:{t.hour:02d}:{t.minute:02d}:{t.second:02d} +0000"
        line = (
            f'{ip} - - [{stamp}] "GET {rng.choice(PATHS)} HTTP/1.1" {rng.choice((200, 200, 200, 304, 404))} '
            f'{rng.randint(200, 90000)} "{rng.choice(REFERERS)}" "{rng.choice(AGENTS)}"'
        )
        if rng.random() < 0.15:
            line += f' "{_v4(rng)}, {rng.choice(pool)}"'
        lines.append(line)
    return lines


def write_log(path: str, n: int, seed: int = 42) -> None:
    with open(path, "w", encoding="ascii") as f:
        for line in generate_lines(n, seed):
            f.write(line + "\n")


if __name__ == "__main__":  # pragma: no cover
    import argparse

    ap = argparse.ArgumentParser(description="Write a combined-format access log (fixed seed).")
    ap.add_argument("path", help="the file to write")
    ap.add_argument("lines", nargs="?", type=int, default=200_000)
    args = ap.parse_args()  # (`--help` is help, not a file name: a 43 MB "--help" was once committed)
    write_log(args.path, args.lines)

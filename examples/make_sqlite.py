"""Make the SQLite example: examples/<org>/records.db with a table `records` holding
that organisation's CSV and JSON Lines example records (all columns as text).

    python examples/make_sqlite.py            # all organisations
    policyengine check rules/binero.policy -b examples/binero/binding.yaml \
        -r 'examples/binero/records.db#records' --now 2026-11-21T12:00:00+01:00
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            return [{k: (v or None) for k, v in row.items()} for row in csv.DictReader(f)]
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_table(db: Path, table: str, rows: list[dict]) -> None:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    quoted = ", ".join(f'"{c}" TEXT' for c in columns)
    with sqlite3.connect(db) as conn:
        conn.execute(f'DROP TABLE IF EXISTS "{table}"')
        conn.execute(f'CREATE TABLE "{table}" ({quoted})')
        conn.executemany(f'INSERT INTO "{table}" VALUES ({", ".join("?" for _ in columns)})',
                         [[row.get(c) for c in columns] for row in rows])
    conn.close()


def main(orgs: list[str]) -> None:
    for org in orgs or sorted(p.name for p in HERE.iterdir() if (p / "binding.yaml").is_file()):
        folder = HERE / org
        rows = [r for f in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.jsonl"))
                if f.name != "requests.jsonl" for r in read_rows(f)]
        write_table(folder / "records.db", "records", rows)
        print(f"{folder / 'records.db'}: {len(rows)} records in table 'records'")


if __name__ == "__main__":
    main(sys.argv[1:])

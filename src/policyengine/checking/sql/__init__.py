"""The check lowered to SQL: a screen per purpose (``lower``), rendered per dialect
(``dialects``), run inside SQLite and DuckDB (``engines``). Needs the ``sql`` extra."""

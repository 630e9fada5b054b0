"""Benchmark data for `policyengine check`: a policy with 20 purposes and N JSON Lines
records from a fixed seed. Shared by check_vs_jq.py and test_check_bench.py."""

from __future__ import annotations

import random
from pathlib import Path

NOW = "2026-11-21T12:00:00+01:00"
JQ_FILTER = 'select(.purpose=="newsletter" and .collected_at < "2024-11-21")'

_RETENTION = [("at most 2 years from collected", "legitimate_interests \"x\""),
              ("at most 3 years from last_activity", "contract"),
              ("at most 18 months from collected", "legitimate_interests \"x\""),
              ("at least 2 months from collected", "legitimate_interests \"x\""),
              ("at most 5 years from contract_end", "contract")]


def policy_text() -> str:
    out = ['controller "Bench AB" {\n  authority IMY\n  jurisdiction SE\n  financial year ends 06-30\n}',
           'category contact "c"', 'subject customer "s"']
    out.append('purpose newsletter "n" {\n  subjects customer\n  categories contact\n  basis consent\n'
               '  retain at most 2 years from collected\n  on withdrawal erase within 30 days\n}')
    out.append('purpose bookkeeping "b" {\n  subjects customer\n  categories contact\n'
               '  basis legal_obligation "Bokföringslagen"\n'
               '  legal hold 7 years from financial_year_end "Bokföringslagen 7 kap. 2 §"\n}')
    out.append('purpose backups "k" {\n  subjects customer\n  categories contact\n'
               '  basis legitimate_interests "restore"\n  retain at most 1 month from deleted\n}')
    for i in range(17):
        rule, basis = _RETENTION[i % len(_RETENTION)]
        out.append(f'purpose p{i:02d} "p" {{\n  subjects customer\n  categories contact\n'
                   f'  basis {basis}\n  retain {rule}\n}}')
    out.append("requests {\n  respond within 1 month\n  extendable by 2 months\n}")
    return "\n\n".join(out) + "\n"


BINDING = """timezone: Europe/Stockholm
columns:
  key: id
  purpose: purpose
  subject: subject
  collected: collected_at
  last_activity: last_activity
  contract_end: contract_end
  consent_given: consent_given
  consent_withdrawn: consent_withdrawn
  deleted: deleted_at
  erasure_requested: erasure_requested
"""

PURPOSES = ["newsletter", "bookkeeping", "backups"] + [f"p{i:02d}" for i in range(17)]


def write_policy(folder: Path) -> tuple[Path, Path]:
    policy, binding = folder / "bench.policy", folder / "bench.binding.yaml"
    policy.write_text(policy_text(), encoding="utf-8")
    binding.write_text(BINDING, encoding="utf-8")
    return policy, binding


def write_records(path: Path, n: int, seed: int = 20261121) -> None:
    """n records: most inside their retention, about one in ten with something due."""
    rng = random.Random(seed)
    choice, randint = rng.choice, rng.randint
    with path.open("w", encoding="utf-8", buffering=1 << 20) as f:
        for i in range(n):
            old = rng.random() < 0.06
            y = randint(2019, 2024) if old else randint(2025, 2026)
            m, d = randint(1, 10 if y == 2026 else 12), randint(1, 28)
            purpose = choice(PURPOSES)
            withdrawn = f'"{y + 1}-{m:02d}-{d:02d}"' if rng.random() < 0.02 else "null"
            deleted = f'"2026-{randint(9, 11):02d}-{d:02d}T{randint(0, 23):02d}:15:00Z"' if purpose == "backups" else "null"
            contract_end = f'"{y}-12-31"' if rng.random() < 0.3 else "null"
            erasure = '"2026-10-01"' if rng.random() < 0.01 else "null"
            f.write(f'{{"id":"r{i:07d}","purpose":"{purpose}","subject":"customer",'
                    f'"collected_at":"{y}-{m:02d}-{d:02d}T{randint(0, 23):02d}:{randint(0, 59):02d}:{randint(0, 59):02d}Z",'
                    f'"last_activity":"{min(y + 1, 2026)}-{m:02d}-{d:02d}","contract_end":{contract_end},'
                    f'"consent_given":"{y}-{m:02d}-{d:02d}T10:00:00+01:00","consent_withdrawn":{withdrawn},'
                    f'"deleted_at":{deleted},"erasure_requested":{erasure}}}\n')

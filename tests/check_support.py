"""Shared test policy and helpers for tests/test_check_*.py (not a test module)."""

from __future__ import annotations

from pathlib import Path

from policyengine import check, compile_policy
from policyengine.language.loading import load_policy

POLICY = '''controller "Test AB" {
  authority IMY
  jurisdiction SE
  financial year ends 06-30
}
category contact "Contact details"
category health_data "Health" is special health
subject customer "Customer"
subject visitor "Visitor"
recipient eu_mail "Mail house" {
  country DE
}
recipient us_cloud "Cloud" {
  country US
  transfer scc
}
recipient us_crm "CRM" {
  country SE
}
purpose marketing "Marketing" {
  subjects customer
  categories contact
  recipients eu_mail, us_cloud, us_crm
  basis consent
  retain at most 2 years from collected
  on withdrawal erase within 30 days
}
purpose cctv "Cameras" {
  subjects visitor
  categories contact
  basis legitimate_interests "safety"
  retain at least 2 months from collected
}
purpose books "Bookkeeping" {
  subjects customer
  categories contact
  basis legal_obligation "Bokforingslagen"
  legal hold 7 years from financial_year_end "Bokforingslagen 7 kap. 2 §"
}
purpose backups "Backups" {
  subjects customer
  categories contact
  basis legitimate_interests "restore"
  retain at most 1 month from deleted
}
purpose care "Care" {
  subjects customer
  categories health_data
  basis contract
  special condition health_care
  retain at most 10 years from last_activity
}
purpose support "Support" {
  subjects customer
  categories contact
  basis contract
  retain at most 1 year from contract_end
}
requests {
  respond within 1 month
  extendable by 2 months
}
'''

ROOT = Path(__file__).resolve().parent.parent


def write_policy(tmp_path: Path, text: str = POLICY) -> Path:
    path = tmp_path / "test.policy"
    path.write_text(text, encoding="utf-8")
    return path


def write_setup(tmp_path: Path, binding_text: str) -> tuple[Path, Path, Path]:
    """(folder, policy, binding): the test policy and a binding beside it."""
    binding = tmp_path / "binding.yaml"
    binding.write_text(binding_text, encoding="utf-8")
    return tmp_path, write_policy(tmp_path), binding


def compiled_policy(tmp_path: Path):
    return compile_policy(load_policy(str(write_policy(tmp_path))))


def findings(policy, record: dict, now: str) -> list:
    return list(check(policy, [dict({"id": "r1"}, **record)], now=now))


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first line of a file containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")

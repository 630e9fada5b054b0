"""Generate a large, valid policy text for lint benchmarks."""

from __future__ import annotations


def large_policy(purposes: int = 200) -> str:
    lines = ['controller "Bench AB" {', '  address "Storgatan 1, 111 22 Stockholm"', '  authority IMY',
             '  jurisdiction SE', '  automated decisions none', '  security "Encryption, access control"', '}', '']
    for i in range(purposes):
        lines.append(f'category data_{i} "Data {i}"')
    lines.append('category health "Health" is special health')
    for i in range(max(1, purposes // 10)):
        lines.append(f'subject subject_{i} "Subject {i}"')
    lines.append('processor host "Hosting" {\n  country US\n  transfer scc\n}')
    for i in range(purposes):
        basis = ("basis consent\n  retain until withdrawn" if i % 3 == 0 else
                 'basis legal_obligation "Bokföringslagen (1999:1078)"\n'
                 "  retain at most 7 years from financial_year_end" if i % 3 == 1 else
                 'basis legitimate_interests "security"\n  retain at least 2 months from collected\n'
                 "  retain at most 3 months from collected")
        lines.append(f'purpose purpose_{i} "Purpose {i}" {{\n'
                     f"  subjects subject_{i // 10}\n"
                     f"  categories data_{i}, data_{(i + 1) % purposes}\n"
                     f"  recipients host\n  provision voluntary\n  {basis}\n}}\n")
    lines.append('purpose care "Care" {\n  subjects subject_0\n  categories health\n'
                 '  basis contract "care"\n  special condition health_care\n  provision contractual\n'
                 "  retain at most 10 years from last_activity\n}\n")
    lines.append("requests {\n  respond within 1 month\n  extendable by 2 months\n}\n")
    return "\n".join(lines)

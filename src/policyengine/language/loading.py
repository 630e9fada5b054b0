"""Loading a policy for use: parse, validate, refuse one with errors."""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import ast
from .diagnostics import ERROR, PolicyError, PolicyInvalid
from .parser import ParseFailed, parse
from .source import ignored_lines, read_policy_text, silenced_line, statement_lines
from .validate import validate


# An ignore silences a report; it never makes a value usable that has no meaning: an
# impossible value (a /32 "truncation", a zero or 200-year retention), an unknown name, a
# duplicate, a statement given twice. Lint honours the ignore; check and scrubber refuse.
NOT_IGNORABLE_FOR_USE = frozenset({"PE101", "PE102", "PE104", "PE207"})


def load_policy(path: str) -> ast.PolicyFile:
    """A parsed and validated policy; PolicyInvalid (exit 2) if it has errors.

    Warnings do not stop a policy from being used; lint reports them. Inline
    `# lint-ignore: CODE` comments count here as they do in lint (the seed
    policies silence PE206 where their notice states no period, and such a
    purpose simply has no retention rule to check), except for the codes in
    NOT_IGNORABLE_FOR_USE.
    """
    try:
        text = read_policy_text(path)
        policy = parse(text, path)
    except ParseFailed as failed:
        raise PolicyInvalid([failed.diagnostic], {path: locals().get("text", "")}) from None
    ignored, first = ignored_lines(policy), statement_lines(policy)
    errors = []
    for d in validate(policy):
        if d.level != ERROR:
            continue
        if d.code in ignored.get(silenced_line(d, first), ()):
            if d.code not in NOT_IGNORABLE_FOR_USE:
                continue
            d = replace(d, message=d.message + f" (a '# lint-ignore: {d.code}' silences lint's report, "
                                               "but the policy cannot be used until this is fixed)")
        errors.append(d)
    if errors:
        raise PolicyInvalid(errors, {path: text})
    return policy


def find_purpose(policy: ast.PolicyFile, name: str) -> ast.Purpose:
    purpose = policy.purpose(name)
    if purpose is None:
        known = ", ".join(p.name.value for p in policy.purposes)
        raise PolicyError(f"{policy.path}: no purpose '{name}' (purposes: {known})")
    return purpose


_UNIT_SUFFIX = {"day": "d", "week": "w", "month": "mo", "year": "y"}


@dataclass(frozen=True)
class ScrubberSettings:
    """What the scrubber takes from a purpose's log rules."""

    ipv4_prefix: int
    ipv6_prefix: int
    max_age: str | None  # scrubber duration syntax: 30d, 2w, 1mo, 1y
    source: str  # file:line of the log rules, for --stats and errors


def scrubber_settings(path: str, purpose_name: str) -> ScrubberSettings:
    policy = load_policy(path)
    purpose = find_purpose(policy, purpose_name)
    rules = [logs for logs in purpose.logs if logs.truncate is not None]
    if not rules:
        raise PolicyError(f"{path}: purpose '{purpose_name}' has no log rules that truncate "
                          "addresses (logs ... { truncate ipv4 /24 ipv6 /48 })")
    logs = rules[0]
    keep = logs.keep
    if keep is not None and keep.bound == ast.Bound.AT_MOST:
        age = keep.duration
    else:  # no keep line: the purpose's own maximum retention from collection
        age = next((r.duration for r in purpose.retention
                    if r.bound == ast.Bound.AT_MOST and r.anchor.value == "collected"), None)
    max_age = "".join(f"{part.amount}{_UNIT_SUFFIX[part.unit]}" for part in age.parts) if age is not None else None
    return ScrubberSettings(logs.truncate.ipv4_prefix, logs.truncate.ipv6_prefix, max_age,
                            str(logs.span))

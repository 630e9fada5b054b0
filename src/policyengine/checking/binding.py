"""The binding between a dataset and the policy: which column holds what.

A small YAML mapping beside the policy (format in docs/check.md)::

    timezone: Europe/Stockholm     # the zone of timestamps written without one (default UTC)
    separator: ";"                 # between names in the categories/recipients columns
    columns:                       # field -> column
      key: id
      purpose: purpose
      collected: collected_at
    sources:                       # per source (file name or SQLite table): overrides
      cctv.csv:
        purpose_is: cctv           # every record of this source has this purpose
        columns: {collected: recorded_at}

Nothing is hard-coded: a field the binding does not name is not read, a
column it names that the data lacks is an error, and so is a rule of the
policy whose clock start the binding does not map.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from .compile import DERIVED_ANCHORS, CompiledPolicy
from .dates import DEFAULT_ZONE, get_zone
from ..language.diagnostics import PolicyError, did_you_mean
from .. import safe_yaml

# Every field a record can carry, in a fixed order.
NAME_FIELDS = ("key", "purpose", "subject", "categories", "recipients", "recipient_country", "consent_scope")
DATE_FIELDS = ("collected", "last_activity", "contract_end", "transaction", "consent_given",
               "consent_withdrawn", "erasure_requested", "deleted", "request_received",
               "request_extended", "request_answered")
FIELDS = NAME_FIELDS + DATE_FIELDS
OPTIONAL_FIELDS = ("consent_scope",)  # not in the identity binding
_TOP_KEYS = ("timezone", "separator", "columns", "purpose_is", "sources")
_SOURCE_KEYS = ("separator", "columns", "purpose_is")


class BindingError(PolicyError):
    """The binding is wrong, or does not fit the policy or the data (exit 2)."""


@dataclass(frozen=True)
class Binding:
    """The effective binding of one source."""

    columns: dict[str, str]  # field -> column
    purpose_is: str | None = None
    separator: str = ";"
    timezone: str = DEFAULT_ZONE
    origin: str = "<default binding>"
    sources: dict[str, dict] = field(default_factory=dict, compare=False, repr=False)
    # No binding was given: each source binds the fields whose columns it has, and a rule
    # that needs one it lacks is reported (``gaps``) and not checked, instead of an error.
    implicit: bool = field(default=False, compare=False)

    @classmethod
    def identity(cls, timezone: str = DEFAULT_ZONE) -> "Binding":
        """Every field read from the column of the same name, the key from 'id'
        (``consent_scope`` only when named: few record sets carry it)."""
        columns = {f: f for f in FIELDS if f not in OPTIONAL_FIELDS}
        columns["key"] = "id"
        return cls(columns, timezone=timezone)

    @classmethod
    def implicit_default(cls, timezone: str = DEFAULT_ZONE) -> "Binding":
        """What the CLI uses with no binding: ``identity``, narrowed per source to the
        columns the records have (``narrowed_to``)."""
        return replace(cls.identity(timezone), implicit=True)

    def narrowed_to(self, columns) -> "Binding":
        """The fields whose columns are present (key and purpose stay: they are required)."""
        have = set(columns)
        kept = {f: c for f, c in self.columns.items() if c in have or f in ("key", "purpose")}
        return replace(self, columns=kept)

    def gaps(self, policy: CompiledPolicy) -> list[str]:
        """The rules this binding leaves without their clock (or consent column): each
        a sentence saying which rule cannot be checked and which column it needs."""
        purposes = [policy.purpose(self.purpose_is)] if self.purpose_is else list(policy.purposes)
        out = []
        for p in purposes:
            if p is None:
                continue
            for rule in p.erase + p.keep:
                needed = self.anchor_field(rule.anchor)
                if needed not in self.columns:
                    out.append(f"{rule.where}: purpose '{p.name}': '{rule.clause}' is not checked: "
                               f"no column '{needed}'")
            if p.consent and "consent_given" not in self.columns:
                out.append(f"{p.where}: purpose '{p.name}': consent is not checked: no column 'consent_given'")
        return out

    def for_source(self, name: str) -> "Binding":
        override = self.sources.get(name) or self.sources.get(Path(name).stem) or {}
        columns = dict(self.columns)
        columns.update(override.get("columns") or {})
        purpose_is = override.get("purpose_is", self.purpose_is)
        if purpose_is is not None:
            columns.pop("purpose", None)
        return Binding(columns, purpose_is, override.get("separator", self.separator),
                       self.timezone, self.origin + (f" (source {name})" if override else ""),
                       implicit=self.implicit)

    def check_against(self, policy: CompiledPolicy) -> None:
        """Refuse a binding that leaves a rule of the policy without its clock (an implicit
        binding only needs the key and the purpose: its gaps are reported, not refused)."""
        if "key" not in self.columns:
            raise BindingError(f"{self.origin}: no column for the record key (columns: key: ...)")
        if self.purpose_is is None and "purpose" not in self.columns:
            raise BindingError(f"{self.origin}: say which column holds the purpose "
                               "(columns: purpose: ...) or which purpose every record has (purpose_is: ...)")
        if self.purpose_is is not None:
            purpose = policy.purpose(self.purpose_is)
            if purpose is None:
                hint = did_you_mean(self.purpose_is, [p.name for p in policy.purposes])
                raise BindingError(f"{self.origin}: purpose_is: the policy has no purpose "
                                   f"'{self.purpose_is}'" + (f"; {hint}" if hint else ""))
            purposes = [purpose]
        else:
            purposes = list(policy.purposes)
        if self.implicit:
            return
        for p in purposes:
            for rule in p.erase + p.keep:
                needed = self.anchor_field(rule.anchor)
                if needed not in self.columns:
                    raise BindingError(
                        f"{self.origin}: {rule.where}: purpose '{p.name}' counts from {rule.anchor} "
                        f"({rule.clause}), but the binding maps no column for '{needed}'")
            if p.consent and "consent_given" not in self.columns:
                raise BindingError(f"{self.origin}: {p.where}: purpose '{p.name}' is based on consent, "
                                   "but the binding maps no column for 'consent_given'")
            if p.consent_scope and "consent_scope" not in self.columns:
                raise BindingError(f"{self.origin}: {p.where}: purpose '{p.name}' needs specific consent "
                                   f"(to {p.consent_scope}), but the binding maps no column for "
                                   "'consent_scope' (what each record consented to)")

    def anchor_field(self, anchor: str) -> str:
        """The record field a rule's clock reads (financial_year_end: from the transaction date)."""
        if anchor in DERIVED_ANCHORS:
            return "transaction" if "transaction" in self.columns else "collected"
        return anchor


def _complain(origin: str, where: str, key, known) -> BindingError:
    hint = did_you_mean(str(key), known)
    return BindingError(f"{origin}: {where}: unknown key '{key}'"
                        + (f"; {hint}" if hint else f" (known: {', '.join(known)})"))


def _columns(origin: str, where: str, value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BindingError(f"{origin}: {where} must be a mapping of field: column")
    out = {}
    for key, column in value.items():
        if key not in FIELDS:
            raise _complain(origin, where, key, FIELDS)
        if not isinstance(column, str) or not column:
            raise BindingError(f"{origin}: {where}.{key}: give the column name as a string")
        out[key] = column
    return out


def parse_binding(data, origin: str) -> Binding:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise BindingError(f"{origin}: a binding is a YAML mapping (timezone, columns, sources)")
    for key in data:
        if key not in _TOP_KEYS:
            raise _complain(origin, "top level", key, _TOP_KEYS)
    timezone = str(data.get("timezone", DEFAULT_ZONE))
    try:
        get_zone(timezone)
    except ValueError as err:
        raise BindingError(f"{origin}: timezone: {err}") from None
    sources = {}
    given_sources = data.get("sources") or {}
    if not isinstance(given_sources, dict):
        raise BindingError(f"{origin}: sources must be a mapping of source name: overrides")
    for name, override in given_sources.items():
        where = f"sources.{name}"
        if not isinstance(override, dict):
            raise BindingError(f"{origin}: {where} must be a mapping")
        for key in override:
            if key not in _SOURCE_KEYS:
                raise _complain(origin, where, key, _SOURCE_KEYS)
        override = {k: (str(v) if k in ("separator", "purpose_is") and v is not None else v)
                    for k, v in override.items()}
        sources[str(name)] = dict(override, columns=_columns(origin, where + ".columns",
                                                             override.get("columns")))
    separator = str(data.get("separator", ";"))
    purpose_is = data.get("purpose_is")
    return Binding(_columns(origin, "columns", data.get("columns")),
                   str(purpose_is) if purpose_is is not None else None,
                   separator, timezone, origin, sources)


def load_binding(path: str) -> Binding:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise BindingError(f"{path}: cannot read the binding: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise BindingError(f"{path}: the binding is not UTF-8") from None
    try:
        data = safe_yaml.load(text, path)
    except safe_yaml.YamlRefused as err:
        raise BindingError(str(err)) from None
    return parse_binding(data, path)


def find_binding(policy_path: str) -> str | None:
    """The binding beside a policy: rules/x.policy -> rules/x.binding.yaml, if it exists."""
    candidate = Path(policy_path).with_suffix(".binding.yaml")
    return str(candidate) if candidate.is_file() else None

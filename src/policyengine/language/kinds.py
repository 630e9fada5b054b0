"""The closed sets of the grammar, as ``enum.StrEnum`` (re-exported by ``ast``)."""

from __future__ import annotations

from enum import StrEnum


# Closed sets of the grammar. StrEnum members are their strings ("at_most" == Bound.AT_MOST),
# so JSON output and comparisons with plain strings are unchanged.
class Unit(StrEnum):
    """A duration's unit, singular."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class Bound(StrEnum):
    """Which side a retention period limits: ``at most`` / ``up to``, or ``at least``."""

    AT_MOST = "at_most"
    AT_LEAST = "at_least"


class CategoryKind(StrEnum):
    """A data category: plain, special (GDPR Art. 9(1)) or a national identity number."""

    PLAIN = "plain"
    SPECIAL = "special"
    NATIONAL_IDENTIFIER = "national_identifier"


class RecipientRole(StrEnum):
    """Who receives data: a recipient, or a processor acting for the controller."""

    RECIPIENT = "recipient"
    PROCESSOR = "processor"

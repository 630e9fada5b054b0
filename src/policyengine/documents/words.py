"""Words that are not templates: durations. Every duration a document shows goes
through ``duration_words``, so a change to how the language states periods is one place."""

from __future__ import annotations

_UNITS = {
    "sv": {"day": ("dag", "dagar"), "week": ("vecka", "veckor"), "month": ("månad", "månader"),
           "year": ("år", "år")},
    "nb": {"day": ("dag", "dager"), "week": ("uke", "uker"), "month": ("måned", "måneder"),
           "year": ("år", "år")},
    "en": {"day": ("day", "days"), "week": ("week", "weeks"), "month": ("month", "months"),
           "year": ("year", "years")},
}
_AND = {"sv": "och", "nb": "og", "en": "and"}


def _parts(duration) -> list[tuple[int, str]]:
    """(amount, unit) pairs, largest unit first: one, or several for a compound duration."""
    return [(duration.amount, duration.unit)] + [(m.amount, m.unit) for m in getattr(duration, "more", ())]


def duration_words(duration, lang: str) -> str:
    """'2 månader', '1 år och 6 månader', '30 days'."""
    words = []
    for amount, unit in _parts(duration):
        one, many = _UNITS[lang][unit]
        words.append(f"{amount} {one if amount == 1 else many}")
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + f" {_AND[lang]} " + words[-1]


def iso_duration(duration) -> str:
    """ISO 8601 (TILT's ttl): P2M, P7Y, P30D, P2W."""
    letters = {"day": "D", "week": "W", "month": "M", "year": "Y"}
    order = "YMWD"
    parts = sorted(_parts(duration), key=lambda p: order.index(letters[p[1]]))
    return "P" + "".join(f"{amount}{letters[unit]}" for amount, unit in parts)

"""One difference between two versions of a policy, and the recorder that classifies it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..language import ast
from .kinds import KINDS


@dataclass(frozen=True)
class Change:
    kind: str  # a key of KINDS
    material: bool
    message: str  # what changed, in English; holds policy text: escape before printing
    reason: str  # why it is material or minor
    old: ast.Span | None  # where it is in the old file (or the nearest enclosing block)
    new: ast.Span | None
    what: str  # the thing changed, as the notice names it (a label, else the name)
    context: str | None = None  # the purpose it belongs to, when it belongs to one
    before: object = None  # a Duration, a string or None, for the notice's wording
    after: object = None

    @property
    def sort_key(self) -> tuple:
        primary = self.new if self.new is not None else self.old
        return (0 if self.new is not None else 1, primary.line if primary else 0,
                primary.column if primary else 0, self.kind, self.message)


def title(node) -> str:
    """How a declaration is named to people: its label, else its name."""
    label = getattr(node, "label", None)
    return label if label else node.name.value


@dataclass
class Recorder:
    """Collects changes, applying the user's reclassification."""

    reclassify: dict[str, bool] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    covered: list[ast.Span] = field(default_factory=list)  # explained by a change reported elsewhere

    def cover(self, span: ast.Span) -> None:
        """A difference here is accounted for by a change reported at another place
        (a purpose using a category declared new is reported once, at the declaration)."""
        self.covered.append(span)

    def add(self, kind: str, message: str, old: ast.Span | None, new: ast.Span | None, what: str,
            *, context: str | None = None, before: object = None, after: object = None,
            detail: str | None = None) -> None:
        known = KINDS[kind]
        material = self.reclassify.get(kind, known.material)
        reason = known.why + (f" ({detail})" if detail else "")
        if material != known.material:
            reason += "; reclassified by the config"
        self.changes.append(Change(kind, material, message, reason, _real(old), _real(new), what,
                                   context, before, after))


def _real(span: ast.Span | None) -> ast.Span | None:
    return None if span is None or span == ast.NO_SPAN else span

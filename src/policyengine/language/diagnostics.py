"""Diagnostics: what lint reports, with a stable code, a span, an excerpt and a hint."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable

from ..escaping import printable, printable_lines, width_of
from .ast import Span

ERROR = "error"
WARNING = "warning"
INFO = "info"
LEVELS = (ERROR, WARNING, INFO)

# Stable codes. Never renumber; retire a code rather than reuse it.
CODES: dict[str, tuple[str, str]] = {
    # code: (default level, short title)
    "PE001": (ERROR, "syntax error"),
    "PE002": (ERROR, "file is not valid UTF-8"),
    "PE003": (ERROR, "file too large"),
    "PE101": (ERROR, "unknown name"),
    "PE102": (ERROR, "duplicate definition"),
    "PE103": (ERROR, "no controller declared"),
    "PE104": (ERROR, "statement given twice"),
    "PE201": (ERROR, "special category without an Art. 9(2) condition"),
    "PE202": (ERROR, "consent without withdrawal handling"),
    "PE203": (ERROR, "minimum retention longer than maximum"),
    "PE204": (ERROR, "transfer outside the EEA without a safeguard"),
    "PE205": (ERROR, "legal basis cites no law"),
    "PE206": (ERROR, "purpose has no retention"),
    "PE207": (ERROR, "impossible value"),
    "PE208": (ERROR, "purpose has no lawful basis"),
    "PE209": (WARNING, "national identity number without a stated justification"),
    "PE210": (WARNING, "Art. 9(2) condition but no special category"),
    "PE211": (WARNING, "purpose names no data subjects or no data categories"),
    "PE212": (WARNING, "declared but never used"),
    "PE213": (WARNING, "withdrawal handling on a purpose not based on consent"),
    "PE214": (WARNING, "no deadline for data-subject requests"),
    "PE215": (ERROR, "a consent scope (`basis consent to SCOPE`) on a basis other than consent"),
    "PE216": (ERROR, "`on hold end erase within D` in a purpose with no legal hold"),
    # What the notice (GDPR Art. 13) and the record (Art. 30) need: from PE230 on.
    "PE230": (WARNING, "controller states no postal address"),
    "PE231": (WARNING, "data protection officer without contact details"),
    "PE232": (WARNING, "purpose does not say whether providing the data is required"),
    "PE233": (WARNING, "nothing stated about automated decision-making"),
    "PE234": (WARNING, "no general description of security measures"),
    "PE235": (WARNING, "controller outside the EU/EEA without a representative"),
    "PE236": (WARNING, "no supervisory authority named"),
    "PE217": (WARNING, "lint-ignore comment not understood"),
    "PE218": (WARNING, "lint-ignore that silences nothing"),
}


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    hint: str | None = None
    level: str = ""  # filled from CODES when empty

    def __post_init__(self) -> None:
        if not self.level:
            object.__setattr__(self, "level", CODES[self.code][0])

    @property
    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.column, self.code, self.message)

    def headline(self) -> str:
        return f"{self.span}: {self.code}: {self.message}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A hint from the closest known name, if any is close enough."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"did you mean '{lowered[word.lower()]}'?"
    import difflib  # only when a name is unknown

    close = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def excerpt(source: str | list[str], span: Span) -> str:
    """The offending line with a caret under the span, as compilers print it.

    ``source`` is the text, or its lines (``source_lines``): a caller rendering many
    diagnostics of one file splits it once, so the output stays linear in their number."""
    lines = source_lines(source) if isinstance(source, str) else source
    if not (1 <= span.line <= len(lines)):
        return ""
    text = lines[span.line - 1].expandtabs(1)
    if len(text) > 200:  # a very long line: show a window around the column
        start = max(0, span.column - 80)
        text, col = text[start:start + 160], span.column - start
    else:
        col = span.column
    width = 1
    if span.end_line == span.line and span.end_column > span.column:
        width = span.end_column - span.column
    width = max(1, min(width, len(text) - col + 2))
    # Control characters are shown escaped (\\e, \\x07): the caret moves with them.
    lead, marked = width_of(text[:col - 1]) + max(0, col - 1 - len(text)), width_of(text[col - 1:col - 1 + width])
    width = max(1, marked + max(0, width - len(text[col - 1:col - 1 + width])))
    gutter = f"{span.line:>5} | "
    return f"{gutter}{printable(text)}\n{' ' * (len(gutter) - 2)}| {' ' * lead}{'^' * width}"


def source_lines(text: str) -> list[str]:
    """A file's lines as spans count them (``\n`` ends a line, as in the grammar)."""
    return text.splitlines()


def render_text(diagnostic: Diagnostic, source: str | list[str] | None) -> str:
    parts = [printable(f"{diagnostic.span}: {diagnostic.code}: {diagnostic.level}: {diagnostic.message}")]
    if source:
        shown = excerpt(source, diagnostic.span)
        if shown:
            parts.append(shown)
    if diagnostic.hint:
        parts.append(printable(f"  hint: {diagnostic.hint}"))
    return "\n".join(parts)


# ---- tool failures (exit code 2) -------------------------------------------
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_TOOL_ERROR = 2
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_READER_GONE = 141  # the reader of stdout went away (128 + SIGPIPE): never 1, "findings"


def _define_errors() -> None:
    """PolicyError and PolicyInvalid subclass click.ClickException (click prints them and
    sets the exit code, for the CLI and for the scrubber's), so defining them imports
    click: done on their first use (the module's ``__getattr__``), which `policyengine
    lint` makes only when something fails -- click's import was a seventh of its start-up.
    Named as module-level classes are, so that pickle finds them (check's workers)."""
    if "PolicyError" in globals():
        return
    import click

    class PolicyError(click.ClickException):
        """The tool could not do its job (unreadable file, bad option, bad config)."""

        exit_code = EXIT_TOOL_ERROR

        def format_message(self) -> str:
            # Messages quote file names, binding keys and record values: nothing in them may
            # drive the terminal. Our own line breaks stay.
            return printable_lines(super().format_message())

    class PolicyInvalid(PolicyError):
        """A policy has errors and cannot be used for checking."""

        def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str]):
            self.diagnostics = diagnostics
            lines = {file: source_lines(text) for file, text in sources.items()}
            shown = "\n".join(render_text(d, lines.get(d.span.file)) for d in diagnostics)
            super().__init__(f"the policy has errors:\n{shown}")

    for cls in (PolicyError, PolicyInvalid):
        cls.__module__, cls.__qualname__ = __name__, cls.__name__
        globals()[cls.__name__] = cls


def __getattr__(name: str):
    if name in ("PolicyError", "PolicyInvalid"):
        _define_errors()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

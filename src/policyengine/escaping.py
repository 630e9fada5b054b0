"""What reaches a human is escaped here, once, for every output format.

Records and policies come from many hands. Text from them (a record key, a column value,
a policy label, a file name) must not be able to move the cursor, retitle the terminal
(``ESC ] 0 ; ... BEL``), forge a line of output (CR, LF), reorder what is shown (bidi
overrides, the "trojan source" trick) or run as a spreadsheet formula. Human-readable
outputs (check text, lint text, explain, fmt and error messages) pass text through
``printable``; CSV cells through ``csv_cell``. JSON and SARIF need neither: the JSON
encoder escapes C0 itself and the rest is valid JSON text. Output formats added later
(GitHub workflow commands, HTML) build on these functions rather than on their own rules.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls; the bidi embeddings, overrides and isolates and the marks
# (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069); U+2028/U+2029, which some
# terminals and editors take as line breaks.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                                 "\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\e"}


def _escape(match: re.Match) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control and bidi character written as a visible escape
    (``\\e``, ``\\n``, ``\\x07``, ``\\u202e``). Idempotent: the result has none left."""
    return UNSAFE.sub(_escape, text) if UNSAFE.search(text) else text


def printable_lines(text: str) -> str:
    """Like ``printable``, but the line breaks of a multi-line message we wrote stay."""
    return _UNSAFE_BUT_NEWLINE.sub(_escape, text) if _UNSAFE_BUT_NEWLINE.search(text) else text


def width_of(text: str) -> int:
    """How many characters ``text`` takes once ``printable`` (for carets and columns)."""
    return len(printable(text))


# OWASP "CSV injection": a cell starting with one of these is taken as a formula by
# spreadsheets (=HYPERLINK(...), +cmd|..., @SUM(...), -1+1); a leading single quote makes
# it text, and shows as nothing in the spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell that a spreadsheet will not run. Only text is changed: numbers we wrote
    (days overdue, -3) are numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# GitHub workflow commands (``::error file=F,line=L::message``): the runner decodes %25,
# %0D and %0A in a message and also %3A and %2C in a property value, so encoding these is
# what keeps a record or policy text from ending the command and starting another. Callers
# make the text visible first with the function that suits their output.
def github_data(text: str) -> str:
    """A workflow command's message, with ``%``, CR and LF encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value: as a message, and ``:`` and ``,`` too."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")

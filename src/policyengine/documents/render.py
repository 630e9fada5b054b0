"""The jinja2 environments: Markdown and plain text unescaped, HTML autoescaped."""

from __future__ import annotations

import functools
import re

from ..language.diagnostics import PolicyError
from ..language import vocabulary as vocab
from . import LANGUAGES
from .words import duration_words


def _jinja():
    try:
        import jinja2
    except ImportError:  # an optional extra
        raise PolicyError("generating documents needs jinja2: pip install 'privacy-promises[documents]'") from None
    return jinja2


# Characters a Markdown reader takes as a line break (or that no reader should see): a
# label holding one could start a heading or a list item of its own.
_LINE_BREAKING = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def md_text(value) -> str:
    """A policy string in Markdown: one line, the characters that would start markup escaped."""
    text = _LINE_BREAKING.sub(" ", str(value))
    for ch in "\\`*_[]<>|":
        text = text.replace(ch, "\\" + ch)
    return text


FORMATS = ("md", "html", "text")


@functools.lru_cache(maxsize=None)
def environment(lang: str, fmt: str):
    """fmt: md (policy strings Markdown-escaped), html (autoescaped), text (as written)."""
    if lang not in LANGUAGES:
        raise PolicyError(f"unknown language {lang!r} (known: {', '.join(LANGUAGES)})")
    jinja2 = _jinja()
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("policyengine.documents", "templates"),
        autoescape=fmt == "html", undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["duration"] = lambda d: duration_words(d, lang)
    # Markdown: every policy string passes |t; in HTML autoescape already does the work.
    env.filters["t"] = md_text if fmt == "md" else (lambda v: v)
    env.globals.update(lang=lang, vocab=vocab, fmt=fmt)
    return env


def phrases(lang: str, fmt: str = "text"):
    """The language's wording as callables (jinja2 macros), for tables built in Python."""
    return environment(lang, fmt).get_template(f"{lang}/phrases.j2").module

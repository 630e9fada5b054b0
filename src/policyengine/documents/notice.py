"""The notice a data subject reads (GDPR Art. 13(1)-(2)), as Markdown or one HTML file."""

from __future__ import annotations

from ..language import ast
from .model import build
from .render import environment

NOTICE_FORMATS = ("md", "html")


def render_notice(policy: ast.PolicyFile, lang: str, fmt: str = "md") -> str:
    env = environment(lang, fmt)
    return env.get_template(f"notice.{fmt}.j2").render(v=build(policy))

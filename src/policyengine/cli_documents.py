"""`policyengine notice`, `ropa` and `export`: documents generated from a policy.

Imported only when one of these commands runs (jinja2 and openpyxl are optional extras).
Exit codes: 0 written, 2 the tool could not run (bad policy, option, missing extra, unwritable
output).
"""

from __future__ import annotations

from datetime import datetime, timezone

import click

from .documents import LANGUAGES
from .language.diagnostics import PolicyError
from .language.loading import load_policy
from .output_file import atomic_output

_LANG = click.option("--lang", type=click.Choice(LANGUAGES), default="sv", show_default=True,
                     help="Language of the document: Swedish (IMY's terms), Norwegian bokmål "
                          "(Datatilsynet's terms) or English.")
_OUTPUT = click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True),
                       help="Write to FILE (atomically) instead of standard output.")


def _emit(data: str | bytes, output: str | None) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_output(output, binary=True) as out:
        out.write(raw)
        out.flush()


@click.command(short_help="The privacy notice (GDPR Art. 13) generated from POLICY.")
@click.argument("policy", type=click.Path(dir_okay=False))
@_LANG
@click.option("--format", "fmt", type=click.Choice(("md", "html")), default="md", show_default=True,
              help="Markdown, or one self-contained HTML file.")
@_OUTPUT
def notice(policy: str, lang: str, fmt: str, output: str | None) -> None:
    """The privacy notice (GDPR Art. 13) generated from POLICY."""
    from .documents.notice import render_notice

    _emit(render_notice(load_policy(policy), lang, fmt), output)


@click.command(short_help="The record of processing activities (GDPR Art. 30) from POLICY.")
@click.argument("policy", type=click.Path(dir_okay=False))
@_LANG
@click.option("--format", "fmt", type=click.Choice(("md", "html", "csv", "xlsx", "json")), default="md",
              show_default=True, help="Layout of the record; xlsx needs --output.")
@_OUTPUT
def ropa(policy: str, lang: str, fmt: str, output: str | None) -> None:
    """The record of processing activities (GDPR Art. 30(1)) generated from POLICY."""
    from .documents import ropa as register

    if fmt == "xlsx":
        if output in (None, "-"):
            raise PolicyError("--format xlsx writes a binary file: give --output FILE.xlsx")
        _emit(register.xlsx_bytes(load_policy(policy), lang), output)
        return
    _emit(register.render_ropa(load_policy(policy), lang, fmt), output)


@click.command()
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("--to", "target", type=click.Choice(("tilt",)), required=True,
              help="tilt: a Transparency Information Language document (JSON).")
@_LANG
@click.option("--created", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d"]),
              help="meta.created (default: now, UTC); fix it for reproducible output.")
@click.option("--url", default="", help="meta.url: where the notice is published (default: the policy path).")
@_OUTPUT
def export(policy: str, target: str, lang: str, created: datetime | None, url: str, output: str | None) -> None:
    """Export POLICY to another format (TILT)."""
    from .documents.tilt import render_tilt

    when = created or datetime.now(timezone.utc).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    _emit(render_tilt(load_policy(policy), lang, when, url), output)

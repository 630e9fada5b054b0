"""`policyengine diff`: the command line over policyengine.diff (imported only when it runs)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .diff.compare import compare
from .diff.config import discover_reclassify, load_reclassify
from .diff.notice import LANGUAGES, notice
from .diff.render import FORMATS
from .diff.sources import read_at_revision, read_policy
from .language.diagnostics import EXIT_FINDINGS, EXIT_OK, PolicyError


@click.command("diff")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--against", "revision", metavar="GIT_REF",
              help="Compare each FILE with itself as committed at this git revision (e.g. HEAD, HEAD~1, main).")
@click.option("--format", "output_format", type=click.Choice(sorted(FORMATS)), default="text",
              show_default=True, help="github: workflow commands (::warning for material, ::notice for minor).")
@click.option("--notice", "as_notice", is_flag=True,
              help="Print the plain-language message to users about the material changes instead.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True,
              help="Language of --notice.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="YAML config (default: .policyengine.yaml found upward); its diff.reclassify applies.")
def diff(files: tuple[str, ...], revision: str | None, output_format: str, as_notice: bool, lang: str,
         config_path: str | None) -> None:
    """Say which changes between two versions of a policy are material.

    \b
    policyengine diff OLD NEW
    policyengine diff FILE... --against GIT_REF

    The policies are parsed and compared as meaning, not as text: formatting
    and comments never make a change material. Exit 0 nothing material
    changed, 1 something material changed, 2 error (unreadable file, syntax
    error, bad config, not a git repository, unknown revision).
    """
    if revision is None and len(files) != 2:
        raise click.UsageError("give OLD and NEW, or FILE... with --against GIT_REF")
    reclassify = load_reclassify(Path(config_path)) if config_path else discover_reclassify(Path.cwd())
    if revision is None:
        pairs = [(read_policy(files[0]), read_policy(files[1]))]
    else:
        pairs = [(read_at_revision(f, revision), read_policy(f)) for f in files]
    material = False
    out = []
    for old, new in pairs:
        changes = compare(old, new, reclassify)
        material = material or any(c.material for c in changes)
        if as_notice:
            out.append(notice(changes, new, lang))
        else:
            out.append(FORMATS[output_format](changes, old.path, new.path))
    if output_format == "json" and not as_notice and len(out) > 1:
        out = ["[\n" + ",\n".join(o.rstrip("\n") for o in out) + "\n]\n"]
    click.echo("".join(out), nl=False)
    sys.exit(EXIT_FINDINGS if material else EXIT_OK)


__all__ = ["diff", "PolicyError"]

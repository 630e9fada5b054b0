"""`policyengine init`: write a first policy and its binding (starter), never over a file.

Exit 0 written, 2 nothing written (a file exists, or an option is wrong).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .language.diagnostics import PolicyError
from .starter import JURISDICTIONS, TEMPLATES, render_binding, render_policy


def _ask(value, prompt: str, **kwargs):
    """A missing option: asked for on a terminal, an error in a pipe or a script."""
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise PolicyError(f"{prompt} is needed (give it as an option; it is only asked for on a terminal)")
    return click.prompt(prompt, **kwargs)


def _create(path: Path, text: str) -> None:
    """Write a new file; never replace one (O_EXCL: not even a file made a moment ago)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        raise PolicyError(f"{path} exists: init never overwrites a file (choose another --output)") from None
    except OSError as err:
        raise PolicyError(f"cannot write {path}: {err.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


@click.command("init")
@click.option("--controller", help='The organisation, as the notice names it (e.g. "Exempel AB").')
@click.option("--jurisdiction", type=click.Choice(sorted(JURISDICTIONS), case_sensitive=False),
              help="The controller's country: picks the supervisory authority and the bookkeeping law.")
@click.option("--purposes", help="Comma-separated purposes; with a template: " + ", ".join(TEMPLATES)
              + "; any other name gets a block to fill in.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="The policy file to write (e.g. first.policy).")
def init(controller, jurisdiction, purposes, output):
    """Write a first, lint-clean policy and a matching binding (OUTPUT's .binding.yaml).

    Missing options are asked for on a terminal. Every `DECIDE:` comment marks a choice to
    make. Exit 0 written, 2 nothing written (a file exists, or an option is wrong).
    """
    controller = _ask(controller, "Controller (the organisation)")
    jurisdiction = _ask(jurisdiction, "Jurisdiction", type=click.Choice(sorted(JURISDICTIONS),
                                                                     case_sensitive=False))
    purposes = _ask(purposes, "Purposes (comma-separated)", default="newsletter,web_logs,bookkeeping")
    output = _ask(output, "Policy file to write", default="first.policy")
    names = [p.strip() for p in purposes.split(",") if p.strip()]
    policy_path = Path(output)
    binding_path = policy_path.with_suffix(".binding.yaml")
    policy_text = render_policy(controller, jurisdiction, names)
    binding_text = render_binding(policy_path.name, names)
    for path in (policy_path, binding_path):
        if path.exists() or path.is_symlink():
            raise PolicyError(f"{path} exists: init never overwrites a file (choose another --output)")
    _create(policy_path, policy_text)
    _create(binding_path, binding_text)
    click.echo(f"wrote {policy_path} and {binding_path}; next: policyengine lint {policy_path}", err=True)

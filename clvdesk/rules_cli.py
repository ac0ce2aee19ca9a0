"""`clvdesk rules …`: the rules' JSON Schema for editors and other tools, and a check of a rules file
with the same messages the admin API gives."""

from __future__ import annotations

import json
import sys

import click
from pydantic import ValidationError

from clvdesk.rule_errors import admin_errors
from clvdesk.rules import RuleSet


@click.group()
def rules() -> None:
    """The tier rules."""


@rules.command()
def schema() -> None:
    """Print the JSON Schema of a rules file."""
    click.echo(json.dumps(RuleSet.model_json_schema(), indent=2))


@rules.command()
@click.argument("file", type=click.File("r", encoding="utf-8"))
def check(file) -> None:
    """Check a rules file; print each error as PATH: MESSAGE and exit 2 if there is one."""
    try:
        RuleSet.model_validate_json(file.read())
    except ValidationError as exc:
        for error in admin_errors(exc):
            click.echo(f"{error['path']}: {error['message']}", err=True)
        sys.exit(2)
    click.echo("the rules are valid")

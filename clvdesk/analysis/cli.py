"""`clvdesk analyze`: the ticket analysis of one text, or of every row of a CSV file, as JSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import NoReturn

import click

from clvdesk.analysis.analyser import analyse

RESULT_KEY = "analysis"  # the field each CSV row's result goes in, beside the row's own columns


def _fail(message: str) -> NoReturn:
    from clvdesk.cli import fail  # clvdesk.cli imports this module to register the command: import it late

    fail(message)


@click.command("analyze")
@click.argument("text", required=False)
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path), help="Analyse every row of this CSV file (with a header)."
)
@click.option("--text-column", help="The CSV column that holds the text.")
def analyze(text: str | None, csv_path: Path | None, text_column: str | None) -> None:
    """Print the analysis of TEXT as JSON, or one JSON line per row of --csv FILE (its columns kept)."""
    if (text is None) == (csv_path is None):
        _fail("give either TEXT or --csv FILE --text-column COLUMN")
    if csv_path is None:
        click.echo(analyse(text).model_dump_json())
        return
    if not text_column:
        _fail("--csv needs --text-column")
    try:
        file = csv_path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"{csv_path}: {exc.strerror}")
    with file:
        rows = csv.DictReader(file)
        columns = rows.fieldnames or []
        if text_column not in columns:
            _fail(f"{csv_path}: no column {text_column!r} (columns: {', '.join(columns) or 'none'})")
        if RESULT_KEY in columns:
            _fail(f"{csv_path}: has a column {RESULT_KEY!r}, where the result would go")
        for row in rows:
            result = analyse(row[text_column] or "").model_dump(mode="json")
            click.echo(json.dumps({**row, RESULT_KEY: result}, ensure_ascii=False))

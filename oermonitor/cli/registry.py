"""`oermonitor import`: register materials from the coordinator's spreadsheet."""

from __future__ import annotations

import click

from oermonitor import registry
from oermonitor.cli import main, pass_env, say
from oermonitor.safetext import for_terminal
from oermonitor.store import utcnow


@main.command("import")
@click.argument("csv_file", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@pass_env
def import_(env, csv_file: str, dry_run: bool) -> None:
    """Register the materials in CSV_FILE (one row per material).

    Columns (any order, any case): url, maintainer_email, pilot (required);
    title, maintainer_name, pilot_end_date (YYYY-MM-DD or DD-MM-YYYY),
    coordinator_email, expected_licence. Separator `,` or `;`. Rows are matched
    by URL, so importing the same file again changes nothing. If any row is
    invalid, every problem is listed as FILE:LINE and nothing is written.
    """
    if env.settings.database.exists():
        env.store  # noqa: B018 - database problems come before the file's
    # A refused file or a dry run leaves no new database file behind.
    rows, warnings = registry.read_csv(csv_file)
    store = env.reader if dry_run else env.store
    summary = registry.register(store, rows, utcnow(), dry_run=dry_run)
    for warning in warnings + summary.warnings:
        say(f"warning: {for_terminal(warning)}", err=True)
    prefix = "dry run, nothing written: would have " if dry_run else ""
    click.echo(f"{csv_file}: {prefix}added {summary.added}, updated {summary.updated}, "
               f"unchanged {summary.unchanged} ({summary.total} materials)")

"""`oermonitor import`: register materials from the coordinator's spreadsheet."""

from __future__ import annotations

from pathlib import Path

import click

from oermonitor import registry
from oermonitor.cli import main, pass_env, say
from oermonitor.clock import utcnow
from oermonitor.safetext import for_terminal


@main.command("import")
@click.argument("csv_file", type=click.Path())
@click.option("--dry-run", is_flag=True, help="Validate and count, write nothing.")
@click.option("--prune", is_flag=True,
              help="Retire registered materials of the file's pilots that are no longer in "
                   "it (with --dry-run: only list them).")
@pass_env
def import_(env, csv_file: str, dry_run: bool, prune: bool) -> None:
    """Register the materials in CSV_FILE (one row per material).

    Columns (any order, any case): url, maintainer_email, pilot (required);
    title, maintainer_name, pilot_end_date (YYYY-MM-DD or DD-MM-YYYY),
    coordinator_email, expected_licence. Separator `,` or `;`. Rows are matched
    by URL, so importing the same file again changes nothing. If any row is
    invalid, every problem is listed as FILE:LINE and nothing is written.

    A row with a registered material's new address (where its old one redirects
    to, or the same Wikiwijs arrangement) moves that material instead of adding
    one. Registered materials of the file's pilots missing from it are listed;
    --prune retires them.
    """
    if env.settings.database.exists():
        env.store  # noqa: B018 - database problems come before the file's
    # A refused file or a dry run leaves no new database file behind.
    rows, warnings = registry.read_csv(csv_file)
    store = env.reader if dry_run else env.store
    summary = registry.register(store, rows, utcnow(), dry_run=dry_run,
                                complete=Path(csv_file).name, prune=prune)
    for warning in warnings + summary.warnings:
        say(f"warning: {for_terminal(warning)}", err=True)
    prefix = "dry run, nothing written: would have " if dry_run else ""
    moved = f", moved {len(summary.moved)}" if summary.moved else ""
    click.echo(f"{csv_file}: {prefix}added {summary.added}, updated {summary.updated}, "
               f"unchanged {summary.unchanged}{moved} ({summary.total} materials)")
    for m in summary.moved:
        click.echo(f"  {'would move' if dry_run else 'moved'} #{m['id']} {m['from']} -> "
                   f"{m['to']} (line {m['line']}: same material, new address)")
    if summary.missing:
        if prune:
            verb = "would retire" if dry_run else "retired"
            click.echo(f"{len(summary.missing)} registered material(s) of these pilots are no "
                       f"longer in {csv_file}; {verb}:")
        else:
            click.echo(f"{len(summary.missing)} registered material(s) of these pilots are no "
                       f"longer in {csv_file} (still checked; retire them with "
                       "`import --prune`, or one by one with `retire`):")
        for m in summary.missing:
            click.echo(f"  #{m['id']} {m['url']} ({m['pilot']}, {m['maintainer_email']})")

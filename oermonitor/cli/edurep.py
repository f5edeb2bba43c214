"""`oermonitor edurep ...`: register a pilot's materials from the Edurep catalogue."""

from __future__ import annotations

import click

from oermonitor import edurep as catalogue
from oermonitor.cli import main, pass_env, say
from oermonitor.clock import typed_date, utcnow
from oermonitor.errors import BadInput
from oermonitor.safetext import for_terminal


@main.group("edurep")
def edurep_group() -> None:
    """Register materials from Edurep, the national catalogue of learning materials."""


@edurep_group.command("import")
@click.option("--query", required=True,
              help="CQL query, e.g. 'about.repository exact wikiwijsmaken'.")
@click.option("--pilot", required=True, help="Pilot the materials belong to.")
@click.option("--maintainer", "maintainer_email", required=True,
              help="Email of who keeps the materials current.")
@click.option("--maintainer-name", default=None, help="The maintainer's name.")
@click.option("--pilot-end-date", default=None, help="YYYY-MM-DD or DD-MM-YYYY.")
@click.option("--coordinator", "coordinator_email", default=None,
              help="Email of the pilot's coordinator.")
@click.option("--endpoint", default=catalogue.DEFAULT_ENDPOINT, show_default=True,
              help="SRU endpoint of the catalogue.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Register at most this many catalogue records.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@pass_env
def import_command(env, query: str, pilot: str, maintainer_email: str,
                   maintainer_name: str | None, pilot_end_date: str | None,
                   coordinator_email: str | None, endpoint: str, limit: int | None,
                   dry_run: bool) -> None:
    """Register what an Edurep search finds, each at its first technical/location.

    Idempotent: importing the same query again changes nothing (upsert by URL).
    Every page is fetched before anything is written.
    """
    result = catalogue.import_from_edurep(
        env.store, env.settings, query=query, pilot=pilot,
        maintainer_email=maintainer_email, maintainer_name=maintainer_name,
        pilot_end_date=pilot_end_date, coordinator_email=coordinator_email,
        endpoint=endpoint, limit=limit, now=utcnow(), dry_run=dry_run)
    found = result.search
    click.echo(f"Edurep: {found.total} record(s) match, {len(found.records)} read "
               f"in {found.pages} page(s).")
    for skip in result.skipped:
        say(f"skipped {for_terminal(skip.record.label)}: {for_terminal(skip.reason)}")
    for warning in result.warnings:
        say(f"warning: {for_terminal(warning)}", err=True)
    summary = result.summary
    click.echo(f"{summary.added} added, {summary.updated} updated, "
               f"{summary.unchanged} unchanged, {len(result.skipped)} skipped"
               + (" (dry run: nothing written)" if dry_run else ""))


@edurep_group.command("sync")
@click.option("--set", "set_spec", required=True, help="OAI-PMH set, e.g. 'wikiwijsmaken'.")
@click.option("--from", "since", default=None,
              help="Only records changed since this date (YYYY-MM-DD or DD-MM-YYYY).")
@click.option("--endpoint", default=catalogue.DEFAULT_OAI_ENDPOINT, show_default=True,
              help="OAI-PMH endpoint of the catalogue.")
@pass_env
def sync_command(env, set_spec: str, since: str | None, endpoint: str) -> None:
    """Report registered materials whose Edurep record was deleted (OAI-PMH).

    Reads the whole set (or what changed since --from); writes nothing.
    """
    if since is not None:
        parsed = typed_date(since)
        if parsed is None:
            raise BadInput(f"--from {since!r} is not a date (use YYYY-MM-DD or DD-MM-YYYY)")
        since = parsed
    with catalogue.CatalogueClient(env.settings) as client:
        harvested = catalogue.harvest(client, endpoint, set_spec, since=since)
    gone = catalogue.deleted_materials(env.store, harvested.deleted)
    click.echo(f"Edurep: {len(harvested.records)} record(s) and {len(harvested.deleted)} "
               f"deletion(s) read in {harvested.pages} page(s).")
    if not gone:
        click.echo("No registered material's catalogue record was deleted.")
        return
    click.echo(f"{len(gone)} registered material(s) whose catalogue record was deleted:")
    for material in gone:
        material = for_terminal(material)
        say(f"  #{material['id']} {material['url']} ({material['catalogue_id']}; "
            f"pilot {material['pilot']}; {material['maintainer_email']})")

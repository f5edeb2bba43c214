"""`oermonitor inspect URL...`: fetch now, show what was found, write nothing."""

from __future__ import annotations

import json

import click

from oermonitor import checker
from oermonitor.cli import main, pass_env
from oermonitor.errors import BadInput
from oermonitor.safetext import for_terminal, json_for_terminal

LABELS = (
    ("final_url", "final URL"), ("status_code", "HTTP status"), ("error", "detail"),
    ("title", "title"), ("licence", "licence"), ("licence_scope", "licence scope"),
    ("last_modified", "last modified"), ("platform_id", "platform"),
    ("content_hash", "content hash"),
)


@main.command("inspect")
@click.argument("urls", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per URL, one per line.")
@click.option("--timeout", type=float, default=None,
              help="Seconds to wait for an answer (overrides [fetch] timeout).")
@pass_env
def inspect(env, urls: tuple[str, ...], as_json: bool, timeout: float | None) -> None:
    """Fetch each URL now and show availability, licence, dates and fingerprint.

    Nothing is written to the database. Problems found are findings: the exit
    code is 0 also when a URL is broken.
    """
    if timeout is not None and not 0 < timeout <= 3600:  # also refuses nan and inf
        raise BadInput(f"--timeout: expected a number of seconds from 0 to 3600, "
                       f"got {timeout:g}")
    checker.inspect_urls(env.settings, urls, timeout=timeout,
                         on_record=lambda record: _show(record, as_json))


def _show(record: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json_for_terminal(json.dumps(record, ensure_ascii=False)))
        return
    record = for_terminal(record)
    click.echo(record["url"])
    click.echo(f"  {'availability':<14}{record['availability']}")
    for key, label in LABELS:
        if record.get(key) is not None:
            click.echo(f"  {label:<14}{record[key]}")
    click.echo("")

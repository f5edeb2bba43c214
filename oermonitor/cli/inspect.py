"""`oermonitor inspect URL...`: fetch now, show what was found, write nothing."""

from __future__ import annotations

import json
import os

import click

from oermonitor import checker, scheduler, workers
from oermonitor.cli import main, pass_env
from oermonitor.errors import BadInput
from oermonitor.fetch import Fetcher
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
    settings = env.settings
    records: dict[int, dict] = {}
    shown = 0

    def work(index: int):
        return checker.check(fetcher, urls[index], timeout=timeout, extractor=pool.extract)

    def done(index: int, outcome) -> None:
        nonlocal shown
        records[index] = checker.inspect_record(urls[index], *outcome)
        while shown in records:  # print in the order given, as soon as possible
            _show(records.pop(shown), as_json)
            shown += 1

    # Pages are read in worker processes under a CPU deadline, forked before any thread.
    with workers.ExtractPool(min(os.cpu_count() or 1, settings.fetch.concurrency, len(urls)),
                             cpu_seconds=settings.run.extract_cpu_seconds) as pool, \
            Fetcher(settings) as fetcher:
        report = scheduler.run_all(
            range(len(urls)), url_of=lambda index: urls[index], work=work,
            concurrency=settings.fetch.concurrency, per_host_delay=settings.fetch.per_host_delay,
            per_host_concurrency=settings.fetch.per_host_concurrency, on_done=done)
    for index, error in report.failed:
        records[index] = {"url": urls[index], "availability": "error",
                          "error": f"internal error: {error}"}
    for index in sorted(records):
        _show(records[index], as_json)


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

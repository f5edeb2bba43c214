"""`oermonitor run` (what cron runs), `compact` and `demo` (what a newcomer runs first).

Cron conventions: silent on success unless on a terminal or `-v`; problems in
materials are findings, not failures (exit 0); exit 3 when another run holds
the lock or the emails could not be sent (after the checks were recorded).
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from oermonitor import job
from oermonitor.cli import DATE, Env, main, pass_env, setup_logging, today_or
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput, OperationalError
from oermonitor.lock import RunLock
from oermonitor.settings import load_settings

PROGRESS_FROM = 20  # materials; shorter runs finish before a bar would help


class ProgressBar:
    """A click progress bar on stderr for long runs, created once the total is known."""

    def __init__(self, minimum: int = PROGRESS_FROM):
        self.minimum = minimum
        self.bar: Any = None  # click's ProgressBar once started

    def __call__(self, done: int, total: int) -> None:
        if total < self.minimum:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="checking", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@contextmanager
def _sigterm_as_interrupt():
    """systemd and `kill` send SIGTERM: end like Ctrl-C, so the run is logged as interrupted."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command("run")
@click.option("--today", type=DATE,
              help="Evaluate staleness and reminders as of this date (checks happen now).")
@click.option("--dry-run", is_flag=True,
              help="Check and record the checks, but send no email and record nothing as sent.")
@click.option("--max-duration", type=click.FloatRange(min=0), metavar="SECONDS",
              help="Start no new checks after this many seconds; the rest go first next "
                   "time. Default: [run] max_duration (0 = no limit).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Append the log here instead of stderr. Default: [run] log_file.")
@pass_env
def run_command(env: Env, today: date | None, dry_run: bool, max_duration: float | None,
                log_file: Path | None) -> None:
    """The nightly job: check what is due, record it, send the emails."""
    day = today_or(today)
    if max_duration is not None and not max_duration < float("inf"):  # nan, inf
        raise BadInput(f"--max-duration: expected a number of seconds, got {max_duration:g}")
    settings = env.settings
    log_file = log_file or settings.run.log_file
    if log_file:
        setup_logging(env.verbose, log_file)
    show = env.verbose > 0 or sys.stdout.isatty()
    progress = ProgressBar() if sys.stderr.isatty() else None
    with RunLock(settings.database), _sigterm_as_interrupt():
        try:
            report = job.run(env.store, settings, today=day, now=utcnow(), dry_run=dry_run,
                             max_duration=max_duration, progress=progress)
        finally:
            if progress:
                progress.close()
    if show:
        click.echo(report.summary_line())
    if report.notify_error:
        raise OperationalError(f"emails not sent: {report.notify_error} "
                               f"(checks were recorded; run {report.run_id})")


@main.command("compact")
@pass_env
def compact_command(env: Env) -> None:
    """Delete old check history that repeats itself ([run] history_days).

    Every change of availability, licence, declared date or fingerprint is kept,
    and the newest check of each material. `run` does this at its end too.
    """
    settings = env.settings
    with RunLock(settings.database):
        deleted = job.compact(env.store, settings, utcnow())
    if env.verbose > 0 or sys.stdout.isatty():
        click.echo(f"{deleted} old checks deleted "
                   f"(kept changes and everything from the last {settings.run.history_days} days)")


@main.command("demo")
@click.option("--keep", "keep", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Work in DIR (created if needed; a previous demo there is "
                                  "replaced) instead of a new temporary folder.")
@click.option("--lang", type=click.Choice(["nl", "en"]), default="nl", show_default=True,
              help="Language of the demo emails.")
@click.option("--serve", "serve", is_flag=True,
              help="Then keep going: serve the web front door on 127.0.0.1 so the links in "
                   "the demo's emails work, until Ctrl-C.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="PORT",
              help="With --serve: the port for the web front door (default: a free one).")
@click.pass_context
def demo_command(ctx: click.Context, keep: Path | None, lang: str, serve: bool,
                 port: int) -> None:
    """The whole job offline on a bundled sample site: no network, no SMTP, no setup.

    Serves a dozen sample materials on 127.0.0.1, registers them from a
    spreadsheet, runs the nightly job with emails going to an outbox folder,
    then shows the overview and where the emails are. With --serve the emails
    carry their signed links and the web front door answers them.
    """
    # Loaded here, not with `run`: cron's nightly run needs none of it.
    from oermonitor import demo, report
    from oermonitor.cli.overview import print_overview

    outer: Env = ctx.obj

    def tell(result: demo.DemoResult) -> None:
        config = result.settings_path
        click.echo(f"Sample site served on 127.0.0.1; {result.registered} materials "
                   f"registered from {result.csv_path}")
        click.echo(result.report.summary_line())
        click.echo()
        # The overview exactly as `oermonitor status` prints it for the demo's settings.
        shown = Env(str(config), None, outer.verbose)
        try:
            day = today_or(None)
            print_overview(shown.reader, report.overview(shown.reader, shown.settings.policy,
                                                         day), day)
        finally:
            shown.close()
        click.echo()
        if result.emails:
            click.echo(f"Emails written instead of sent ({len(result.emails)}):")
            for path in result.emails:
                click.echo(f"  {path}")
        else:
            click.echo("No emails were due.")
        click.echo()
        kept = " (a temporary folder; use --keep DIR to choose one)" if result.temporary else ""
        click.echo(f"Workspace: {result.workspace}{kept}")
        click.echo(f"Look further: oermonitor --config {config} show ID")
        click.echo(f"              oermonitor --config {config} report --html "
                   f"{result.workspace / 'overview.html'}")
        if not serve:
            click.echo("Add --serve to click the links in the emails (the teachers' pages).")

    def front_door(result: demo.DemoResult) -> None:
        tell(result)
        click.echo()
        click.echo(f"Web front door for the emails' links: {result.base_url}")
        first = result.first_link()
        if first:
            click.echo(f"Try it: the first 'Klopt nog' link in {first[0].name}:")
            click.echo(f"  {first[1]}")
        click.echo("Ctrl-C stops the demo.")
        from waitress import serve as waitress_serve

        from oermonitor.web import create_app
        app = create_app(load_settings(result.settings_path))
        try:
            waitress_serve(app, host="127.0.0.1", port=web_port, threads=4,
                           ident="oermonitor", _quiet=True)
        except KeyboardInterrupt:
            click.echo("Demo stopped.")

    web_port = (port or demo.free_port()) if serve else None
    if web_port and not demo.port_is_free(web_port):
        raise BadInput(f"--port {web_port}: something else listens there; pick another")
    result = demo.run_demo(keep, language=lang, web_port=web_port,
                           then=front_door if serve else None)
    if not serve:
        tell(result)

"""`oermonitor notify`: send the emails that are due without checking anything.

Useful after an SMTP outage (the nightly run recorded its checks but could not
send), to preview what would go out (`--dry-run --preview`), to test the mail
settings (`--test ADDRESS`) and to clear a bounce once an address works again.
"""

from __future__ import annotations

from datetime import date, datetime

import click

from oermonitor import lifecycle, notify
from oermonitor.cli import DATE, Env, main, pass_env, say, today_or
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput, OperationalError
from oermonitor.lock import RunLock
from oermonitor.report_mail import ReportDigest
from oermonitor.safetext import for_terminal
from oermonitor.validate import email_problem


@main.command("notify")
@click.option("--today", type=DATE, default=None, help="Evaluate problems and reminders as of this date.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send and record nothing.")
@click.option("--preview", is_flag=True,
              help="With --dry-run: print each email's subject and text, links included.")
@click.option("--test", "test_address", metavar="ADDRESS",
              help="Send one test message to ADDRESS with the current mail settings.")
@click.option("--mark-bounced", "mark_bounced", metavar="EMAIL",
              help="A bounce came back for EMAIL: stop mailing it, tell the coordinator.")
@click.option("--clear-bounce", "clear_bounce", metavar="EMAIL",
              help="EMAIL works again: mail its maintainer again from the next run.")
@pass_env
def notify_command(env: Env, today: date | None, dry_run: bool, preview: bool,
                   test_address: str | None, mark_bounced: str | None,
                   clear_bounce: str | None) -> None:
    """Send the digests that are due: each maintainer hears about their own materials
    once, with a reminder after [notify] remind_every_days; coordinators get a summary
    per pilot. Exit 3 when the mail server is down or refuses (the rest goes next time)."""
    settings = env.settings
    now = utcnow()
    if test_address and (problem := email_problem("--test", test_address)):
        raise BadInput(problem)
    if test_address:
        delivery, where = notify.send_test(settings, test_address, now)
        if not delivery.delivered:
            raise OperationalError(f"{where} did not accept the test message for "
                                   f"{delivery.recipient}: {delivery.detail}")
        click.echo(f"test message for {delivery.recipient} accepted by {where}"
                   + (f": {delivery.detail}" if delivery.status == "outbox" else ""))
        return
    if mark_bounced:
        address = lifecycle.mark_bounced(env.store, mark_bounced, now)
        click.echo(f"{address}: no more emails; the coordinator hears about open problems")
        return
    if clear_bounce:
        found = lifecycle.clear_bounce(env.store, clear_bounce)
        click.echo(f"{clear_bounce}: will get emails again" if found
                   else f"{clear_bounce}: was not marked as bounced")
        return
    day = today_or(today)
    with RunLock(settings.database):  # never send alongside a nightly run
        report = notify.send_due(env.store, settings, day, now, dry_run=dry_run)
    _print(report, preview, settings, day, now)


def _print(report: notify.NotifyReport, preview: bool, settings, day: date,
           now: datetime) -> None:
    if not report.planned:
        click.echo("nothing to send")
        return
    if report.dry_run:
        click.echo(f"dry run: would send {len(report.planned)} email(s), nothing recorded")
        for digest in report.planned:
            say(f"  {_describe(digest)}")
            if preview:
                # with `now`, as sent: a maintainer's mail shows its signed links
                subject, text, _ = notify.render(digest, settings, day, now)
                say(f"\n  Subject: {for_terminal(subject)}\n")
                say("\n".join("    " + line for line in text.splitlines()))
                click.echo()
        return
    click.echo(f"{report.emails} email(s) delivered")
    for sent in report.results:
        d = sent.delivery
        if d.delivered:
            where = f" -> {d.detail}" if d.status == "outbox" else ""
            say(f"  {_describe(sent.digest)}{where}")
        elif d.status == "refused":
            say(f"  refused: {for_terminal(d.recipient)} ({for_terminal(d.detail)}); "
                "marked as bounced")


def _describe(digest: notify.Mail) -> str:
    if isinstance(digest, ReportDigest):
        return (f"report for coordinator {digest.recipient} "
                f"({', '.join(digest.pilot_names)}): {len(digest.records)} materials")
    count = len(digest.materials)
    what = f"{count} material" + ("" if count == 1 else "s")
    if digest.role == "coordinator":
        return f"coordinator {digest.recipient} (pilot {for_terminal(digest.pilot)}): {what}"
    if digest.role == notify.WELCOME:
        return f"welcome to new maintainer {digest.recipient}: {what}"
    return f"maintainer {digest.recipient}: {what}"

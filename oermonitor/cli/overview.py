"""The coordinator's commands: status, show, report, and the maintenance switches
(confirm, mute, evergreen, review-every)."""

from __future__ import annotations

from datetime import date

import click
import orjson

from oermonitor import history, report
from oermonitor.cli import DATE, Env, main, pass_env, today_or
from oermonitor.errors import BadInput
from oermonitor.safetext import for_terminal
from oermonitor.store import utcnow
from oermonitor.validate import email_problem

STYLE = {"broken": {"fg": "red", "bold": True}, "licence_issue": {"fg": "magenta"},
         "stale": {"fg": "yellow"}, "failing": {"fg": "yellow"}, "moved": {"fg": "cyan"},
         "ok": {"fg": "green"}, "unchecked": {}}
TODAY = click.option("--today", type=DATE, default=None,
                     help="Judge as of this date (YYYY-MM-DD): a what-if view.")
KEY = click.argument("key", metavar="ID_OR_URL")


def _styled(state: str, text: str | None = None) -> str:
    return click.style(text or state, **STYLE.get(state, {}))


def _short(text: str | None, width: int) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


@main.command()
@TODAY
@click.option("--pilot", help="Only this pilot.")
@click.option("--maintainer", help="Only this maintainer (email).")
@click.option("--state", "states", multiple=True, type=click.Choice(report.ALL_STATES),
              help="Only materials in this state (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per material.")
@click.option("--csv", "as_csv", is_flag=True, help="A spreadsheet (;-separated, UTF-8 with BOM).")
@pass_env
def status(env: Env, today, pilot, maintainer, states, as_json, as_csv) -> None:
    """The overview: per pilot how materials stand, then what needs attention."""
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    day = today_or(today)
    records = report.overview(env.reader, env.settings.policy, day, pilot=pilot,
                              maintainer=maintainer, states=tuple(states))
    if as_json:
        click.echo(report.to_json(records), nl=False)
    elif as_csv:
        click.echo(report.to_csv(records).encode("utf-8-sig"), nl=False)
    else:
        known = env.reader.pilots()
        if pilot and not any(p["name"] == pilot for p in known):
            names = ", ".join(p["name"] for p in known) or "none yet"
            raise BadInput(f"--pilot: no pilot named {pilot!r} (pilots: {names})")
        _print_status(*for_terminal([records, report.pilot_summary(records, known)]), day)


def _pilot_end(end_date: str | None, day: date) -> str:
    if not end_date:
        return "running"
    return f"ended {end_date}" if end_date < day.isoformat() else f"ends {end_date}"


def _print_status(records: list[dict], pilots: list[dict], day: date) -> None:
    if not records:
        click.echo("No materials (matching). Register some with `oermonitor import FILE.csv`.")
        return
    click.echo(f"Overview on {day.isoformat()}: {len(records)} materials")
    for p in pilots:
        ends = _pilot_end(p["end_date"], day)
        coordinator = f", coordinator {p['coordinator_email']}" if p["coordinator_email"] else ""
        counts = "  ".join(_styled(state, f"{state} {n}") for state, n in p["counts"].items()
                           if n)
        click.echo(f"\n{click.style(p['pilot'], bold=True)} ({ends}{coordinator}): "
                   f"{p['total']} materials")
        click.echo(f"  {counts}")
    todo = report.attention(records)
    if not todo:
        click.echo("\nNothing needs attention.")
        return
    click.echo(f"\nNeeds attention ({len(todo)}), worst first:")
    for r in todo:
        muted = f" [muted until {r['muted_until']}]" if r["muted"] else ""
        click.echo(f"  {_styled(r['state'], r['state'].ljust(13))} #{r['id']:<6} "
                   f"{_short(r['title'] or r['url'], 50)}{muted}")
        click.echo(f"  {'':13} {'':7} {r['url']}  ({r['maintainer_email']})")
        for problem in r["problem_details"]:
            click.echo(f"  {'':13} {'':7} - {report.describe(problem)}")


@main.command()
@KEY
@TODAY
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True,
              help="History entries to show.")
@click.option("--json", "as_json", is_flag=True, help="As one JSON object.")
@pass_env
def show(env: Env, key, today, limit, as_json) -> None:
    """One material: who keeps it, what is wrong, and its history."""
    detail = report.material_detail(env.reader, env.settings.policy, key, today_or(today), limit)
    if as_json:
        click.echo(orjson.dumps(detail, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE),
                   nl=False)
        return
    d = for_terminal(detail)
    click.echo(click.style(f"#{d['id']} {d['title'] or '(no title)'}", bold=True))
    ends = _pilot_end(d["pilot_end_date"], today_or(today))
    lines = [
        ("URL", d["url"] + (f" -> {d['final_url']}" if d["final_url"] not in (None, d["url"])
                            else "")),
        ("Pilot", f"{d['pilot']} ({ends})" + (
            f", coordinator {d['coordinator_email']}" if d["coordinator_email"] else "")),
        ("Maintainer", f"{d['maintainer_name'] or ''} <{d['maintainer_email']}>".strip()),
        ("State", _styled(d["state"]) + (
            f" (muted until {d['muted_until']}: {d['mute_reason']})" if d["muted"] else "")
         + (" (evergreen)" if d["evergreen"] else "")),
        ("Licence", f"{d['licence'] or 'none found'}"
                    + (f" ({d['licence_scope']})" if d["licence_scope"] else "")
                    + (f", expected {d['expected_licence']}" if d["expected_licence"] else "")),
        ("Last modified", d["last_modified"] or "unknown"),
        ("Maintained", f"{d['last_maintained'] or 'unknown'}"
                       + (f", stale from {d['stale_on']}" if d["stale_on"] else "")),
        ("Last checked", f"{d['last_checked'] or 'never'}"
                         + (f" ({d['availability']})" if d["availability"] else "")),
    ]
    for label, value in lines:
        click.echo(f"  {label + ':':<14} {value}")
    if d["problem_details"]:
        click.echo("Problems:")
        for problem in d["problem_details"]:
            click.echo(f"  - {report.describe(problem)}")
    if d["timeline"]:
        click.echo("History (newest first):")
        for event in d["timeline"]:
            click.echo(f"  {event['at'][:16].replace('T', ' ')}  {_event(event)}")


def _event(e: dict) -> str:
    kind = e["kind"]
    if kind == "check":
        return f"check         {e['availability']} {e['status_code'] or ''}".rstrip() + (
            f" {e['licence']}" if e["licence"] else "") + (f" ({e['error']})" if e["error"] else "")
    if kind == "change":
        if e["what"] == "content":
            return "change        content changed"
        return f"change        {e['what']}: {e['was'] or 'none'} -> {e['now'] or 'none'}"
    if kind == "confirmation":
        return "confirmed     still current" + (f" by {e['by']}" if e["by"] else "") + (
            f": {e['note']}" if e["note"] else "")
    return (f"email         {e['notice']} to {e['role']} {e['recipient']} about "
            f"{e['problem']} ({e['status']})")


@main.command()
@KEY
@click.option("--by", help="Who confirms (email).")
@click.option("--note", help="A short note, e.g. what was checked.")
@pass_env
def confirm(env: Env, key, by, note) -> None:
    """Record that the material is still current: resets its stale clock."""
    if by and (problem := email_problem("--by", by)):
        raise BadInput(problem)
    material = report.find_material(env.store, key)
    history.confirm(env.store, material, by and by.lower(), note, utcnow())
    click.echo(f"Confirmed #{material['id']} {material['url']} as current.")


@main.command()
@KEY
@click.option("--until", type=DATE,
              help="Last day notifications stay paused (YYYY-MM-DD).")
@click.option("--reason", help="Why (shown in the overview).")
@click.option("--off", is_flag=True, help="Unmute now.")
@pass_env
def mute(env: Env, key, until, reason, off) -> None:
    """Pause notifications about a material (checks continue)."""
    if not off and until is None:
        raise BadInput("mute needs --until DATE and --reason TEXT (or --off)")
    material = report.find_material(env.store, key)
    history.mute(env.store, material, None if off else until, reason, today_or(None))
    click.echo(f"Unmuted #{material['id']}." if off
               else f"Muted #{material['id']} until {until.isoformat()}.")


@main.command()
@KEY
@click.option("--off", is_flag=True, help="Make it subject to the stale rule again.")
@pass_env
def evergreen(env: Env, key, off) -> None:
    """Mark a material as meant to stay unchanged: it is never stale."""
    material = report.find_material(env.store, key)
    history.set_evergreen(env.store, material, not off)
    click.echo(f"#{material['id']} is {'no longer ' if off else ''}evergreen.")


@main.command("review-every")
@KEY
@click.argument("days", type=click.IntRange(min=1), required=False)
@click.option("--off", is_flag=True, help="Back to the default [policy] stale_after_days.")
@pass_env
def review_every(env: Env, key, days, off) -> None:
    """Give a material its own review interval in days (instead of stale_after_days)."""
    if days is None and not off:
        raise BadInput("review-every needs DAYS (or --off)")
    material = report.find_material(env.store, key)
    history.set_review_interval(env.store, material, None if off else days)
    click.echo(f"#{material['id']}: review " + (
        "interval back to the default" if off else f"every {days} days") + ".")


@main.command("report")
@click.option("--html", "html_path", required=True, type=click.Path(),
              help="Write the report to this HTML file.")
@TODAY
@click.option("--pilot", help="Only this pilot.")
@pass_env
def report_command(env: Env, html_path, today, pilot) -> None:
    """A self-contained HTML page for coordinators (state bars, attention list)."""
    day = today_or(today)
    records = report.overview(env.reader, env.settings.policy, day, pilot=pilot)
    pilots = report.pilot_summary(records, env.reader.pilots())
    report.write_html(html_path, report.render_html(records, pilots, day))
    click.echo(f"Wrote {html_path} ({len(records)} materials).")

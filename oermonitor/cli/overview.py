"""The coordinator's commands: status, show and report (the maintenance switches are
in `oermonitor.cli.switches`)."""

from __future__ import annotations

import re
import shutil
import textwrap
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import click
import orjson

from oermonitor import localtime, report, wording
from oermonitor.cli import DATE, Env, main, pass_env, today_or
from oermonitor.clock import utcnow
from oermonitor.errors import BadInput
from oermonitor.safetext import for_terminal
from oermonitor.store import Store

STYLE: dict[str, dict[str, Any]] = {"broken": {"fg": "red", "bold": True}, "licence_issue": {"fg": "magenta"},
         "stale": {"fg": "yellow"}, "failing": {"fg": "yellow"}, "moved": {"fg": "cyan"},
         "no_maintainer": {"fg": "red"}, "ok": {"fg": "green"}, "unchecked": {},
         "retired": {"dim": True}}
TODAY = click.option("--today", type=DATE, default=None,
                     help="Judge as of this date (YYYY-MM-DD or DD-MM-YYYY): a what-if view.")
KEY = click.argument("key", metavar="ID_OR_URL")
_URL = re.compile(r"https?://\S+")
_DATE = re.compile(r"\b\d{1,2} [^\W\d_]+ \d{4}\b")


def _styled(state: str, text: str | None = None) -> str:
    return click.style(text or state, **STYLE.get(state, {}))


def _width() -> int:
    """The terminal's width (`COLUMNS` first), 80 when there is no terminal."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def _wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    """Lines of at most `width`, broken between words but never inside a date
    ("3 December 2026"); addresses too long for a line are shortened at their slashes."""
    rest = first if rest is None else rest
    room = width - max(len(first), len(rest))
    text = _URL.sub(lambda m: short_url(m.group(), room), text)
    text = _DATE.sub(lambda m: m.group().replace(" ", "\0"), text)
    lines = textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest,
                          break_on_hyphens=False) or [first.rstrip()]
    return [line.replace("\0", " ") for line in lines]


def short_url(url: str, width: int) -> str:
    """`url` as it is when it fits, else shortened at its slashes: the host and as
    many of the last path segments as fit (`https://host/…/171004/Meten`)."""
    if len(url) <= width:
        return url
    parts = urlsplit(url)
    head = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    query = "?…" if parts.query or parts.fragment else ""
    segments = [s for s in parts.path.split("/") if s]
    candidates = [head + parts.path + query]
    for start in range(1, len(segments)):
        candidates.append(head + "/…/" + "/".join(segments[start:]) + query)
    candidates.append(head + "/…")
    for candidate in candidates:
        if head and len(candidate) <= width:
            return candidate
    return url[:width - 1] + "…"


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
    if as_json:  # written as the records come: 100,000 need not all be in memory
        with click.open_file("-", "wb") as out:
            report.write_json(report.records(env.reader, env.settings.policy, day,
                                             pilot=pilot, maintainer=maintainer,
                                             states=tuple(states)), out)
        return
    records = report.overview(env.reader, env.settings.policy, day, pilot=pilot,
                              maintainer=maintainer, states=tuple(states))
    if as_csv:
        click.echo(report.to_csv(records, env.settings.language, env.settings.zone)
                   .encode("utf-8-sig"), nl=False)
    else:
        print_overview(env.reader, records, day, pilot=pilot)


def print_overview(reader: Store, records: list[dict], day: date, *,
                   pilot: str | None = None) -> None:
    """`status` as text: per pilot how materials stand, then what needs attention."""
    known = reader.pilots()
    if pilot and not any(p["name"] == pilot for p in known):
        names = ", ".join(p["name"] for p in known) or "none yet"
        raise BadInput(f"--pilot: no pilot named {pilot!r} (pilots: {names})")
    shown, pilots = for_terminal([records, report.pilot_summary(records, known)])
    _print_status(shown, pilots, day)


def _pilot_end(end_date: str | None, day: date) -> str:
    if not end_date:
        return "running"
    return f"ended {end_date}" if end_date < day.isoformat() else f"ends {end_date}"


def _materials(n: int) -> str:
    return f"{n} material" + ("" if n == 1 else "s")


def _print_status(records: list[dict], pilots: list[dict], day: date) -> None:
    """Everything fits the terminal's width: wrapped between words, addresses
    shortened at their slashes, details indented by four."""
    if not records:
        click.echo("No materials (matching). Register some with `oermonitor import FILE.csv`.")
        return
    width = _width()
    click.echo(f"Overview on {day.isoformat()}: {_materials(len(records))}")
    for p in pilots:
        head = f"{p['pilot']} ({_pilot_end(p['end_date'], day)}): {_materials(p['total'])}"
        if p.get("retired"):
            head += f" (and {p['retired']} retired, not counted)"
        lines = _wrap(head, width, "", "  ")
        click.echo("\n" + click.style(lines[0], bold=True))
        if p["coordinator_email"]:
            lines.append(f"  coordinator {p['coordinator_email']}")
        for line in lines[1:]:
            click.echo(line)
        for line in _pack([(state, f"{state} {n}") for state, n in p["counts"].items() if n],
                          width):
            click.echo(line)
    proposed = sum(1 for r in records if r.get("proposed_url") and r["state"] != "retired")
    if proposed:
        click.echo()
        for line in _wrap(f"{proposed} new address(es) proposed by maintainers: see "
                          "`oermonitor proposals`.", width):
            click.echo(line)
    if all(r["state"] == "unchecked" for r in records):
        click.echo()
        for line in _wrap("Nothing has been checked yet. The nightly job checks every "
                          "material; to check them now, run `oermonitor run` (cron runs it "
                          "every night, see the README).", width):
            click.echo(line)
        return
    todo = report.attention(records)
    gone = report.retired(records)
    if not todo:
        click.echo("\nNothing needs attention.")
    if gone:
        click.echo(f"\nRetired ({len(gone)}), not checked or mailed about:")
        for r in gone:
            for line in _wrap(f"#{r['id']}  {r['title'] or r['url']}", width, "  ", "    "):
                click.echo(line)
            for line in _wrap(f"since {(r['retired_at'] or '')[:10]}: "
                              f"{report.clean(r['retire_reason'])}", width, "    "):
                click.echo(line)
    if not todo:
        return
    click.echo(f"\nNeeds attention ({len(todo)}), worst first:")
    for r in todo:
        click.echo()
        lead = f"{r['state']}  #{r['id']}  "
        title = _wrap(r["title"] or r["url"], width, lead, "    ")
        click.echo(_styled(r["state"]) + title[0][len(r["state"]):])
        for line in title[1:]:
            click.echo(line)
        click.echo("    " + short_url(r["url"], width - 4))
        who = f"{r['maintainer_name']} <{r['maintainer_email']}>" if r["maintainer_name"] \
            else r["maintainer_email"]
        for line in _wrap(who, width, "    "):
            click.echo(line)
        if r["muted"]:
            for line in _wrap(f"muted until {r['muted_until']}: {r['mute_reason'] or ''}",
                              width, "    "):
                click.echo(line)
        for problem in r["problem_details"]:
            for line in _wrap(report.describe(problem, r), width, "    - ", "      "):
                click.echo(line)


def _pack(items: list[tuple[str, str]], width: int) -> list[str]:
    """`broken 1  stale 2  ok 9`, coloured per state, over as many lines as needed."""
    lines, line, used = [], "  ", 2
    for state, text in items:
        if used > 2 and used + 2 + len(text) > width:
            lines.append(line)
            line, used = "  ", 2
        line += ("  " if used > 2 else "") + _styled(state, text)
        used += (2 if used > 2 else 0) + len(text)
    return lines + [line]


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
    zone = env.settings.zone
    click.echo(click.style(f"#{d['id']} {d['title'] or '(no title)'}", bold=True))
    ends = _pilot_end(d["pilot_end_date"], today_or(today))
    licence = wording.licence_name(d["licence"], "en", short=True) if d["licence"] else None
    expected = (wording.licence_name(d["expected_licence"], "en", short=True)
                if d["expected_licence"] else None)
    meaning = wording.state_meaning(d["state"], "en")
    lines = [
        ("URL", d["url"] + (f" -> {d['final_url']}" if d["final_url"] not in (None, d["url"])
                            else "")),
        ("Pilot", f"{d['pilot']} ({ends})" + (
            f", coordinator {d['coordinator_email']}" if d["coordinator_email"] else "")),
        ("Maintainer", f"{d['maintainer_name'] or ''} <{d['maintainer_email']}>".strip()),
        ("State", _styled(d["state"]) + (f" ({meaning})" if meaning else "") + (
            f" (muted until {d['muted_until']}: {d['mute_reason']})" if d["muted"] else "")
         + (" (evergreen)" if d["evergreen"] else "")
         + (f" since {d['retired_at'][:10]}: {report.clean(d['retire_reason'])}"
            if d.get("retired_at") else "")),
        ("Licence", f"{licence or 'none found'}"
                    + (f" ({d['licence_scope']})" if d["licence_scope"] else "")
                    + (f", expected {expected}" if expected else "")),
        ("Last modified", d["last_modified"] or "unknown"),
        ("Maintained", f"{d['last_maintained'] or 'unknown'}"
                       + (f", stale from {d['stale_on']}" if d["stale_on"] else "")),
        ("Last checked", (localtime.minute(d["last_checked"], zone) or "never")
         + (": " + wording.availability_words(d["availability"], None, "en")
            if d["availability"] else "")
         + (f" (HTTP {d['status_code']})" if d["status_code"] else "")),
    ]
    if d.get("proposed_url"):
        lines.append(("Proposed URL", f"{d['proposed_url']} (take it: oermonitor move "
                                      f"{d['id']} {d['proposed_url']})"))
    for label, value in lines:
        click.echo(f"  {label + ':':<14} {value}")
    if d["problem_details"]:
        click.echo("Problems:")
        for problem in d["problem_details"]:
            click.echo(f"  - {report.describe(problem, d)}")
    if d["timeline"]:
        click.echo(f"History (newest first, times in {zone}):")
        for event in d["timeline"]:
            click.echo(f"  {localtime.minute(event['at'], zone)}  "
                       f"{report.clean(wording.history_line(event, 'en'))}")


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
    settings = env.settings
    report.write_html(html_path, report.render_html(records, pilots, day, settings.language,
                                                    settings.zone, utcnow()))
    click.echo(f"Wrote {html_path} ({len(records)} materials).")

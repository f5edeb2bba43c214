"""The coordinator's overview: materials with their judgement, as data, CSV and HTML.

    records = overview(store, settings.policy, today, pilot=..., maintainer=..., states=...)
    pilots = pilot_summary(records, store.pilots())
    text = to_csv(records, "nl", zone)           # `;`-separated, for Excel (nl)
    write_html(path, render_html(records, pilots, today, "nl", zone, now))
    detail = material_detail(store, settings.policy, "12", today)   # `show`
    write_json(records(store, settings.policy, today), out)        # `status --json`

One query for all materials, rows as named tuples (`store.OverviewRow`) judged by
`policy.assess` in a tight loop; `status --json` writes the records as they come.
The overview of 100,000 materials must stay well under two seconds. Text that comes
from the web (page titles, error details) is stripped of control characters here,
so no caller can print a page's escape sequences to a terminal.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, overload

import orjson

from oermonitor import files, localtime, policy, wording
from oermonitor.errors import BadInput
from oermonitor.models import SERVED, STATES
from oermonitor.settings import PolicySettings
from oermonitor.store import OverviewRow, Store

if TYPE_CHECKING:
    import jinja2

ALL_STATES = STATES
ATTENTION = STATES[:STATES.index("ok")]  # every state that needs someone's attention
# Withdrawn on purpose: listed separately, never counted in a pilot's health.
NOT_COUNTED = ("retired",)

# C0/C1 controls and bidi overrides out; tabs and newlines become spaces.
_CONTROLS: dict[int, str | None] = {c: None for c in [*range(0x00, 0x20), *range(0x7F, 0xA0),
                               0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
_CONTROLS.update({0x09: " ", 0x0A: " ", 0x0D: " "})

# Spreadsheet columns: (record key, English header, Dutch header). Columns that hold
# codes keep their `--json` names in both languages (scripts read them); what people
# read is in the configured language, with readable columns beside the codes (a
# column without an English header is only in the Dutch sheet).
CSV_COLUMNS = (
    ("id", "id", "id"), ("url", "url", "url"), ("title", "title", "titel"),
    ("pilot", "pilot", "pilot"), ("pilot_end_date", "pilot_end_date", "einddatum pilot"),
    ("coordinator_email", "coordinator_email", "e-mail coördinator"),
    ("maintainer_email", "maintainer_email", "e-mail beheerder"),
    ("maintainer_name", "maintainer_name", "beheerder"), ("state", "state", "state"),
    ("state_name", None, "toestand"), ("problems", "problems", "problems"),
    ("problem", "problem", "probleem"), ("since", "since", "sinds"),
    ("availability", "availability", "availability"), ("licence", "licence", "licentie"),
    ("expected_licence", "expected_licence", "afgesproken licentie"),
    ("last_modified", "last_modified", "laatst gewijzigd"),
    ("last_checked", "last_checked", "laatst gecontroleerd"),
    ("last_maintained", "last_maintained", "laatst onderhouden"),
    ("stale_on", "stale_on", "verouderd vanaf"), ("muted_until", "muted_until", "gepauzeerd tot"),
    ("evergreen", "evergreen", "tijdloos"), ("final_url", "final_url", "eindadres"),
    ("error", "error", "foutmelding"),
)
# One format per column, so a spreadsheet sorts them: dates as YYYY-MM-DD, the moment
# of the last check as local YYYY-MM-DD HH:MM.
CSV_DATES = ("pilot_end_date", "since", "last_modified", "last_maintained", "stale_on",
             "muted_until")


@overload
def clean(text: str) -> str: ...
@overload
def clean(text: None) -> None: ...
def clean(text: str | None) -> str | None:
    """`text` without control characters (safe to print on a terminal)."""
    return text if not text or text.isprintable() else text.translate(_CONTROLS)


def record(row: OverviewRow, settings: PolicySettings, today: date) -> dict:
    """One material's overview record (the `status --json` object)."""
    a = policy.assess(row, settings, today)
    problems = a.problems
    return {
        "id": row.id,
        "url": row.url,
        "title": clean(row.title or row.page_title),
        "pilot": row.pilot,
        "pilot_end_date": row.pilot_end_date,
        "coordinator_email": row.coordinator_email,
        "maintainer_email": row.maintainer_email,
        "maintainer_name": row.maintainer_name,
        "state": a.state,
        "problems": [p.code for p in problems],
        "problem_details": [{"code": p.code, "since": p.since, "detail": p.detail}
                            for p in problems],
        "since": min((p.since for p in problems if p.since), default=None)
        if problems else None,
        "availability": row.availability,
        "status_code": row.status_code,
        "error": clean(row.error),
        "final_url": row.final_url,
        "licence": row.licence,
        "licence_scope": row.licence_scope,
        "expected_licence": row.expected_licence,
        "catalogue_licence": row.catalogue_licence,
        "last_modified": row.last_modified,
        "last_checked": row.last_checked_at,
        "last_maintained": a.last_maintained,
        "stale_on": a.stale_on,
        "muted": a.muted,
        "muted_until": row.muted_until if a.muted else None,
        "mute_reason": row.mute_reason if a.muted else None,
        "evergreen": bool(row.evergreen),
        "review_interval_days": row.review_interval_days,
        "retired_at": row.retired_at,
        "retire_reason": row.retire_reason,
        "proposed_url": row.proposed_url,
    }


def records(store: Store, settings: PolicySettings, today: date, *, pilot: str | None = None,
            maintainer: str | None = None, states: tuple[str, ...] = ()) -> Iterator[dict]:
    """Every (matching) material's record, in id order, one at a time."""
    for row in store.overview_rows(pilot=pilot, maintainer=maintainer):
        r = record(row, settings, today)
        if not states or r["state"] in states:
            yield r


def overview(store: Store, settings: PolicySettings, today: date, *, pilot: str | None = None,
             maintainer: str | None = None, states: tuple[str, ...] = ()) -> list[dict]:
    """Every (matching) material's record, in id order."""
    with _no_gc_pauses():
        return list(records(store, settings, today, pilot=pilot, maintainer=maintainer,
                            states=states))


@contextmanager
def _no_gc_pauses():
    """Building 100,000 records makes Python's cycle collector rescan them over and
    over (a third of the time); they hold no cycles, so pause it meanwhile, and move
    them straight into its oldest generation after (freeze, unfreeze) instead of
    letting its next pass scan them all once more."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.unfreeze()
        if enabled:
            gc.enable()


def attention(records: list[dict]) -> list[dict]:
    """Materials that need someone to act, worst first, longest-standing first."""
    todo = [r for r in records if r["state"] in ATTENTION]
    return sorted(todo, key=lambda r: (policy.state_rank(r["state"]), r["since"] or "",
                                       r["pilot"], r["id"]))


def pilot_summary(records: list[dict], pilots: list[dict]) -> list[dict]:
    """Per pilot with materials in `records`: end date, coordinator, counts per state.

    `total` and `counts` are the pilot's health: retired materials are not in them
    but counted apart (`retired`)."""
    counts: dict[str, dict[str, int]] = {}
    retired: dict[str, int] = {}
    for r in records:
        per_state = counts.setdefault(r["pilot"], dict.fromkeys(
            [s for s in ALL_STATES if s not in NOT_COUNTED], 0))
        if r["state"] in NOT_COUNTED:
            retired[r["pilot"]] = retired.get(r["pilot"], 0) + 1
        else:
            per_state[r["state"]] += 1
    return [{"pilot": p["name"], "end_date": p["end_date"],
             "coordinator_email": p["coordinator_email"],
             "total": sum(counts[p["name"]].values()), "counts": counts[p["name"]],
             "retired": retired.get(p["name"], 0)}
            for p in pilots if p["name"] in counts]


def retired(records: list[dict]) -> list[dict]:
    """Retired materials, most recently retired first (listed apart from the rest)."""
    return sorted((r for r in records if r["state"] == "retired"),
                  key=lambda r: (r["retired_at"] or "", r["id"]), reverse=True)


def to_json(records: list[dict]) -> bytes:
    """Indented UTF-8 JSON. orjson: the stdlib encoder alone would take a third of
    the two seconds that the overview of 100,000 materials may cost."""
    return orjson.dumps(records, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def write_json(records: Iterable[dict], out: IO[bytes]) -> None:
    """Write what `to_json(list(records))` gives, as the records come, a hundred at a
    time: the records of 100,000 materials (and their text) need not all be in memory
    at once, and a hundred still sit in the processor's cache when they are dumped
    (a tenth to a fifth faster than a thousand at a time). Each piece is a list's
    indented JSON without its brackets, so its records are indented as in the whole list."""
    records = iter(records)
    separator = b"[\n"
    with _no_gc_pauses():
        while piece := list(islice(records, 100)):
            text = orjson.dumps(piece, option=orjson.OPT_INDENT_2)
            out.write(separator)
            out.write(memoryview(text)[2:-2])  # a view: no copy
            separator = b",\n"
    out.write(b"[]\n" if separator == b"[\n" else b"\n]\n")
    out.flush()


def to_csv(records: list[dict], language: str = "en", zone: tzinfo = UTC) -> str:
    """A spreadsheet as Excel in the Netherlands opens it: `;`, the caller adds the BOM.
    Headers and the readable `probleem` column follow `language`."""
    language = wording.lang(language)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    columns = [(key, nl if language == "nl" else en) for key, en, nl in CSV_COLUMNS
               if (nl if language == "nl" else en)]
    writer.writerow([header for _, header in columns])
    yes = "ja" if language == "nl" else "yes"
    for r in records:
        values = dict(r, problems=", ".join(r["problems"]),
                      state_name=wording.state_name(r["state"], language),
                      problem="; ".join(wording.describe(p, r, language)
                                        for p in r["problem_details"]),
                      evergreen=yes if r["evergreen"] else "",
                      last_checked=localtime.minute(r["last_checked"], zone))
        for key in CSV_DATES:
            values[key] = (values[key] or "")[:10]
        writer.writerow([_cell(values[key]) for key, _ in columns])
    return out.getvalue()


def _cell(value) -> str:
    """A spreadsheet cell; text that Excel would run as a formula is quoted with '."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# -- one material --------------------------------------------------------------------


def find_material(store: Store, key: str) -> dict:
    row = store.material(key)
    if row is None:
        raise BadInput(f"no material with id or URL {key!r}")
    return row


def material_detail(store: Store, settings: PolicySettings, key: str, today: date,
                    limit: int | None = None) -> dict:
    """One material's record with its history timeline (newest first)."""
    from oermonitor import lifecycle  # with page extraction: not for the overview

    row = find_material(store, key)
    [overview_row] = store.overview_rows(material_id=row["id"])
    detail = record(overview_row, settings, today)
    detail.update(page_title=clean(row["page_title"]), registered_title=clean(row["title"]),
                  added_at=row["added_at"], source=row["source"],
                  catalogue_id=row["catalogue_id"], content_hash=row["content_hash"])
    detail["timeline"] = timeline(store.checks(row["id"]), store.confirmations(row["id"]),
                                  store.notifications(row["id"]),
                                  lifecycle.events(store, row["id"]))[:limit]
    return detail


def timeline(checks: list[dict], confirmations: list[dict],
             notifications: list[dict], actions: list[dict] | None = None) -> list[dict]:
    """Checks, the changes between them, confirmations, emails and what people did
    (`lifecycle.events`: moved, retired, handed over, muted, ...), newest first."""
    events = []
    previous = served = None
    for check in sorted(checks, key=lambda c: (c["checked_at"], c["id"])):
        events.append({"at": check["checked_at"], "kind": "check",
                       "availability": check["availability"],
                       "status_code": check["status_code"], "licence": check["licence"],
                       "error": clean(check["error"])})
        if previous and previous["availability"] != check["availability"]:
            events.append(_change(check, "availability", previous["availability"],
                                  check["availability"]))
        if check["availability"] in SERVED:
            if served:
                events.extend(_content_changes(served, check))
            served = check
        previous = check
    events += [{"at": c["confirmed_at"], "kind": "confirmation", "by": c["by"],
                "note": clean(c["note"])} for c in confirmations]
    events += [{"at": n["sent_at"], "kind": "notification", "recipient": n["recipient"],
                "role": n["role"], "problem": n["problem"], "notice": n["kind"],
                "status": n["status"]} for n in notifications]
    # Confirmations are events too, but shown from their own table (with older ones).
    events += [{"at": a["at"], "kind": "event", "event": a["kind"], "who": a["who"],
                "by": a["by"], "text": clean(a["text"]), "detail": a["detail"]}
               for a in actions or () if a["kind"] != "confirm"]
    order = {"check": 0, "change": 1, "confirmation": 2, "notification": 3, "event": 4}
    return sorted(events, key=lambda e: (e["at"] or "", order[e["kind"]]), reverse=True)


def _content_changes(before: dict, after: dict) -> list[dict]:
    changes = []
    if before["licence_all"] is not None and after["licence_all"] is not None and (
            before["licence"], before["licence_scope"]) != (after["licence"],
                                                           after["licence_scope"]):
        changes.append(_change(after, "licence", before["licence"], after["licence"]))
    if before["content_hash"] and after["content_hash"] and (
            before["content_hash"] != after["content_hash"]):
        changes.append(_change(after, "content", None, None))
    if before["last_modified"] != after["last_modified"] and after["last_modified"]:
        changes.append(_change(after, "last_modified", before["last_modified"],
                               after["last_modified"]))
    return changes


def _change(check: dict, what: str, was, now) -> dict:
    return {"at": check["checked_at"], "kind": "change", "what": what, "was": was, "now": now}


def describe(problem: dict, record: dict | None = None, language: str = "en") -> str:
    """A problem in one plain line, in the words of the emails (`wording.describe`)."""
    return clean(wording.describe(problem, record or {}, language))


# -- the HTML report -------------------------------------------------------------------

COLOURS = {"broken": "#c0392b", "licence_issue": "#8e44ad", "stale": "#d68910",
           "failing": "#f1c40f", "moved": "#2e86c1", "no_maintainer": "#a04000",
           "ok": "#27ae60", "unchecked": "#aab7b8", "retired": "#566573"}


@cache
def _templates() -> jinja2.Environment:
    """The report's templates, loaded on first use (the nightly run renders none)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("oermonitor", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def _bar(counts: dict[str, int], width: int = 400) -> list[dict]:
    total = sum(counts.values()) or 1
    segments, x = [], 0.0
    for state in ALL_STATES:
        if counts.get(state):
            w = width * counts[state] / total
            segments.append({"state": state, "count": counts[state], "x": round(x, 2),
                             "width": round(w, 2), "colour": COLOURS[state]})
            x += w
    return segments


def _href(url: str | None) -> str | None:
    """Only web addresses become links (never javascript: or data:)."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def render_html(records: list[dict], pilots: list[dict], today: date, language: str = "en",
                zone: tzinfo = UTC, now: datetime | None = None) -> str:
    """The self-contained coordinator report (inline CSS and SVG, no external assets),
    in `language`; times in `zone`. Problems are described in the emails' words."""
    language = wording.lang(language)
    for p in pilots:
        p["bar"] = _bar(p["counts"])
    by_pilot: dict[str, list[dict]] = {}
    for r in records:
        by_pilot.setdefault(r["pilot"], []).append(
            dict(r, href=_href(r["url"]), checked=localtime.minute(r["last_checked"], zone)))
    todo = [dict(r, href=_href(r["url"]), descriptions=[_sentence(p, r, language)
                                                         for p in r["problem_details"]])
            for r in attention(records)]
    states = [{"state": s, "name": wording.state_name(s, language),
               "meaning": wording.state_meaning(s, language), "colour": COLOURS[s]}
              for s in ALL_STATES]
    made = localtime.local(now, zone) if now else None
    return _templates().get_template("report.html.j2").render(
        today=today.isoformat(), today_long=wording.long_date(today, language),
        made=wording.long_datetime(made, language) if made else None, zone=str(zone),
        lang=language, pilots=pilots, attention=todo, by_pilot=by_pilot, states=states,
        colours=COLOURS, total=len(records), retired=retired(records),
        state_name=lambda state: wording.state_name(state, language),
        licence=lambda licence: wording.licence_name(licence, language, short=True))


def _sentence(problem: dict, record: dict, language: str) -> str:
    """The email's sentence for a problem, with since when."""
    found = wording.finding(problem, record)
    return clean(" ".join(filter(None, (wording.sentence(found, language),
                                        wording.since_sentence(found, language)))))


def write_html(path: str | Path, html: str) -> None:
    """Write atomically: a reader sees the old report or the new one, never half."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BadInput(f"{path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise BadInput(f"{path}: is a folder; name the report file, e.g. {path / 'overzicht.html'}")
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BadInput(f"{path}: cannot write report ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(html)
        os.chmod(temp, files.default_mode())  # like any new file; mkstemp makes it private
        os.replace(temp, path)
    except OSError as exc:
        os.unlink(temp)
        raise BadInput(f"{path}: cannot write report ({exc.strerror})") from None

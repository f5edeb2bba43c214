"""The coordinator's overview: materials with their judgement, as data, CSV and HTML.

    records = overview(store, settings.policy, today, pilot=..., maintainer=..., states=...)
    pilots = pilot_summary(records, store.pilots())
    text = to_csv(records)                       # `;`-separated, for Excel (nl)
    write_html(path, render_html(records, pilots, today))
    detail = material_detail(store, settings.policy, "12", today)   # `show`

One query for all materials, then `policy.assess` in a tight loop: the overview
of 100,000 materials must stay well under two seconds. Text that comes from the
web (page titles, error details) is stripped of control characters here, so no
caller can print a page's escape sequences to a terminal.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import jinja2
import orjson

from oermonitor import files, policy
from oermonitor.errors import BadInput
from oermonitor.models import STATES
from oermonitor.settings import PolicySettings
from oermonitor.store import Store

ALL_STATES = STATES
ATTENTION = STATES[:STATES.index("ok")]  # every state that needs someone's attention

# C0/C1 controls and bidi overrides out; tabs and newlines become spaces.
_CONTROLS = {c: None for c in [*range(0x00, 0x20), *range(0x7F, 0xA0),
                               0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
_CONTROLS.update({0x09: " ", 0x0A: " ", 0x0D: " "})

CSV_COLUMNS = (
    "id", "url", "title", "pilot", "maintainer_email", "maintainer_name", "state",
    "problems", "since", "availability", "licence", "expected_licence", "last_modified",
    "last_checked", "last_maintained", "stale_on", "muted_until", "evergreen", "final_url",
    "error",
)


def clean(text: str | None) -> str | None:
    """`text` without control characters (safe to print on a terminal)."""
    return text if not text or text.isprintable() else text.translate(_CONTROLS)


def record(row: dict, settings: PolicySettings, today: date) -> dict:
    """One material's overview record (the `status --json` object)."""
    a = policy.assess(row, settings, today)
    return {
        "id": row["id"],
        "url": row["url"],
        "title": clean(row["title"] or row["page_title"]),
        "pilot": row["pilot"],
        "pilot_end_date": row["pilot_end_date"],
        "coordinator_email": row["coordinator_email"],
        "maintainer_email": row["maintainer_email"],
        "maintainer_name": row["maintainer_name"],
        "state": a.state,
        "problems": [p.code for p in a.problems],
        "problem_details": [{"code": p.code, "since": p.since, "detail": p.detail}
                            for p in a.problems],
        "since": min((p.since for p in a.problems if p.since), default=None)
        if a.problems else None,
        "availability": row["availability"],
        "status_code": row["status_code"],
        "error": clean(row["error"]),
        "final_url": row["final_url"],
        "licence": row["licence"],
        "licence_scope": row["licence_scope"],
        "expected_licence": row["expected_licence"],
        "catalogue_licence": row["catalogue_licence"],
        "last_modified": row["last_modified"],
        "last_checked": row["last_checked_at"],
        "last_maintained": a.last_maintained,
        "stale_on": a.stale_on,
        "muted": a.muted,
        "muted_until": row["muted_until"] if a.muted else None,
        "mute_reason": row["mute_reason"] if a.muted else None,
        "evergreen": bool(row["evergreen"]),
        "review_interval_days": row["review_interval_days"],
    }


def overview(store: Store, settings: PolicySettings, today: date, *, pilot: str | None = None,
             maintainer: str | None = None, states: tuple[str, ...] = ()) -> list[dict]:
    """Every (matching) material's record, in id order."""
    rows = store.materials(pilot=pilot, maintainer=maintainer)
    with _no_gc_pauses():
        records = [record(row, settings, today) for row in rows]
    if states:
        records = [r for r in records if r["state"] in states]
    return records


@contextmanager
def _no_gc_pauses():
    """Building 100,000 records makes Python's cycle collector rescan them over and
    over (a third of the time); they hold no cycles, so pause it meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def attention(records: list[dict]) -> list[dict]:
    """Materials that need someone to act, worst first, longest-standing first."""
    todo = [r for r in records if r["state"] in ATTENTION]
    return sorted(todo, key=lambda r: (policy.state_rank(r["state"]), r["since"] or "",
                                       r["pilot"], r["id"]))


def pilot_summary(records: list[dict], pilots: list[dict]) -> list[dict]:
    """Per pilot with materials in `records`: end date, coordinator, counts per state."""
    counts: dict[str, dict[str, int]] = {}
    for r in records:
        per_state = counts.setdefault(r["pilot"], dict.fromkeys(ALL_STATES, 0))
        per_state[r["state"]] += 1
    return [{"pilot": p["name"], "end_date": p["end_date"],
             "coordinator_email": p["coordinator_email"],
             "total": sum(counts[p["name"]].values()), "counts": counts[p["name"]]}
            for p in pilots if p["name"] in counts]


def to_json(records: list[dict]) -> bytes:
    """Indented UTF-8 JSON. orjson: the stdlib encoder alone would take a third of
    the two seconds that the overview of 100,000 materials may cost."""
    return orjson.dumps(records, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def to_csv(records: list[dict]) -> str:
    """A spreadsheet as Excel in the Netherlands opens it: `;`, the caller adds the BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        values = dict(r, problems=", ".join(r["problems"]),
                      evergreen="yes" if r["evergreen"] else "")
        writer.writerow([_cell(values[c]) for c in CSV_COLUMNS])
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
    row = find_material(store, key)
    detail = record(row, settings, today)
    detail.update(page_title=clean(row["page_title"]), registered_title=clean(row["title"]),
                  added_at=row["added_at"], source=row["source"],
                  catalogue_id=row["catalogue_id"], content_hash=row["content_hash"])
    detail["timeline"] = timeline(store.checks(row["id"]), store.confirmations(row["id"]),
                                  store.notifications(row["id"]))[:limit]
    return detail


def timeline(checks: list[dict], confirmations: list[dict],
             notifications: list[dict]) -> list[dict]:
    """Checks, the changes between them, confirmations and emails, newest first."""
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
        if check["availability"] in ("ok", "moved"):
            if served:
                events.extend(_content_changes(served, check))
            served = check
        previous = check
    events += [{"at": c["confirmed_at"], "kind": "confirmation", "by": c["by"],
                "note": clean(c["note"])} for c in confirmations]
    events += [{"at": n["sent_at"], "kind": "notification", "recipient": n["recipient"],
                "role": n["role"], "problem": n["problem"], "notice": n["kind"],
                "status": n["status"]} for n in notifications]
    order = {"check": 0, "change": 1, "confirmation": 2, "notification": 3}
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


def describe(problem: dict) -> str:
    """A problem in one English line for coordinators (maintainers get Dutch emails)."""
    code, d = problem["code"], problem["detail"]
    text = {
        "broken": lambda: f"link broken: {d.get('availability')} on {d.get('failures')} "
                          f"check{'' if d.get('failures') == 1 else 's'} in a row",
        "failing": lambda: f"last check failed: {d.get('availability')}",
        "moved": lambda: f"moved permanently to {d.get('new_url')}",
        "licence_missing": lambda: "no licence on the page" + (
            f" (was {d['was']})" if d.get("was") else "") + (
            f"; only the site's default {d['site_licence']}" if d.get("site_licence") else ""),
        "licence_changed": lambda: f"licence changed from {d.get('was')} to {d.get('now')}"
                                   + (" (less open)" if d.get("openness_down") else ""),
        "licence_not_open": lambda: f"licence {d.get('licence')} is {d.get('openness')}"
                                    + (f", expected {d['expected']}" if d.get("expected")
                                       else ", not an allowed open licence"),
        "licence_mismatch": lambda: f"catalogue says {d.get('catalogue')}, "
                                    f"page says {d.get('page')}",
        "stale": lambda: f"no sign of maintenance since {d.get('last_maintained')} "
                         f"(pilot ended {d.get('pilot_end_date')})",
    }[code]()
    since = f" (since {problem['since']})" if problem.get("since") else ""
    return clean(text) + since


# -- the HTML report -------------------------------------------------------------------

COLOURS = {"broken": "#c0392b", "licence_issue": "#8e44ad", "stale": "#d68910",
           "failing": "#f1c40f", "moved": "#2e86c1", "ok": "#27ae60", "unchecked": "#aab7b8"}
_templates = jinja2.Environment(loader=jinja2.PackageLoader("oermonitor", "templates"),
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


def render_html(records: list[dict], pilots: list[dict], today: date) -> str:
    """The self-contained coordinator report (inline CSS and SVG, no external assets)."""
    for p in pilots:
        p["bar"] = _bar(p["counts"])
    by_pilot: dict[str, list[dict]] = {}
    for r in records:
        by_pilot.setdefault(r["pilot"], []).append(dict(r, href=_href(r["url"])))
    todo = [dict(r, href=_href(r["url"]),
                 descriptions=[describe(p) for p in r["problem_details"]])
            for r in attention(records)]
    return _templates.get_template("report.html.j2").render(
        today=today.isoformat(), pilots=pilots, attention=todo, by_pilot=by_pilot,
        states=ALL_STATES, colours=COLOURS, total=len(records))


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

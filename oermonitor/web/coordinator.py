"""The coordinator's pages: the overview of their pilots, one material, one pilot.

    GET  /coordinator/                       state bars, the attention list (filters:
                                             state, maintainer, pilot, text; what-if date)
    GET  /coordinator/overview.csv|.json     the same records as `status --csv/--json`
    GET  /coordinator/material/<id>          the story of `show`, findings, the actions
    POST /coordinator/material/<id>/<action> confirm, recheck, mute, unmute, evergreen,
                                             review, move, dismiss (a proposed address),
                                             retire, unretire, reassign
    GET  /coordinator/pilot/<id>             maintainers, who is unreachable, end date
    POST /coordinator/pilot/<id>/reachable   a bounced address works again

Every page needs a signed-in coordinator (`signin.current`) and shows only their
own pilots; a material or pilot of someone else's is "not found", exactly like one
that does not exist. Actions are recorded with the coordinator's address, by the
same library functions as the command line (`history`, `lifecycle`, `job`).
"""

from __future__ import annotations

import contextlib
from datetime import date

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from oermonitor import dashboard, history, job, lifecycle, notify, report, selfservice, wording
from oermonitor.errors import BadInput, OperationalError
from oermonitor.web import context, coordinator_words  # noqa: F401 - the words register
from oermonitor.web.signin import current, sign_in_first
from oermonitor.web.texts import texts

blueprint = Blueprint("coordinator", __name__, url_prefix="/coordinator")

ACTIONS = ("confirm", "recheck", "mute", "unmute", "evergreen", "review", "move", "dismiss",
           "retire", "unretire", "reassign")
COLOURS = report.COLOURS


@blueprint.before_request
def _signed_in():
    g.who = current()
    if g.who is None:
        return sign_in_first()
    return None


def _today() -> date:
    return context.now().date()


def _what_if(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters() -> dict:
    """The overview's filters from the query string (unknown values are ignored)."""
    args = request.args
    return {"states": tuple(s for s in args.getlist("state") if s in report.ALL_STATES),
            "maintainer": (args.get("maintainer") or "").strip().lower() or None,
            "pilot": args.get("pilot") if args.get("pilot") in g.who.pilots else None,
            "text": (args.get("q") or "").strip()[:200] or None,
            "day": _what_if(args.get("date"))}


def _records(filters: dict) -> list[dict]:
    day = filters["day"] or _today()
    return dashboard.visible(context.store(), context.settings(), g.who, day,
                             pilot=filters["pilot"])


@blueprint.get("/")
def overview():
    filters = _filters()
    records = _records(filters)
    store = context.store()
    ids = {p["name"]: p["id"] for p in store.pilots()}
    pilots = [dict(p, id=ids[p["pilot"]], bar=_bar(p["counts"]))
              for p in report.pilot_summary(records, store.pilots())]
    people = sorted({(r["maintainer_email"], r["maintainer_name"] or "") for r in records},
                    key=lambda p: (p[1] or p[0]).casefold())
    shown = dashboard.select(records, states=filters["states"],
                             maintainer=filters["maintainer"], text=filters["text"])
    return render_template(
        "coordinator/overview.html", who=g.who, pilots=pilots, shown=shown,
        total=len(records), filters=filters, people=people, states=report.ALL_STATES,
        day=filters["day"] or _today(), what_if=filters["day"] is not None,
        bad_date=bool(request.args.get("date")) and filters["day"] is None,
        download_args=_download_args())


def _download_args() -> dict:
    keep = ("state", "maintainer", "pilot", "q", "date")
    return {k: request.args.getlist(k) for k in keep if request.args.get(k)}


def _downloaded() -> tuple[list[dict], date]:
    """Like `status --pilot --maintainer --state`: every matching material, in id order."""
    filters = _filters()
    records = dashboard.matching(_records(filters), states=filters["states"],
                                 maintainer=filters["maintainer"], text=filters["text"])
    return records, filters["day"] or _today()


@blueprint.get("/overview.csv")
def download_csv():
    records, day = _downloaded()
    settings = context.settings()
    return Response(report.to_csv(records, settings.language, settings.zone).encode("utf-8-sig"),
                    mimetype="text/csv", headers=_attachment(f"oermonitor-{day}.csv"))


@blueprint.get("/overview.json")
def download_json():
    records, day = _downloaded()
    return Response(report.to_json(records), mimetype="application/json",
                    headers=_attachment(f"oermonitor-{day}.json"))


def _attachment(name: str) -> dict:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _bar(counts: dict[str, int]) -> list[dict]:
    """The state bar's segments in percent (an SVG: no inline styles under the CSP)."""
    total = sum(counts.values()) or 1
    x, segments = 0.0, []
    for state, n in counts.items():
        if n:
            width = 100 * n / total
            segments.append({"state": state, "count": n, "x": round(x, 3),
                             "width": round(width, 3), "colour": COLOURS.get(state, "#999")})
            x += width
    return segments


# -- one material ----------------------------------------------------------------------


def _material(material_id: int) -> dict:
    found = dashboard.material_of(context.store(), g.who, material_id)
    if found is None:
        abort(404)
    return found


@blueprint.get("/material/<int:material_id>")
def material(material_id: int):
    return _material_page(_material(material_id))


def story(timeline: list[dict], language: str) -> list[dict]:
    """The timeline of `show` as lines for the page: {at, kind, text, who}, in the
    same words as `show` and the report (`wording`)."""
    lines = []
    for e in timeline:
        if e["kind"] == "event":
            text = wording.event_line(e["event"], e.get("detail"), language)
            who = e["who"]
        else:
            text, who = wording.history_line(e, language), None
        lines.append({"at": e["at"], "kind": e["kind"], "text": text[:1].upper() + text[1:],
                      "who": who})
    return lines


def _material_page(row: dict, problem: str | None = None, status: int = 200):
    store, settings, today = context.store(), context.settings(), _today()
    detail = report.material_detail(store, settings.policy, str(row["id"]), today, limit=200)
    page = selfservice.view(store, settings, row, today=today)
    ids = {p["name"]: p["id"] for p in store.pilots()}
    done = request.args.get("done")
    return render_template(
        "coordinator/material.html", who=g.who, m=detail, row=row, page=page,
        story=story(detail["timeline"], settings.language),
        pilot_id=ids.get(row["pilot"]), problem=problem,
        done=done if done in ACTIONS else None, today=today), status


@blueprint.post("/material/<int:material_id>/<action>")
def act(material_id: int, action: str):
    row = _material(material_id)
    if action not in ACTIONS:
        abort(404)
    form, by, now = request.form, g.who.email, context.now()
    store, settings = context.store(), context.settings()
    try:
        if action == "confirm":
            history.confirm(store, row, by, (form.get("note") or "").strip() or None, now)
        elif action == "recheck":
            if row.get("retired_at"):
                raise BadInput(_t("c_recheck_retired"))
            check = job.check_one(store, settings, row)
            store.add_event(row["id"], "recheck", by, {"availability": check["availability"]},
                            now)
        elif action == "mute":
            until = _what_if(form.get("until"))
            if until is None:
                raise BadInput(_t("c_need_date"))
            history.mute(store, row, until, form.get("reason"), now.date(), by=by, now=now)
        elif action == "unmute":
            history.mute(store, row, None, None, now.date(), by=by, now=now)
        elif action == "evergreen":
            history.set_evergreen(store, row, form.get("on") == "1", by=by, now=now)
        elif action == "review":
            history.set_review_interval(store, row, _days(form.get("days")), by=by, now=now)
        elif action == "move":
            lifecycle.move(store, row, form.get("url", ""), by=by, now=now)
        elif action == "dismiss":
            lifecycle.dismiss_proposal(store, row, by=by, now=now)
        elif action == "retire":
            lifecycle.retire(store, row, reason=form.get("reason", ""), by=by, now=now)
        elif action == "unretire":
            lifecycle.unretire(store, row, by=by, now=now)
        elif action == "reassign":
            lifecycle.reassign(store, row, to_email=form.get("email", ""),
                               to_name=(form.get("name") or "").strip() or None, by=by,
                               now=now)
            _welcome(now)
    except BadInput as exc:
        return _material_page(store.material(material_id) or row, problem=str(exc), status=400)
    return redirect(url_for("coordinator.material", material_id=material_id, done=action)
                    + "#result", 303)


def _days(value: str | None) -> int | None:
    """The review interval: whole days >= 1, or empty for the default."""
    text = (value or "").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 36500:
        raise BadInput(_t("c_need_days"))
    return int(text)


def _welcome(now) -> None:
    """The new maintainer's welcome goes out now; if the mail server is away, the next
    nightly run sends it (the hand-over itself is recorded either way)."""
    with contextlib.suppress(OperationalError):
        notify.send_welcomes(context.store(), context.settings(), now.date(), now)


def _t(key: str) -> str:
    return texts(context.settings().language)[key]


# -- one pilot -------------------------------------------------------------------------


def _pilot(pilot_id: int) -> dict:
    found = dashboard.pilot_of(context.store(), g.who, pilot_id)
    if found is None:
        abort(404)
    return found


@blueprint.get("/pilot/<int:pilot_id>")
def pilot(pilot_id: int):
    row = _pilot(pilot_id)
    today = _today()
    store = context.store()
    records = dashboard.visible(store, context.settings(), g.who, today, pilot=row["name"])
    summary = next(iter(report.pilot_summary(records, [row])), None)
    return render_template(
        "coordinator/pilot.html", who=g.who, pilot=row, summary=summary,
        bar=_bar(summary["counts"]) if summary else [],
        people=dashboard.maintainers(store, records),
        unowned=[r for r in records if "no_maintainer" in r["problems"]],
        ended=bool(row["end_date"]) and row["end_date"] < today.isoformat(),
        done=request.args.get("done"), today=today)


@blueprint.post("/pilot/<int:pilot_id>/reachable")
def reachable(pilot_id: int):
    row = _pilot(pilot_id)
    email = (request.form.get("email") or "").strip().lower()
    records = dashboard.visible(context.store(), context.settings(), g.who, _today(),
                                pilot=row["name"])
    if email not in {r["maintainer_email"] for r in records}:
        abort(404)  # only the pilot's own maintainers
    lifecycle.clear_bounce(context.store(), email, label="email")
    return redirect(url_for("coordinator.pilot", pilot_id=pilot_id, done="reachable"), 303)

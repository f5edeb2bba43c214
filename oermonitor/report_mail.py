"""The coordinator's report by email: the HTML report of their own pilots, weekly or monthly.

    due = due_reports(store, settings, log, today)   # one per coordinator not yet served
    html = attachment(report, today)                  # the self-contained report page

`[notify] coordinator_report` is "weekly" (the first run of each week, Monday on),
"monthly" (the first run of each calendar month) or "off". Every delivered report
is logged in the notification log (kind "report", one row per pilot in it), so each
coordinator gets it exactly once per period, and the next run sends it when the
mail server was down. `notify` renders, sends and logs it with the other emails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from oermonitor import report
from oermonitor.settings import Settings
from oermonitor.store import Store

ROLE = "coordinator_report"  # the digest role; its templates are coordinator_report.*.j2
KIND = "report"  # the notification log's kind for a delivered report
DELIVERED = ("sent", "outbox")
OVERVIEW_PATH = "/coordinator/"  # the web overview, below [web] base_url


@dataclass
class ReportDigest:
    """One coordinator's report: the records of all their pilots, and the pilots' counts.

    It quacks like `notify.Digest` where the notifier needs it to (recipient, role,
    name, items, reply_to), so it travels in the same plan, report and log."""

    recipient: str
    period: str  # weekly | monthly
    pilots: list[dict]  # report.pilot_summary entries
    pilot_ids: list[int]
    records: list[dict]
    role: str = ROLE
    name: str | None = None
    pilot: str | None = None
    items: list = field(default_factory=list)  # no per-material items: the report has them
    reply_to: str | None = None

    @property
    def materials(self) -> list:
        return []

    @property
    def attention(self) -> int:
        """How many materials need someone to act."""
        return len(report.attention(self.records))

    @property
    def pilot_names(self) -> list[str]:
        return [p["pilot"] for p in self.pilots]


def period_start(today: date, every: str) -> date:
    """The first day of the period `today` lies in (Monday, or the 1st of the month)."""
    if every == "weekly":
        return today - timedelta(days=today.weekday())
    return today.replace(day=1)


def due_reports(store: Store, settings: Settings, log: list[dict],
                today: date) -> list[ReportDigest]:
    """The reports not yet delivered in the current period, one per coordinator with
    materials. `log` is the notification log (rows of the `notifications` table)."""
    every = settings.notify.coordinator_report
    if every not in ("weekly", "monthly"):
        return []
    start = period_start(today, every).isoformat()
    served = {(row["recipient"] or "").lower() for row in log
              if row.get("kind") == KIND and row.get("status") in DELIVERED
              and (row.get("day") or "") >= start}
    records = report.overview(store, settings.policy, today)
    pilots = store.pilots()
    mine: dict[str, list[dict]] = {}
    for r in records:
        coordinator = (r["coordinator_email"] or "").lower()
        if coordinator and coordinator not in served:
            mine.setdefault(coordinator, []).append(r)
    due = []
    for coordinator, own in sorted(mine.items()):
        summary = report.pilot_summary(own, pilots)
        ids = [p["id"] for p in pilots if p["name"] in {s["pilot"] for s in summary}]
        due.append(ReportDigest(coordinator, every, summary, ids, own))
    return due


def attachment(digest: ReportDigest, today: date) -> str:
    """The self-contained HTML report of the coordinator's own pilots."""
    return report.render_html(digest.records, [dict(p) for p in digest.pilots], today)


def filename(today: date, language: str) -> str:
    word = "report" if language == "en" else "overzicht"
    return f"oermonitor-{word}-{today.isoformat()}.html"


def overview_url(settings: Settings) -> str | None:
    """The web overview's address, when `oermonitor serve` has a public address."""
    base = settings.web.base_url
    return f"{base.rstrip('/')}{OVERVIEW_PATH}" if base else None


def log_rows(digest: ReportDigest, status: str, message_id: str, today: date, sent_at: str,
             run_id: int | None) -> list[dict]:
    """The notification log's rows for one delivered report: one per pilot in it."""
    pilot_ids: list[int | None] = [*digest.pilot_ids] or [None]
    return [{"run_id": run_id, "material_id": None, "pilot_id": pilot_id,
             "recipient": digest.recipient, "role": ROLE, "problem": None,
             "kind": KIND, "sent_at": sent_at, "day": today.isoformat(), "status": status,
             "message_id": message_id} for pilot_id in pilot_ids]

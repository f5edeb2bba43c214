"""Who hears about what, and when: digests for maintainers and pilot coordinators.

The point of the tool: the right person hears about the right material, once,
clearly, and again only while it is still unresolved.

- `plan` is pure: (material row, Assessment) pairs + the notification log + today
  -> one `Digest` per maintainer (their own materials only) and one per pilot for
  its coordinator, each holding only what is new or due for a reminder.
- `compose` renders a digest (jinja2, autoescaped HTML + plain text) into an
  `EmailMessage`; `send_due` is what the nightly job calls: assess, plan, deliver,
  and log each message right after the server accepted it.

A problem's *episode* starts on its `since` date: log rows from before it belong
to an earlier occurrence, so a problem that went away and came back is new again.

Two problems are the coordinator's, listed in each summary (repeated every
`remind_every_days`) until resolved: `moved` (the maintainer is told once that
nothing is needed from them, never reminded) and `no_maintainer` (nobody to mail).
When the coordinator is told a maintainer ignored the reminders, that material
counts as `no_maintainer` from then on (`lifecycle.unanswered`).

A hand-over (`lifecycle.reassign`) is welcomed: the new maintainer gets one short
email listing what they now keep (`plan_welcomes`, `send_welcomes`; `send_due`
sends any that are still due), logged like every email so it goes out exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from functools import cache
from typing import TYPE_CHECKING, Any

from oermonitor import licences, lifecycle, localtime, policy, report_mail, wording
from oermonitor.clock import iso
from oermonitor.errors import OperationalError
from oermonitor.extract import platforms
from oermonitor.mailer import Delivery, Mailer, MailerDown, build_message, one_line
from oermonitor.models import PROBLEMS, Assessment, Problem
from oermonitor.settings import Settings
from oermonitor.store import Store
from oermonitor.wording import (  # noqa: F401  (the names the templates and callers know)
    licence_limits,
    licence_name,
    long_date,
    open_choices,
)

if TYPE_CHECKING:
    import jinja2

# What maintainers and coordinators hear about: everything the policy reports except
# `failing` (a single failed check is often transient; `broken` follows if it lasts).
MAILED = tuple(code for code in PROBLEMS if code != "failing")
DELIVERED = ("sent", "outbox")  # log statuses that count as "this person was told"
COORDINATOR_ROLES = ("coordinator", report_mail.ROLE)  # a refusal there bounces no maintainer
# Problems the coordinator resolves: listed in every summary (at the reminder cadence)
# until they are. Maintainers hear of `moved` once (nothing to do), of `no_maintainer` never.
COORDINATOR_MATTERS = ("moved", "no_maintainer")
TELL_MAINTAINER_ONCE = ("moved",)
NOT_FOR_MAINTAINERS = ("no_maintainer",)
WELCOME = "welcome"  # problem and kind of a welcome's log rows

SUBJECT_WIDTH = 78  # about what a mail client's message list shows
SUBJECT_MAX = 120  # one material's whole title may run past that, up to here


@dataclass
class DigestItem:
    """One problem of one material, with everything the templates need (cleaned text)."""

    material_id: int
    problem: str  # one of MAILED, or "welcome"
    kind: str  # new | reminder (maintainer); new | reminder | escalation | unreachable
    # (coordinator); welcome
    title: str
    url: str
    pilot: str
    pilot_id: int | None = None
    platform: str | None = None  # "Wikiwijs" when the material lives on a known platform
    since: str | None = None
    first_notified: str | None = None  # day the maintainer first heard of this occurrence
    reminders: int = 0  # reminders the maintainer got for this occurrence so far
    maintainer_email: str = ""
    maintainer_name: str = ""
    maintainer_first_name: str = ""  # how the email greets them ("Bram")
    coordinator_email: str | None = None
    coordinator_name: str | None = None  # who signs the maintainer's email
    availability: str | None = None
    error: str | None = None
    status_code: int | None = None
    new_url: str | None = None
    licence: str | None = None
    licence_openness: str | None = None  # licences.openness of `licence`
    licence_was: str | None = None
    site_licence: str | None = None  # licence_missing: the site-wide licence the page does carry
    expected_licence: str | None = None
    catalogue_licence: str | None = None
    pilot_end_date: str | None = None
    last_maintained: str | None = None
    failures: int | None = None
    bounced_at: str | None = None
    bounce_reason: str | None = None
    keeper_reason: str | None = None  # no_maintainer: bounced | released | ignored
    colleague: str | None = None  # no_maintainer (released): who might take it on
    note: str | None = None  # no_maintainer (released): the maintainer's note
    handed_over_by: str | None = None  # welcome: who handed it over (None: the operator)

    @property
    def new_url_is_web(self) -> bool:
        return _is_web(self.new_url)

    @property
    def url_is_web(self) -> bool:
        return _is_web(self.url)


@dataclass
class Digest:
    """One email: to a maintainer (all their materials) or a pilot's coordinator."""

    recipient: str
    role: str  # maintainer | coordinator | welcome (a new maintainer's first email)
    items: list[DigestItem]
    name: str | None = None
    pilot: str | None = None  # coordinator summaries: the pilot
    pilot_id: int | None = None
    first_name: str | None = None  # the greeting: "Beste Bram,"

    @property
    def pilots(self) -> list[str]:
        """The pilots the digest's materials come from, in first-seen order."""
        return list(dict.fromkeys(i.pilot for i in self.items)) or [self.pilot or ""]

    @property
    def signer(self) -> str | None:
        """Who signs a maintainer's email: the coordinator's name, when all of the
        digest's materials share one."""
        found = {i.coordinator_name for i in self.items}
        return found.pop() if len(found) == 1 and self.role in ("maintainer", WELCOME) else None
    actions: list[dict] = field(default_factory=list)  # coordinator: see `with_actions`

    @property
    def materials(self) -> list[list[DigestItem]]:
        """Items grouped per material, in first-seen order."""
        groups: dict[int, list[DigestItem]] = {}
        for item in self.items:
            groups.setdefault(item.material_id, []).append(item)
        return list(groups.values())

    def section(self, name: str) -> list[DigestItem]:
        """Coordinator summary sections: new, moved, no_maintainer, escalation, unreachable."""
        if name in COORDINATOR_MATTERS:
            return [i for i in self.items if i.problem == name]
        return [i for i in self.items if i.kind == name and i.problem not in COORDINATOR_MATTERS]

    @property
    def platform(self) -> str | None:
        """The platform all of the digest's materials live on, if they share one."""
        found = {i.platform for i in self.items}
        return found.pop() if len(found) == 1 else None

    @property
    def reply_to(self) -> str | None:
        """The coordinator, when all of a maintainer's materials share one."""
        if self.role not in ("maintainer", WELCOME):
            return None
        found = {i.coordinator_email for i in self.items}
        return found.pop() if len(found) == 1 else None


# One email of a run: a digest, or a coordinator's report (which quacks like one).
Mail = Digest | report_mail.ReportDigest


@dataclass
class Sent:
    digest: Mail
    delivery: Delivery


@dataclass
class NotifyReport:
    """What `send_due` planned and what became of each message."""

    dry_run: bool = False
    planned: list[Mail] = field(default_factory=list)
    results: list[Sent] = field(default_factory=list)
    pending: list[Mail] = field(default_factory=list)  # not delivered; next run retries
    error: str | None = None

    @property
    def delivered(self) -> list[Sent]:
        return [s for s in self.results if s.delivery.delivered]

    @property
    def refused(self) -> list[Sent]:
        return [s for s in self.results if s.delivery.status == "refused"]

    @property
    def emails(self) -> int:
        return len(self.delivered)


class NotifyError(OperationalError):
    """Some messages could not be delivered; `report` says which went through."""

    def __init__(self, message: str, report: NotifyReport):
        super().__init__(message)
        self.report = report


# -- planning (pure) -----------------------------------------------------------------


def plan(items: list[tuple[dict, Assessment]], log: list[dict], today: date,
         settings: Settings) -> list[Digest]:
    """The digests due today. `items` are (materials_view row, assessment) pairs,
    `log` the notification log (rows of the `notifications` table)."""
    told: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in log:
        if row.get("status") in DELIVERED and row.get("material_id") is not None:
            told[(row["material_id"], row["problem"])].append(row)
    remind = settings.notify.remind_every_days
    escalate_after = settings.notify.escalate_after_reminders
    summaries = settings.notify.coordinator_summaries
    maintainers: dict[str, Digest] = {}
    coordinators: dict[int, Digest] = {}

    for material, assessment in items:
        if assessment.muted:
            continue
        recipient = (material.get("maintainer_email") or "").lower()
        coordinator = (material.get("coordinator_email") or "").lower()
        bounced = bool(material.get("maintainer_bounced_at"))
        # a maintainer who let the material go is not mailed about it any more
        released = material.get("unowned_reason") == "released"
        for problem in assessment.problems:
            if problem.code not in MAILED:
                continue
            rows = _episode(told[(material["id"], problem.code)], problem.since)
            to_maintainer = sorted(r["day"] for r in rows if r["role"] == "maintainer"
                                   and (r["recipient"] or "").lower() == recipient)
            reminders = len({r["day"] for r in rows if r["role"] == "maintainer"
                             and r["kind"] == "reminder"
                             and (r["recipient"] or "").lower() == recipient})
            coordinator_kinds = {r["kind"] for r in rows if r["role"] == "coordinator"}

            kind = None
            if (not bounced and not released and recipient
                    and problem.code not in NOT_FOR_MAINTAINERS):
                if not to_maintainer:
                    kind = "new"
                elif problem.code in TELL_MAINTAINER_ONCE:
                    kind = None
                elif (today - date.fromisoformat(to_maintainer[-1][:10])).days >= remind:
                    kind = "reminder"
            coordinator_kind = None
            if summaries and coordinator:
                to_coordinator = sorted(r["day"] for r in rows if r["role"] == "coordinator")
                if problem.code in COORDINATOR_MATTERS:
                    if not to_coordinator:
                        coordinator_kind = "new"
                    elif (today - date.fromisoformat(to_coordinator[-1][:10])).days >= remind:
                        coordinator_kind = "reminder"
                elif bounced:
                    if "unreachable" not in coordinator_kinds:
                        coordinator_kind = "unreachable"
                elif (kind == "reminder" and escalate_after and reminders >= escalate_after
                      and "escalation" not in coordinator_kinds):
                    coordinator_kind = "escalation"
                elif "new" not in coordinator_kinds and "escalation" not in coordinator_kinds:
                    coordinator_kind = "new"
            if not (kind or coordinator_kind):
                continue  # nobody is told about this one today (most problems, most nights)

            base = _item(material, assessment, problem, kind or "new",
                         first_notified=to_maintainer[0] if to_maintainer else None,
                         reminders=reminders)
            if kind:
                digest = maintainers.get(recipient)
                if digest is None:
                    digest = maintainers[recipient] = Digest(
                        recipient, "maintainer", [], name=base.maintainer_name or None,
                        first_name=base.maintainer_first_name or None)
                digest.items.append(base)
            if coordinator_kind:
                pilot_id: int = material["pilot_id"]
                digest = coordinators.get(pilot_id)
                if digest is None:
                    digest = coordinators[pilot_id] = Digest(
                        coordinator, "coordinator", [], name=base.coordinator_name,
                        pilot=base.pilot, pilot_id=pilot_id,
                        first_name=first_word(base.coordinator_name) or None)
                digest.items.append(replace(base, kind=coordinator_kind))

    digests = list(maintainers.values()) + list(coordinators.values())
    for digest in digests:
        digest.items.sort(key=lambda i: (i.title.casefold(), i.material_id,
                                         PROBLEMS.index(i.problem)))
    return digests


def _episode(rows: list[dict], since: str | None) -> list[dict]:
    """Log rows about the current occurrence of a problem (on or after its start)."""
    if not since:
        return rows
    start = since[:10]
    return [r for r in rows if (r.get("day") or "") >= start]


def _item(material: dict, assessment: Assessment, problem: Problem, kind: str, *,
          first_notified: str | None, reminders: int) -> DigestItem:
    detail = problem.detail or {}
    licence = _text(detail.get("now") or detail.get("licence") or detail.get("page")
                    or material.get("licence"))
    title = material.get("title") or material.get("page_title") or material["url"]
    new_url = detail.get("new_url") or detail.get("final_url")
    if problem.code == "moved" and not new_url:
        new_url = material.get("final_url")
    return DigestItem(
        material_id=material["id"],
        problem=problem.code,
        kind=kind,
        title=one_line(title, 200),
        url=one_line(material["url"], 2000),
        pilot=one_line(material.get("pilot"), 200),
        pilot_id=material.get("pilot_id"),
        platform=_platform(material),
        since=problem.since,
        first_notified=first_notified,
        reminders=reminders,
        maintainer_email=(material.get("maintainer_email") or "").lower(),
        maintainer_name=one_line(material.get("maintainer_name"), 100),
        maintainer_first_name=one_line(material.get("maintainer_first_name"), 100)
        or first_word(material.get("maintainer_name")),
        coordinator_email=(material.get("coordinator_email") or "").lower() or None,
        coordinator_name=one_line(material.get("coordinator_name"), 100) or None,
        availability=detail.get("availability") or material.get("availability"),
        error=one_line(detail.get("error") or material.get("error"), 200) or None,
        status_code=detail.get("status_code") or material.get("status_code"),
        new_url=one_line(new_url, 2000) or None,
        licence=licence,
        licence_openness=licences.openness(licence) if licence else None,
        licence_was=_text(detail.get("was")),
        site_licence=_site_licence(detail.get("site_licence")),
        expected_licence=_text(detail.get("expected") or material.get("expected_licence")),
        catalogue_licence=_text(detail.get("catalogue") or material.get("catalogue_licence")),
        pilot_end_date=material.get("pilot_end_date"),
        last_maintained=assessment.last_maintained,
        failures=detail.get("failures"),
        bounced_at=material.get("maintainer_bounced_at"),
        bounce_reason=one_line(material.get("maintainer_bounce_reason"), 200) or None,
        keeper_reason=detail.get("reason") if problem.code == "no_maintainer" else None,
        colleague=one_line(detail.get("colleague"), 200) or None,
        note=one_line(detail.get("note"), 300) or None,
    )


def plan_welcomes(rows: list[dict]) -> list[Digest]:
    """One welcome per new maintainer, listing the materials handed to them
    (`store.pending_welcomes()` rows). Pure."""
    welcomes: dict[str, Digest] = {}
    for row in rows:
        recipient = (row.get("maintainer_email") or "").lower()
        if not recipient:
            continue
        item = DigestItem(
            material_id=row["id"], problem=WELCOME, kind=WELCOME,
            title=one_line(row.get("title") or row.get("page_title") or row["url"], 200),
            url=one_line(row["url"], 2000), pilot=one_line(row.get("pilot"), 200),
            pilot_id=row.get("pilot_id"), platform=_platform(row),
            maintainer_email=recipient,
            maintainer_name=one_line(row.get("maintainer_name"), 100),
            coordinator_email=(row.get("coordinator_email") or "").lower() or None,
            pilot_end_date=row.get("pilot_end_date"),
            coordinator_name=one_line(row.get("coordinator_name"), 100) or None,
            handed_over_by=row.get("handed_over_by"))
        first = (one_line(row.get("maintainer_first_name"), 100)
                 or first_word(item.maintainer_name))
        welcomes.setdefault(recipient, Digest(
            recipient, WELCOME, [], name=item.maintainer_name or None,
            first_name=first or None)).items.append(item)
    for digest in welcomes.values():
        digest.items.sort(key=lambda i: (i.title.casefold(), i.material_id))
    return list(welcomes.values())
def first_word(name: str | None) -> str:
    """The first name when only a full name is known: "Bram Jansen" -> "Bram"."""
    words = one_line(name, 100).split()
    return words[0] if words else ""


def _platform(material: dict) -> str | None:
    """The display name of the platform the material lives on ("Wikiwijs"), else None:
    from the id a check found, the registered identity, or the URL itself."""
    name = (_known_platform(material.get("platform_id"))
            or _known_platform(material.get("identity"))
            or _known_platform(platforms.identity(material.get("url") or "")))
    return name.capitalize() if name else None


def _known_platform(identity: str | None) -> str | None:
    """The platform an identity ("wikiwijs:171772") names, if we know it."""
    name = (identity or "").partition(":")[0]
    return name if name in _PLATFORM_NAMES else None


_PLATFORM_NAMES = frozenset(module.NAME for module in platforms.PLATFORMS)


def _text(value) -> str | None:
    return (one_line(value, 200) or None) if value else None


def _site_licence(licence) -> str | None:
    """A site-wide licence worth naming: a positive one (not "all rights reserved")."""
    text = _text(licence)
    return text if text and licences.openness(text) in ("open", "restricted") else None


def _is_web(url: str | None) -> bool:
    return url is not None and url.lower().startswith(("http://", "https://"))


# -- rendering -----------------------------------------------------------------------


@cache
def _environment(html: bool) -> jinja2.Environment:
    """Two environments over the same templates: HTML escapes every value, text none.
    Loaded on first use: a dry run only plans."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("oermonitor", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["longdate"] = long_date
    env.filters["licence"] = licence_name
    env.filters["choices"] = open_choices
    env.filters["sentence"] = wording.sentence
    env.filters["since"] = wording.since_sentence
    env.filters["number"] = wording.number
    env.filters["listing"] = wording.listing
    return env


def _language(settings: Settings) -> str:
    return "en" if settings.language == "en" else "nl"


def render(digest: Mail, settings: Settings, today: date,
           now: datetime | None = None) -> tuple[str, str, str]:
    """(subject, text, html) for a digest, in the configured language. With `now`, a
    maintainer's digest carries the signed links of `links` ([web] base_url)."""
    language = _language(settings)
    context = {"digest": digest, "lang": language, "settings": settings,
               "today": today.isoformat(), "sender": parseaddr(settings.smtp.from_)[1]
               or settings.smtp.from_, "allowed": settings.policy.allowed_licences,
               "links": _links(digest, settings, now),
               "web_url": report_mail.overview_url(settings),
               "attachment": report_mail.filename(today, language)}
    prefix = {WELCOME: "_welcome_", report_mail.ROLE: "_report_"}.get(digest.role, "_")
    words: Any = _environment(False).get_template(f"{prefix}{language}.j2").make_module(context)
    if digest.role == "coordinator" and not digest.items:  # only what maintainers did
        words = _environment(False).get_template("_actions.j2").make_module(context)
    subject = one_line(str(words.subject(digest)), 1000)
    if digest.role in ("maintainer", WELCOME) and len(subject) > (
            SUBJECT_WIDTH if len(digest.materials) > 1 else SUBJECT_MAX):
        subject = one_line(str(words.subject(digest, titled=False)), 1000)  # no cut-off title
    subject = subject[:1].upper() + subject[1:]
    text = _environment(False).get_template(f"{digest.role}.txt.j2").render(context)
    html = _environment(True).get_template(f"{digest.role}.html.j2").render(context)
    return subject, text, html


def describe(material: dict, assessment: Assessment, settings: Settings,
             today: date) -> list[tuple[str, str, str]]:
    """(problem, what, since) for one material's problems, worded as in the maintainer's
    email: the self-service page tells the same story."""
    items = [_item(material, assessment, p, "new", first_notified=None, reminders=0)
             for p in assessment.problems
             if p.code in MAILED and p.code not in NOT_FOR_MAINTAINERS]
    digest = Digest((material.get("maintainer_email") or "").lower(), "maintainer", items)
    language = _language(settings)
    context = {"digest": digest, "lang": language, "settings": settings,
               "today": today.isoformat(), "sender": parseaddr(settings.smtp.from_)[1]
               or settings.smtp.from_, "allowed": settings.policy.allowed_licences}
    words: Any = _environment(False).get_template(f"_{language}.j2").make_module(context)
    return [(i.problem, str(words.what(i)).strip(), str(words.since(i)).strip())
            for i in items]


def _links(digest: Mail, settings: Settings, now: datetime | None) -> dict:
    """material id -> {action: signed link} for a maintainer's digest; empty without web."""
    if digest.role != "maintainer" or now is None:
        return {}
    from oermonitor import links  # signing keys and itsdangerous, only when rendering

    found = {}
    for group in digest.materials:
        made = links.material_links(settings, group[0].material_id, digest.recipient, now=now)
        if made:
            found[group[0].material_id] = made
    return found


def sender(settings: Settings, signer: str | None = None) -> str:
    """The From address, with the display name "oermonitor" ("Anna de Vries via
    oermonitor" when a coordinator signs) unless the settings give one."""
    name, email = parseaddr(settings.smtp.from_)
    if name or not email:
        return settings.smtp.from_
    return formataddr((f"{signer} via oermonitor" if signer else "oermonitor", email))


def compose(digest: Mail, settings: Settings, today: date, now: datetime) -> EmailMessage:
    subject, text, html = render(digest, settings, today, now)
    msg = build_message(sender=sender(settings, getattr(digest, "signer", None)), to=digest.recipient,
                        to_name=digest.name,
                        subject=subject, text=text, html=html, now=now,
                        reply_to=digest.reply_to)
    if isinstance(digest, report_mail.ReportDigest):
        msg.add_attachment(report_mail.attachment(digest, today), subtype="html",
                           filename=report_mail.filename(today, _language(settings)))
    return msg


def send_offer(store: Store, settings: Settings, material: dict, colleague: str, link: str,
               today: date, now: datetime) -> Delivery:
    """Ask the colleague a maintainer named when letting go whether they take the material
    on (`link`: links.offer_url). Logged like every email; raises MailerDown."""
    language = _language(settings)
    context = {"lang": language, "material": material, "link": link,
               "title": one_line(material.get("title") or material.get("page_title")
                                 or material["url"], 200),
               "by": one_line(material.get("maintainer_name"), 100)
               or (material.get("maintainer_email") or "").lower(),
               "pilot": one_line(material.get("pilot"), 200)}
    text = _environment(False).get_template("offer.txt.j2").render(context)
    html = _environment(True).get_template("offer.html.j2").render(context)
    subject = text.splitlines()[0]
    body = text.split("\n", 2)[2]  # the template's first line is the subject
    message = build_message(sender=sender(settings), to=colleague, to_name=None,
                            subject=one_line(subject, 1000), text=body, html=html, now=now,
                            reply_to=(material.get("coordinator_email") or None))
    with Mailer(settings.smtp, settings.notify.outbox) as mailer:
        delivery = mailer.deliver(message)
    if delivery.status != "failed":
        store.add_notifications([{
            "run_id": None, "material_id": material["id"], "pilot_id": material.get("pilot_id"),
            "recipient": colleague, "role": "colleague", "problem": "offer", "kind": "new",
            "sent_at": iso(now), "day": today.isoformat(), "status": delivery.status,
            "message_id": delivery.message_id}])
    return delivery


def compose_test(settings: Settings, to: str, now: datetime) -> EmailMessage:
    """A short message that proves the mail settings work."""
    language = _language(settings)
    words: Any = _environment(False).get_template(f"_{language}.j2").module
    local = localtime.local(now, settings.zone)
    text = _environment(False).get_template("test.txt.j2").render(
        {"lang": language, "settings": settings, "now": wording.long_datetime(local, language)})
    return build_message(sender=sender(settings), to=to, to_name=None,
                         subject=str(words.test_subject()), text=text, html=None, now=now)


def send_test(settings: Settings, to: str, now: datetime) -> tuple[Delivery, str]:
    """Deliver a test message; returns the delivery and where it went. Raises MailerDown."""
    with Mailer(settings.smtp, settings.notify.outbox) as mailer:
        return mailer.deliver(compose_test(settings, to, now)), mailer.where


# -- the nightly step ------------------------------------------------------------------


def send_due(store: Store, settings: Settings, today: date, now: datetime, *,
             dry_run: bool = False, run_id: int | None = None) -> NotifyReport:
    """Assess every material, plan the digests due today and deliver them.

    Maintainers go first: an address the server refuses is marked bounced, and the
    coordinator summary of the same run then reports those materials as unreachable.
    Last go the coordinators' periodic reports that are due (`report_mail`).
    Raises `NotifyError` (an OperationalError) when messages could not be delivered;
    everything delivered before that is logged, the rest goes out with the next run.
    """
    items = [(row, policy.assess(row, settings.policy, today))
             for row in store.active_materials()]
    log = store.notifications()
    welcomes = plan_welcomes(store.pending_welcomes())
    digests = _after_welcomes(with_actions(plan(items, log, today, settings), store, log,
                                           settings), welcomes)
    reports = report_mail.due_reports(store, settings, log, today)
    report = NotifyReport(dry_run=dry_run, planned=[*welcomes, *digests, *reports])
    if dry_run or not report.planned:
        return report

    with Mailer(settings.smtp, settings.notify.outbox) as mailer:
        try:
            refused = _deliver(store, mailer, report,
                               welcomes + [d for d in digests if d.role == "maintainer"],
                               settings, today, now, run_id)
            if refused:
                items = [_bounced(row, refused[row["maintainer_email"]], now, settings, today)
                         if row.get("maintainer_email") in refused else (row, assessment)
                         for row, assessment in items]
                digests = _after_welcomes(with_actions(plan(items, log, today, settings),
                                                       store, log, settings), welcomes)
                report.planned = [d for d in report.planned if d.role != "coordinator"] + \
                    [d for d in digests if d.role == "coordinator"]
            _deliver(store, mailer, report, [d for d in digests if d.role == "coordinator"],
                     settings, today, now, run_id)
            _deliver(store, mailer, report, reports, settings, today, now, run_id)
        except MailerDown as exc:
            report.error = str(exc)
            done = {id(s.digest) for s in report.results}
            report.pending += [d for d in report.planned if id(d) not in done]
    if report.pending:
        reason = report.error or "; ".join(
            f"{s.delivery.recipient}: {s.delivery.detail}" for s in report.results
            if s.delivery.status == "failed")
        raise NotifyError(
            f"{len(report.pending)} of {len(report.planned)} emails not delivered ({reason}); "
            f"they go out with the next run or `oermonitor notify`", report)
    return report


def _after_welcomes(digests: list[Digest], welcomes: list[Digest]) -> list[Digest]:
    """One mail a run for each maintainer: who is welcomed in this run (a welcome that
    could not go out at the hand-over) hears about problems with the next run."""
    welcomed = {w.recipient for w in welcomes}
    return [d for d in digests if d.role != "maintainer" or d.recipient not in welcomed]


# What maintainers do themselves (the links in their email) that their coordinator hears.
MAINTAINER_ACTIONS = ("confirm", "recheck", "move", "proposal", "release", "reassign")
ACTION = "maintainer_action"  # problem of the log rows that say a coordinator was told


def with_actions(digests: list[Digest], store: Store, log: list[dict],
                 settings: Settings) -> list[Digest]:
    """Add to each pilot's coordinator summary what its maintainers did themselves since
    the previous summary (confirmed, checked again, moved, proposed an address, let go);
    a pilot with only such news gets a summary of its own."""
    if not settings.notify.coordinator_summaries:
        return digests
    last: dict[int, str] = {}
    for row in log:
        if row.get("role") == "coordinator" and row.get("status") in DELIVERED \
                and row.get("pilot_id") is not None:
            last[row["pilot_id"]] = max(last.get(row["pilot_id"], ""), row["sent_at"] or "")
    news: dict[int, list[dict]] = defaultdict(list)
    for event in store.maintainer_events(MAINTAINER_ACTIONS):
        if event["at"] > last.get(event["pilot_id"], ""):
            news[event["pilot_id"]].append(dict(event, title=one_line(event["title"], 200),
                                                url=one_line(event["url"], 2000)))
    if not news:
        return digests
    summaries = {d.pilot_id: d for d in digests if d.role == "coordinator"}
    for pilot in store.pilots():
        coordinator = (pilot.get("coordinator_email") or "").lower()
        if pilot["id"] not in news or not coordinator:
            continue
        digest = summaries.get(pilot["id"])
        if digest is None:
            digest = Digest(coordinator, "coordinator", [], pilot=one_line(pilot["name"], 200),
                            pilot_id=pilot["id"])
            digests.append(digest)
        digest.actions = news[pilot["id"]]
    return digests


def _bounced(row: dict, reason: str, now: datetime, settings: Settings,
             today: date) -> tuple[dict, Assessment]:
    """A material as it stands once its maintainer's address was refused (no_maintainer)."""
    row = dict(row, maintainer_bounced_at=iso(now), maintainer_bounce_reason=reason)
    return row, policy.assess(row, settings.policy, today)


def _deliver(store: Store, mailer: Mailer, report: NotifyReport, digests: Sequence[Mail],
             settings: Settings, today: date, now: datetime,
             run_id: int | None) -> dict[str, str]:
    """Send each digest and log it right after acceptance. Returns refused address -> reason."""
    refused: dict[str, str] = {}
    for digest in digests:
        delivery = mailer.deliver(compose(digest, settings, today, now))
        report.results.append(Sent(digest, delivery))
        if delivery.status == "failed":
            report.pending.append(digest)
            continue
        with store.transaction():
            store.add_notifications(_log_rows(digest, delivery, today, now, run_id))
            if delivery.status == "refused" and digest.role not in COORDINATOR_ROLES:
                store.mark_bounced(digest.recipient, delivery.detail or "refused", now)
            if delivery.delivered and digest.role == "coordinator":
                for item in digest.items:
                    if item.kind == "escalation":
                        lifecycle.unanswered(store, item.material_id, item.reminders, now)
        if delivery.status == "refused" and digest.role not in COORDINATOR_ROLES:
            refused[digest.recipient] = delivery.detail or "refused"
    return refused


def send_welcomes(store: Store, settings: Settings, today: date, now: datetime, *,
                  dry_run: bool = False) -> NotifyReport:
    """Send the welcomes still due (right after a hand-over; `send_due` also does).
    Raises `NotifyError` when some could not be delivered: they go with the next run."""
    welcomes = plan_welcomes(store.pending_welcomes())
    report = NotifyReport(dry_run=dry_run, planned=[*welcomes])
    if dry_run or not welcomes:
        return report
    with Mailer(settings.smtp, settings.notify.outbox) as mailer:
        try:
            _deliver(store, mailer, report, welcomes, settings, today, now, None)
        except MailerDown as exc:
            report.error = str(exc)
            done = {id(s.digest) for s in report.results}
            report.pending += [d for d in welcomes if id(d) not in done]
    if report.pending:
        raise NotifyError(f"{len(report.pending)} welcome email(s) not delivered "
                          f"({report.error or 'refused for now'}); they go out with the "
                          "next run", report)
    return report


def _log_rows(digest: Mail, delivery: Delivery, today: date, now: datetime,
              run_id: int | None) -> list[dict]:
    if isinstance(digest, report_mail.ReportDigest):
        return report_mail.log_rows(digest, delivery.status, delivery.message_id, today,
                                    iso(now), run_id)
    return [
        {"run_id": run_id, "material_id": item.material_id, "pilot_id": item.pilot_id,
         "recipient": digest.recipient, "role": digest.role, "problem": item.problem,
         "kind": item.kind, "sent_at": iso(now), "day": today.isoformat(),
         "status": delivery.status, "message_id": delivery.message_id}
        for item in digest.items
    ] + [
        {"run_id": run_id, "material_id": action["material_id"], "pilot_id": digest.pilot_id,
         "recipient": digest.recipient, "role": digest.role, "problem": ACTION,
         "kind": action["kind"], "sent_at": iso(now), "day": today.isoformat(),
         "status": delivery.status, "message_id": delivery.message_id}
        for action in digest.actions
    ]

"""The SQLite store: the only module that speaks SQL.

Tables:
  pilots, maintainers, materials  the registry (what is monitored, by whom)
  checks                          one row per check of a material (history)
  confirmations                   "still current" statements by maintainers
  notifications                   what was sent to whom about which problem
  runs                            one row per `oermonitor run`
  events                          what people (and oermonitor) did to a material: moved,
                                  retired, handed over, confirmed, muted, ... (who, when)

`materials` also carries a snapshot of the latest check (availability, licence,
dates, fingerprint, HTTP validators) and a `tracking` JSON blob that the policy
folds each check into, so the overview never has to replay history.

Timestamps are UTC ISO strings (`2026-11-30T02:08:18+00:00`), dates `YYYY-MM-DD`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import orjson
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from oermonitor.clock import iso, utcnow  # noqa: F401  (callers may still import them from here)
from oermonitor.errors import BadInput, OperationalError

BUSY_TIMEOUT_MS = 10_000


class OverviewRow(NamedTuple):
    """A material as the overview reads it (`Store.overview_rows`): what `report.record`
    and `policy.assess` need, with its pilot and maintainer joined in.

    A named tuple rather than a dict: `status` makes 100,000 of them, and a tuple costs
    a fraction of a dict to make. It has the fields of a `policy.Material`, so the
    policy judges it as it is.
    """

    id: int
    url: str
    identity: str | None
    title: str | None
    page_title: str | None
    platform_id: str | None
    added_at: str
    tracking: str
    availability: str | None
    status_code: int | None
    error: str | None
    final_url: str | None
    licence: str | None
    licence_scope: str | None
    expected_licence: str | None
    catalogue_licence: str | None
    last_modified: str | None
    last_checked_at: str | None
    evergreen: int
    review_interval_days: int | None
    muted_until: str | None
    mute_reason: str | None
    retired_at: str | None
    retire_reason: str | None
    unowned_since: str | None
    unowned_reason: str | None
    unowned_detail: str | None
    proposed_url: str | None
    # joined in
    pilot: str
    pilot_end_date: str | None
    coordinator_email: str | None
    maintainer_email: str
    maintainer_name: str | None
    maintainer_bounced_at: str | None
    maintainer_bounce_reason: str | None


# Materials (m) with their pilot (p) and maintainer (t), for the views of materials.
_MATERIALS_JOINED = ("materials m join pilots p on p.id = m.pilot_id "
                     "join maintainers t on t.id = m.maintainer_id")
# The columns of an OverviewRow that come from the pilot (p) and maintainer (t).
_JOINED = {"pilot": "p.name", "pilot_end_date": "p.end_date",
           "coordinator_email": "p.coordinator_email", "maintainer_email": "t.email",
           "maintainer_name": "t.name", "maintainer_bounced_at": "t.bounced_at",
           "maintainer_bounce_reason": "t.bounce_reason"}
_OVERVIEW_SELECT = ", ".join(f"{_JOINED[f]} as {f}" if f in _JOINED else f"m.{f}"
                             for f in OverviewRow._fields)

migrations = Migrations("oermonitor")


@migrations()
def m001_registry(db: Database) -> None:
    db["pilots"].create(
        {"id": int, "name": str, "end_date": str, "coordinator_email": str, "created_at": str},
        pk="id",
        not_null={"name"},
    )
    db["pilots"].create_index(["name"], unique=True)
    db["maintainers"].create(
        {"id": int, "email": str, "name": str, "created_at": str, "bounced_at": str,
         "bounce_reason": str},
        pk="id",
        not_null={"email"},
    )
    db["maintainers"].create_index(["email"], unique=True)
    db["materials"].create(
        {
            "id": int,
            "url": str,
            "identity": str,  # platform id (wikiwijs:123) or the URL: one material per identity
            "title": str,  # the registered title (spreadsheet or catalogue)
            "pilot_id": int,
            "maintainer_id": int,
            "expected_licence": str,
            "source": str,  # csv | edurep
            "catalogue_id": str,
            "catalogue_licence": str,
            "catalogue_date": str,
            "evergreen": int,
            "review_interval_days": int,
            "muted_until": str,
            "mute_reason": str,
            "added_at": str,
            "updated_at": str,
            # snapshot of the latest check
            "last_checked_at": str,
            "next_check_at": str,
            "status_code": int,
            "availability": str,
            "error": str,
            "final_url": str,
            "page_title": str,
            "licence": str,
            "licence_scope": str,
            "last_modified": str,
            "content_hash": str,
            "platform_id": str,
            "etag": str,
            "http_last_modified": str,
            "tracking": str,  # JSON: the policy's folded history (failures, licence, changes)
        },
        pk="id",
        not_null={"url", "pilot_id", "maintainer_id"},
        defaults={"evergreen": 0, "source": "csv", "tracking": "{}"},
        foreign_keys=[("pilot_id", "pilots", "id"), ("maintainer_id", "maintainers", "id")],
    )
    db["materials"].create_index(["url"], unique=True)
    db["materials"].create_index(["identity"])
    db["materials"].create_index(["pilot_id"])
    db["materials"].create_index(["maintainer_id"])
    db["materials"].create_index(["next_check_at"])
    db["checks"].create(
        {
            "id": int,
            "material_id": int,
            "run_id": int,
            "checked_at": str,
            "url": str,
            "final_url": str,
            "status_code": int,
            "availability": str,
            "error": str,
            "not_modified": int,
            "elapsed_ms": int,
            "title": str,
            "licence": str,
            "licence_scope": str,
            "licence_all": str,  # JSON list
            "licence_conflict": int,
            "last_modified": str,
            "last_modified_source": str,
            "platform_id": str,
            "content_hash": str,
        },
        pk="id",
        foreign_keys=[("material_id", "materials", "id")],
    )
    db["checks"].create_index(["material_id", "checked_at"])
    db["confirmations"].create(
        {"id": int, "material_id": int, "confirmed_at": str, "by": str, "note": str},
        pk="id",
        foreign_keys=[("material_id", "materials", "id")],
    )
    db["confirmations"].create_index(["material_id"])
    db["notifications"].create(
        {
            "id": int,
            "run_id": int,
            "material_id": int,  # null for a coordinator summary line without material
            "pilot_id": int,
            "recipient": str,
            "role": str,  # maintainer | coordinator
            "problem": str,
            "kind": str,  # new | reminder | escalation | unreachable | resolved
            "sent_at": str,
            "day": str,  # the run's `today`
            "status": str,  # sent | outbox | refused
            "message_id": str,
        },
        pk="id",
    )
    db["notifications"].create_index(["material_id", "problem"])
    db["notifications"].create_index(["recipient"])
    db["runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "today": str,
            "dry_run": int,
            "status": str,  # running | done | interrupted | failed
            "checked": int,
            "emails": int,
            "summary": str,
        },
        pk="id",
    )


@migrations()
def m002_lifecycle(db: Database) -> None:
    """A material's life cycle: retired, without a keeper, a proposed new address;
    and the events table that records every action with who and when."""
    materials = db["materials"]
    for column in ("retired_at", "retire_reason", "unowned_since", "unowned_reason",
                   "unowned_detail", "proposed_url", "proposed_at", "proposed_by",
                   "proposal_note"):
        materials.add_column(column, str)
    db["events"].create(
        {"id": int, "material_id": int, "at": str, "kind": str, "by": str, "detail": str},
        pk="id",
        foreign_keys=[("material_id", "materials", "id")],
    )
    db["events"].create_index(["material_id", "at"])
    db["events"].create_index(["kind"])


@migrations()
def m003_people_names(db: Database) -> None:
    """How people are addressed: a maintainer's first name for the greeting, the
    coordinator's name for the signature."""
    db["maintainers"].add_column("first_name", str)
    db["pilots"].add_column("coordinator_name", str)


@migrations()
def m004_signin_links(db: Database) -> None:
    """Sign-in links for the web pages: one row per request (kept a day, for rate limits)."""
    db["signin_links"].create(
        {"id": int, "email": str, "client": str, "requested_at": str,
         "token_hash": str,  # sha256 of the link's token; null when no link was sent
         "expires_at": str, "used_at": str},
        pk="id",
    )
    db["signin_links"].create_index(["token_hash"], unique=True)
    db["signin_links"].create_index(["requested_at"])


@migrations()
def m005_same_body(db: Database) -> None:
    """Cheap nights: the hash of the raw response the snapshot's facts were read from
    (`body_hash`), and per check whether identical bytes let it reuse them (`same_body`)."""
    db["materials"].add_column("body_hash", str)
    db["checks"].add_column("same_body", int)


class Store:
    """A migrated oermonitor database. Open with `Store.open(path)`."""

    def __init__(self, db: Database, path: Path | None = None):
        self.db = db
        self.path = path

    # -- opening ---------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> Store:
        """Open (and migrate) the database at `path`. WAL mode, busy timeout.

        A SQLite file that holds other tables but was never an oermonitor database
        is refused rather than migrated: a mistyped --db must not scribble in it.
        """
        path = Path(path)
        if path.exists() and path.is_dir():
            raise BadInput(f"{path}: is a folder, not a database file")
        if not path.parent.exists():
            raise BadInput(f"{path}: folder {path.parent} does not exist")
        try:
            conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db = Database(conn)
            db.execute("PRAGMA foreign_keys = ON")
            tables = set(db.table_names())
            if tables and migrations.migrations_table not in tables:
                raise BadInput(f"{path}: not an oermonitor database (it holds other tables: "
                               f"{', '.join(sorted(tables)[:3])})")
            if db.journal_mode != "wal":
                db.enable_wal()
            # With WAL, NORMAL never corrupts (a killed process loses nothing committed;
            # only a power cut may lose the last commits) and saves an fsync per check.
            db.execute("PRAGMA synchronous = NORMAL")
            migrations.apply(db)
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "locked" in text or "busy" in text:
                raise OperationalError(f"{path}: database is locked ({text})") from None
            raise BadInput(f"{path}: not an oermonitor database ({text})") from None
        return cls(db, path)

    @classmethod
    def memory(cls) -> Store:
        db = Database(memory=True)
        migrations.apply(db)
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One write transaction; nested ones become savepoints.

        The outer one starts with BEGIN IMMEDIATE: it waits (busy timeout) for other
        writers up front, instead of failing at once when a read inside it would
        later have to become a write. A database still locked after the timeout is
        an operational failure, not a traceback.
        """
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise OperationalError(f"{self.path}: database is locked ({exc})") from None
        try:
            yield self
        except BaseException:
            self.db.conn.rollback()
            raise
        self.db.execute("COMMIT")

    # -- registry --------------------------------------------------------------

    def pilot_by_name(self, name: str) -> dict | None:
        rows = list(self.db["pilots"].rows_where("name = ?", [name]))
        return rows[0] if rows else None

    def pilots(self) -> list[dict]:
        return list(self.db["pilots"].rows_where(order_by="name"))

    def maintainer_by_email(self, email: str) -> dict | None:
        rows = list(self.db["maintainers"].rows_where("email = ?", [email.lower()]))
        return rows[0] if rows else None

    def ensure_pilot(self, name: str, end_date: str | None, coordinator: str | None,
                     now: datetime, coordinator_name: str | None = None) -> tuple[int, bool]:
        """Insert or update a pilot; returns (id, changed). None values keep what is there."""
        row = self.pilot_by_name(name)
        if row is None:
            pid = self.db["pilots"].insert(
                {"name": name, "end_date": end_date, "coordinator_email": coordinator,
                 "coordinator_name": coordinator_name, "created_at": iso(now)}
            ).last_pk
            return pid, True
        update = {}
        if end_date is not None and end_date != row["end_date"]:
            update["end_date"] = end_date
        if coordinator is not None and coordinator != row["coordinator_email"]:
            update["coordinator_email"] = coordinator
        if coordinator_name is not None and coordinator_name != row["coordinator_name"]:
            update["coordinator_name"] = coordinator_name
        if update:
            self.db["pilots"].update(row["id"], update)
        return row["id"], bool(update)

    def ensure_maintainer(self, email: str, name: str | None, now: datetime,
                          first_name: str | None = None) -> tuple[int, bool]:
        """Insert or update a maintainer; returns (id, changed). None keeps what is there."""
        email = email.lower()
        row = self.maintainer_by_email(email)
        if row is None:
            mid = self.db["maintainers"].insert(
                {"email": email, "name": name, "first_name": first_name, "created_at": iso(now)}
            ).last_pk
            return mid, True
        update = {key: value for key, value in (("name", name), ("first_name", first_name))
                  if value and value != row[key]}
        if update:
            self.db["maintainers"].update(row["id"], update)
        return row["id"], bool(update)

    def material_by_url(self, url: str) -> dict | None:
        rows = list(self.db["materials"].rows_where("url = ?", [url]))
        return rows[0] if rows else None

    def material(self, key: str | int) -> dict | None:
        """A material by id (number) or URL, with its pilot and maintainer joined in."""
        text = str(key).strip()
        is_id = text.isdigit() and len(text) < 19  # beyond SQLite's integers: no such id
        where, params = ("m.id = ?", [int(text)]) if is_id else ("m.url = ?", [text])
        rows = list(self.materials_view(where, params))
        return rows[0] if rows else None

    def upsert_material(self, values: dict, now: datetime) -> tuple[int, str]:
        """Insert or update by URL. Returns (id, "added" | "updated" | "unchanged")."""
        existing = self.material_by_url(values["url"])
        if existing is None:
            row = dict(values, added_at=iso(now), updated_at=iso(now))
            return self.db["materials"].insert(row).last_pk, "added"
        changed = {k: v for k, v in values.items() if existing.get(k) != v}
        if not changed:
            return existing["id"], "unchanged"
        changed["updated_at"] = iso(now)
        self.db["materials"].update(existing["id"], changed)
        return existing["id"], "updated"

    def update_material(self, material_id: int, values: dict) -> None:
        self.db["materials"].update(material_id, _stored(values))

    def materials_by_urls(self, urls: list[str]) -> dict[str, dict]:
        """Registered materials for these URLs, by URL (one query per 500 URLs)."""
        found: dict[str, dict] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.db["materials"].rows_where(f"url in ({marks})", chunk):
                found[row["url"]] = row
        return found

    def identities(self) -> dict[str, str]:
        """identity -> URL of every registered material (for duplicate warnings)."""
        return {identity: url for identity, url in
                self.db.execute("select identity, url from materials order by id desc")}

    def insert_materials(self, rows: list[dict]) -> None:
        if rows:
            self.db["materials"].insert_all(rows, batch_size=1000)

    def update_materials(self, rows: list[dict]) -> None:
        """Partial updates; each row has `id` and the changed columns only."""
        for row in rows:
            values = dict(row)
            self.db["materials"].update(values.pop("id"), values)

    def materials_view(self, where: str = "1 = 1", params: Iterable = (),
                       order_by: str = "m.id", *, also: str = "",
                       join: str = "", columns: str = "m.*") -> Iterator[dict]:
        """Materials joined with pilot and maintainer; `where` uses aliases m, p, t.
        `also` adds columns and `join` a table (see `pending_welcomes`); `columns`
        are the material's columns to give (all by default)."""
        sql = f"""
            select {columns}, p.name as pilot, p.end_date as pilot_end_date,
                   p.coordinator_email as coordinator_email,
                   p.coordinator_name as coordinator_name,
                   t.email as maintainer_email, t.name as maintainer_name,
                   t.first_name as maintainer_first_name,
                   t.bounced_at as maintainer_bounced_at,
                   t.bounce_reason as maintainer_bounce_reason{also}
            from {_MATERIALS_JOINED}
            {join}
            where {where}
            order by {order_by}
        """
        cursor = self.db.execute(sql, list(params))
        names = [c[0] for c in cursor.description]
        for values in cursor:
            yield dict(zip(names, values, strict=True))

    def active_materials(self) -> Iterator[dict]:
        """Materials joined with pilot and maintainer, except the retired ones."""
        return self.materials_view("m.retired_at is null")

    def materials(self, *, pilot: str | None = None, maintainer: str | None = None,
                  catalogue_ids: Iterable[str] | None = None) -> Iterator[dict]:
        """Materials joined with pilot and maintainer, optionally filtered, in id order."""
        where, params = _filters(pilot, maintainer, catalogue_ids)
        return self.materials_view(where, params)

    def overview_rows(self, *, pilot: str | None = None, maintainer: str | None = None,
                      material_id: int | None = None) -> Iterator[OverviewRow]:
        """What the overview reads of each (matching) material, in id order."""
        where, params = _filters(pilot, maintainer)
        if material_id is not None:
            where += " and m.id = ?"
            params.append(material_id)
        cursor = self.db.execute(f"""
            select {_OVERVIEW_SELECT}
            from {_MATERIALS_JOINED}
            where {where}
            order by m.id
        """, params)
        return map(OverviewRow._make, cursor)

    def count_materials(self) -> int:
        return self.db["materials"].count

    # -- history ---------------------------------------------------------------

    def record_check(self, material_id: int, check_row: dict, material_update: dict) -> int:
        """Insert a check and update the material's snapshot in one transaction.

        Plain SQL on the nightly hot path (column names are ours, values are bound):
        sqlite-utils' insert/update re-read the table's schema on every call. Inside the
        caller's transaction (`history.record` holds one per check) no savepoint is made:
        the caller's rollback covers both statements.
        """
        row = dict(check_row, material_id=material_id)
        material_update = _stored(material_update)
        conn = self.db.conn
        with contextlib.nullcontext() if conn.in_transaction else self.transaction():
            check_id = conn.execute(_insert_sql("checks", tuple(row)),
                                    list(row.values())).lastrowid
            conn.execute(_update_sql("materials", tuple(material_update)),
                         [*material_update.values(), material_id])
        return check_id or 0

    def tracking(self, material_id: int) -> dict:
        """The policy's folded history of one material, as stored now."""
        row = self.db.execute("select tracking from materials where id = ?",
                              [material_id]).fetchone()
        return loads(row[0], {}) if row else {}

    def checks(self, material_id: int, limit: int | None = None) -> list[dict]:
        """Check history, newest first."""
        return list(self.db["checks"].rows_where(
            "material_id = ?", [material_id], order_by="checked_at desc, id desc", limit=limit))

    def latest_checks(self, material_ids: Iterable[int]) -> dict[int, dict]:
        """The newest check of each of `material_ids` (those without one are left out),
        in one query instead of one per material."""
        cursor = self.db.execute("""
            select c.* from json_each(?) m
            join checks c on c.id = (select x.id from checks x where x.material_id = m.value
                                     order by x.checked_at desc, x.id desc limit 1)
        """, [json.dumps(list(material_ids))])
        columns = [c[0] for c in cursor.description]
        rows = (dict(zip(columns, values, strict=True)) for values in cursor)
        return {row["material_id"]: row for row in rows}

    def add_confirmation(self, material_id: int, by: str | None, note: str | None,
                         now: datetime) -> int:
        return self.db["confirmations"].insert(
            {"material_id": material_id, "confirmed_at": iso(now), "by": by, "note": note}
        ).last_pk

    def confirmations(self, material_id: int) -> list[dict]:
        return list(self.db["confirmations"].rows_where(
            "material_id = ?", [material_id], order_by="confirmed_at desc, id desc"))

    def notifications(self, material_id: int | None = None,
                      recipient: str | None = None) -> list[dict]:
        clauses: list[str] = []
        params: list[int | str] = []
        if material_id is not None:
            clauses.append("material_id = ?")
            params.append(material_id)
        if recipient is not None:
            clauses.append("recipient = ?")
            params.append(recipient.lower())
        where = " and ".join(clauses) or None
        return list(self.db["notifications"].rows_where(
            where, params, order_by="sent_at desc, id desc"))

    def add_notifications(self, rows: list[dict]) -> None:
        """Log one delivered (or refused) message: one row per material and problem in it."""
        self.db["notifications"].insert_all(rows)

    def mark_bounced(self, email: str, reason: str, now: datetime) -> None:
        """The address no longer works (refused by the server): stop mailing it."""
        self.db.execute(
            "update maintainers set bounced_at = ?, bounce_reason = ? where email = ?",
            [iso(now), reason, email.lower()])

    def clear_bounced(self, email: str) -> bool:
        """The address works again (the coordinator checked it). True if it was marked."""
        cursor = self.db.execute(
            "update maintainers set bounced_at = null, bounce_reason = null "
            "where email = ? and bounced_at is not null", [email.lower()])
        return cursor.rowcount > 0

    # -- life cycle: events, redirect targets, welcomes ----------------------------

    def add_event(self, material_id: int, kind: str, by: str | None, detail: dict | None,
                  now: datetime) -> int:
        """Record one action on a material (`by`: who; None = the operator)."""
        return self.db["events"].insert(
            {"material_id": material_id, "at": iso(now), "kind": kind, "by": by,
             "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False)}).last_pk

    def maintainer_events(self, kinds: Iterable[str]) -> list[dict]:
        """Events of these kinds done by the material's maintainer themselves (or a
        `release`, by whoever kept it then), oldest first, with the material's pilot,
        title and address; retired materials left out."""
        kinds = list(kinds)
        rows = self.db.execute(f"""
            select e.id, e.material_id, e.at, e.kind, e.by, e.detail, m.pilot_id,
                   coalesce(m.title, m.page_title, m.url) as title, m.url
            from events e
            join materials m on m.id = e.material_id
            join maintainers t on t.id = m.maintainer_id
            where e.kind in ({", ".join("?" * len(kinds)) or "null"}) and e.by is not null
              and (e.by = t.email or e.kind = 'release') and m.retired_at is null
            order by e.at, e.id""", kinds)
        columns = [c[0] for c in rows.description]
        return [dict(row, detail=loads(row["detail"], {}))
                for row in (dict(zip(columns, values, strict=True)) for values in rows)]

    def events(self, material_id: int) -> list[dict]:
        """A material's events, newest first, `detail` decoded."""
        return [dict(row, detail=loads(row["detail"], {})) for row in self.db["events"].rows_where(
            "material_id = ?", [material_id], order_by="at desc, id desc")]

    def materials_redirecting_to(self, urls: list[str]) -> dict[str, dict]:
        """Materials whose latest check ended (after redirects) at one of `urls`, by that URL.

        Only those not registered at that URL themselves, and not retired."""
        found: dict[str, dict] = {}
        for start in range(0, len(urls), 500):
            chunk = urls[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.db["materials"].rows_where(
                    f"final_url in ({marks}) and final_url != url and retired_at is null",
                    chunk, order_by="id"):
                found.setdefault(row["final_url"], row)
        return found

    def materials_with_identity(self, key: str) -> list[tuple[int, str]]:
        """(id, url) of every material registered under this identity."""
        return [tuple(row) for row in self.db.execute(
            "select id, url from materials where identity = ? order by id", [key])]

    def materials_with_proposal(self) -> list[dict]:
        """Materials with a proposed new address awaiting the coordinator, oldest first."""
        return list(self.materials_view("m.proposed_url is not null and m.retired_at is null",
                                        order_by="m.proposed_at, m.id"))

    def pending_welcomes(self) -> list[dict]:
        """Materials handed over whose new maintainer has not been welcomed yet.

        One row per material (materials_view columns plus `handed_over_at`, `handed_over_by`):
        its latest hand-over went to the maintainer it has now, it is not retired, the
        address does not bounce, and no welcome about it reached that address since.
        """
        where = """
            m.retired_at is null and t.bounced_at is null and e.id = (
                select max(id) from events where material_id = m.id and kind = 'reassign')
            and json_extract(e.detail, '$.to') = t.email
            and json_extract(e.detail, '$.welcome')
            and not exists (
                select 1 from notifications n where n.material_id = m.id
                and n.problem = 'welcome' and n.recipient = t.email
                and n.status in ('sent', 'outbox') and n.sent_at >= e.at)
        """
        return list(self.materials_view(
            where, order_by="t.email, m.id", join="join events e on e.material_id = m.id",
            also=", e.at as handed_over_at, e.by as handed_over_by"))

    # -- sign-in links (web) -------------------------------------------------------

    def add_signin_request(self, email: str, client: str, now: datetime,
                           token_hash: str | None, expires_at: datetime | None) -> None:
        """Log one request for a sign-in link (token_hash None: no link was sent)."""
        with self.transaction():
            self.db.execute("delete from signin_links where requested_at < ?",
                            [iso(now - timedelta(days=1))])
            self.db["signin_links"].insert(
                {"email": email, "client": client, "requested_at": iso(now),
                 "token_hash": token_hash,
                 "expires_at": iso(expires_at) if expires_at else None})

    def signin_requests_since(self, since: datetime, *, email: str | None = None,
                              client: str | None = None) -> int:
        """How many sign-in links this address or client asked for since `since`."""
        column, value = ("email", email) if email is not None else ("client", client)
        return self.db.execute(
            f"select count(*) from signin_links where {column} = ? and requested_at >= ?",
            [value, iso(since)]).fetchone()[0]

    def use_signin_link(self, token_hash: str, now: datetime) -> tuple[str, str | None]:
        """Spend a sign-in link: ("ok", email) once; else ("used" | "expired" | "unknown",
        None). Spending is one conditional update, so two clicks cannot both sign in."""
        with self.transaction():
            row = self.db.execute("select email, expires_at, used_at from signin_links "
                                  "where token_hash = ?", [token_hash]).fetchone()
            if row is None:
                return "unknown", None
            email, expires_at, used_at = row
            if used_at:
                return "used", None
            if expires_at <= iso(now):
                return "expired", None
            self.db.execute("update signin_links set used_at = ? where token_hash = ? "
                            "and used_at is null", [iso(now), token_hash])
        return "ok", email

    # -- the nightly job: due selection, runs, retention ----------------------------

    def due_materials(self, now: datetime, recheck_after_hours: float) -> list[dict]:
        """Materials to check now: never checked first, then the longest unchecked.

        Retired materials are never due. Due means never checked, or its `next_check_at` has come, or (no
        `next_check_at` recorded) its last check is older than `recheck_after_hours`.
        The order makes a run cut short by its time budget continue fairly next time.
        """
        cutoff = iso(now - timedelta(hours=recheck_after_hours))
        where = ("m.retired_at is null and (m.last_checked_at is null or m.next_check_at <= ? "
                 "or (m.next_check_at is null and m.last_checked_at <= ?))")
        return list(self.materials_view(
            where, [iso(now), cutoff],
            order_by="m.last_checked_at is not null, m.last_checked_at, m.id"))

    def start_run(self, now: datetime, today: str, dry_run: bool) -> int:
        """Log a run as running; a leftover running row is from a killed run."""
        with self.transaction():
            self.db.execute("update runs set status = 'interrupted' where status = 'running'")
            return self.db["runs"].insert(
                {"started_at": iso(now), "today": today, "dry_run": int(dry_run),
                 "status": "running", "checked": 0, "emails": 0}).last_pk

    def finish_run(self, run_id: int, now: datetime, status: str, checked: int,
                   emails: int, summary: dict) -> None:
        with self.transaction():
            self.db["runs"].update(run_id, {
                "finished_at": iso(now), "status": status, "checked": checked,
                "emails": emails, "summary": json.dumps(summary, sort_keys=True)})

    def runs(self, limit: int | None = None) -> list[dict]:
        """Logged runs, newest first."""
        return list(self.db["runs"].rows_where(order_by="id desc", limit=limit))

    def compact_checks(self, before: datetime) -> int:
        """Delete check rows older than `before` that repeat the check before them.

        Kept: every check that changed availability, licence, declared date or
        fingerprint against its predecessor, the first and the last check before
        `before` per material (so the newest always stays), and everything since.
        Deleting only repeats keeps every transition in the history intact. Only
        the old part is scanned, and after the first pass that part holds little
        more than transitions, so a nightly pass stays cheap. Returns rows deleted.
        """
        sql = """
            delete from checks where id in (
                select id from (
                    select id, checked_at, availability, licence, last_modified, content_hash,
                           lag(id) over w as prev_id,
                           lag(availability) over w as prev_availability,
                           lag(licence) over w as prev_licence,
                           lag(last_modified) over w as prev_last_modified,
                           lag(content_hash) over w as prev_content_hash,
                           lead(id) over w as next_id
                    from checks where checked_at < ?
                    window w as (partition by material_id order by checked_at, id)
                )
                where prev_id is not null and next_id is not null
                  and availability is prev_availability and licence is prev_licence
                  and last_modified is prev_last_modified
                  and content_hash is prev_content_hash
            )
        """
        with self.transaction():
            return self.db.execute(sql, [iso(before)]).rowcount


def _filters(pilot: str | None, maintainer: str | None,
             catalogue_ids: Iterable[str] | None = None) -> tuple[str, list]:
    """A `where` over materials m, pilots p and maintainers t, and its parameters."""
    clauses, params = ["1 = 1"], []
    if pilot:
        clauses.append("p.name = ?")
        params.append(pilot)
    if maintainer:
        clauses.append("t.email = ?")
        params.append(maintainer.strip().lower())
    if catalogue_ids is not None:
        ids = list(catalogue_ids)
        clauses.append(f"m.catalogue_id in ({', '.join('?' * len(ids)) or 'null'})")
        params.extend(ids)
    return " and ".join(clauses), params


def dump_tracking(tracking: dict) -> str:
    """A material's `tracking` (see models.Tracking) as stored: JSON, keys sorted."""
    return orjson.dumps(tracking, option=orjson.OPT_SORT_KEYS).decode()


@functools.cache
def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """Insert these columns (the statement text is made once per shape)."""
    names = ", ".join(f'"{c}"' for c in columns)
    return f"insert into {table} ({names}) values ({', '.join('?' * len(columns))})"


@functools.cache
def _update_sql(table: str, columns: tuple[str, ...]) -> str:
    """Set these columns of the row with a given id (bound last)."""
    assignments = ", ".join(f'"{c}" = ?' for c in columns)
    return f"update {table} set {assignments} where id = ?"


def _stored(values: dict) -> dict:
    """Column values as stored: a `tracking` dict becomes its JSON text."""
    if isinstance(values.get("tracking"), dict):
        return {**values, "tracking": dump_tracking(values["tracking"])}
    return values


def loads(text: str | None, default=None):
    """Decode a JSON column, tolerating NULL."""
    if not text:
        return default
    return orjson.loads(text)

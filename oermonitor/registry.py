"""The material registry: the coordinator's spreadsheet in, validated rows out.

    rows = read_csv(path)                      # BadInput listing every bad row
    summary = register(store, rows, now)       # all-or-nothing upsert by URL

Validation happens on every row before anything is written; `register` runs in
one transaction, so an error half-way leaves the database as it was.

A coordinator who replaces a material's address in the spreadsheet and imports
again gets that material moved, not a second one: a new URL that is a registered
material's recorded redirect target, or the same material (identity: Wikiwijs
arrangement id, or the same page spelt differently) as a registered URL that is
no longer in the spreadsheet, moves that material (`lifecycle.move`). Materials
of the spreadsheet's pilots that are missing from it are reported (`missing`) and,
with `prune`, retired.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from oermonitor import licences, lifecycle
from oermonitor.clock import iso, typed_date
from oermonitor.errors import BadInput
from oermonitor.identity import identity
from oermonitor.store import Store
from oermonitor.validate import email_problem, url_problem

MAX_ERROR_LINES = 50  # a sheet with 10,000 bad rows needs the first few and a count

REQUIRED = ("url", "maintainer_email", "pilot")
OPTIONAL = ("title", "maintainer_name", "pilot_end_date", "coordinator_email", "expected_licence",
            "maintainer_first_name", "coordinator_name")
CATALOGUE_FIELDS = ("catalogue_id", "catalogue_licence", "catalogue_date")


@dataclass
class MaterialRow:
    url: str
    maintainer_email: str
    pilot: str
    title: str | None = None
    maintainer_name: str | None = None
    pilot_end_date: str | None = None  # ISO after validation
    coordinator_email: str | None = None
    expected_licence: str | None = None
    maintainer_first_name: str | None = None  # for the greeting; else maintainer_name's first word
    coordinator_name: str | None = None  # signs the emails to the pilot's maintainers
    source: str = "csv"
    catalogue_id: str | None = None
    catalogue_licence: str | None = None
    catalogue_date: str | None = None
    line: int | None = None


@dataclass
class ImportSummary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    pilots_changed: int = 0
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False
    moved: list[dict] = field(default_factory=list)  # {"id", "from", "to", "line"}
    missing: list[dict] = field(default_factory=list)  # materials rows not in the file
    pruned: list[dict] = field(default_factory=list)  # of `missing`, retired (prune)

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + len(self.moved)


# -- reading -------------------------------------------------------------------


def decode(raw: bytes, where: str) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM); Excel's "Unicode text" (UTF-16 with BOM) and an
    export in Windows-1252 are read as such."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), []
        except UnicodeDecodeError:
            raise BadInput(f"{where}: broken UTF-16 text; save the spreadsheet as "
                           "'CSV UTF-8 (door lijstscheidingsteken gescheiden)'") from None
    if b"\x00" in raw:
        raise BadInput(f"{where}: not a text file (it contains NUL bytes); save the spreadsheet "
                       "as 'CSV UTF-8 (door lijstscheidingsteken gescheiden)'")
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        raise BadInput(f"{where}: not UTF-8 text; save the spreadsheet as "
                       "'CSV UTF-8 (door lijstscheidingsteken gescheiden)'") from None
    return text, [f"{where}: file is not UTF-8; read it as Windows-1252 (Excel)"]


def sniff_delimiter(header_line: str) -> str:
    """`,`, `;` (Dutch Excel) or a tab (Excel's "Unicode text"): the most frequent in the header."""
    return max((",", ";", "\t"), key=header_line.count)


def read_csv(path: str | Path) -> tuple[list[MaterialRow], list[str]]:
    """Read and validate a spreadsheet. Returns (rows, warnings); BadInput on any bad row."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{where}: file not found") from None
    except IsADirectoryError:
        raise BadInput(f"{where}: is a folder, not a CSV file") from None
    except OSError as exc:
        raise BadInput(f"{where}: cannot read ({exc.strerror})") from None
    text, warnings = decode(raw, where)
    return parse_csv(text, where, warnings)


def parse_csv(text: str, where: str, warnings: list[str] | None = None
              ) -> tuple[list[MaterialRow], list[str]]:
    warnings = list(warnings or [])
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise BadInput(f"{where}:1: no header row (expected columns {', '.join(REQUIRED)})")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as exc:
        raise BadInput(f"{where}:1: {exc}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadInput(f"{where}:1: missing required column(s): {', '.join(missing)}")
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise BadInput(f"{where}:1: column(s) appear twice: {', '.join(dupes)}")
    unknown = [h for h in header if h and h not in REQUIRED + OPTIONAL]
    if unknown:
        warnings.append(f"{where}:1: unknown column(s) ignored: {', '.join(unknown)}")
    rows: list[MaterialRow] = []
    errors: list[str] = []
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"{where}:{line}: {exc}")
            break
        start, line = line, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
            warnings.append(f"{where}:{start}: {len(cells)} cells but {len(header)} columns in "
                            "the header; the extra cells are ignored")
        values = {name: (cells[i].strip() if i < len(cells) else "")
                  for i, name in enumerate(header) if name}
        optional: dict[str, Any] = {k: values.get(k) or None for k in OPTIONAL}
        row = MaterialRow(
            url=values["url"], maintainer_email=values["maintainer_email"],
            pilot=values["pilot"], line=start, **optional,
        )
        problem = row_problem(row)
        if problem:
            errors.append(f"{where}:{start}: {problem}")
        else:
            rows.append(row)
    errors.extend(cross_row_problems(rows, where))
    if errors:
        raise BadInput("\n".join(errors[:MAX_ERROR_LINES]) + (
            f"\n{where}: ... and {len(errors) - MAX_ERROR_LINES} more"
            if len(errors) > MAX_ERROR_LINES else "")
            + f"\n{where}: {len(errors)} invalid row(s); nothing imported")
    warnings.extend(duplicate_warnings(rows, where))
    return rows, warnings


# -- validation ----------------------------------------------------------------


def row_problem(row: MaterialRow) -> str | None:
    """The first thing wrong with one row (mutates it into normal form), else None."""
    for name in REQUIRED:
        if not getattr(row, name):
            return f"{name} is empty"
    problem = url_problem(row.url) or email_problem("maintainer_email", row.maintainer_email)
    if problem:
        return problem
    row.maintainer_email = row.maintainer_email.lower()
    if row.coordinator_email:
        problem = email_problem("coordinator_email", row.coordinator_email)
        if problem:
            return problem
        row.coordinator_email = row.coordinator_email.lower()
    if row.pilot_end_date:
        parsed = typed_date(row.pilot_end_date)
        if parsed is None:
            return (f"pilot_end_date {row.pilot_end_date!r} is not a date "
                    "(use YYYY-MM-DD or DD-MM-YYYY)")
        row.pilot_end_date = parsed
    if row.expected_licence:
        canonical = licence_id(row.expected_licence)
        if canonical is None:
            return (f"expected_licence {row.expected_licence!r} is not a licence id "
                    "(for example CC-BY-4.0, CC-BY-SA-4.0, CC0-1.0)")
        row.expected_licence = canonical
    return None


def licence_id(text: str) -> str | None:
    """A canonical licence id as spreadsheets spell it: `cc-by-sa-4.0`, `CC BY 3,0 NL`.

    Only the spelling is forgiven; an id that is not one (`CC-BY-99`) stays an error.
    """
    text = text.strip()
    if licences.is_canonical(text) or licences.is_canonical(text.lower()):
        return text if licences.is_canonical(text) else text.lower()
    spelled = re.sub(r"[\s_]+", "-", text.upper().replace(",", "."))
    return spelled if licences.is_canonical(spelled) else None


def cross_row_problems(rows: list[MaterialRow], where: str) -> list[str]:
    """Conflicts between rows: two end dates for one pilot, one URL twice."""
    errors = []
    end_dates: dict[str, tuple[str, int | None]] = {}
    coordinators: dict[str, tuple[str, int | None]] = {}
    coordinator_names: dict[str, tuple[str, int | None]] = {}
    urls: dict[str, int | None] = {}
    for row in rows:
        for value, seen, label in ((row.pilot_end_date, end_dates, "pilot_end_date"),
                                   (row.coordinator_email, coordinators, "coordinator_email"),
                                   (row.coordinator_name, coordinator_names,
                                    "coordinator_name")):
            if not value:
                continue
            first = seen.setdefault(row.pilot, (value, row.line))
            if first[0] != value:
                errors.append(f"{where}:{row.line}: pilot {row.pilot!r} has {label} {value} "
                              f"here but {first[0]} on line {first[1]}")
        if row.url in urls:
            errors.append(f"{where}:{row.line}: url is already on line {urls[row.url]}")
        urls.setdefault(row.url, row.line)
    return errors


def duplicate_warnings(rows: list[MaterialRow], where: str) -> list[str]:
    """The same arrangement registered under two URLs (http/https, slug, ?template=simple)."""
    seen: dict[str, MaterialRow] = {}
    warnings = []
    for row in rows:
        key = identity(row.url)
        if key in seen:
            warnings.append(f"{where}:{row.line}: same material ({key}) as line "
                            f"{seen[key].line}: {seen[key].url}")
        seen.setdefault(key, row)
    return warnings


def validate_rows(rows: list[MaterialRow], where: str) -> list[str]:
    """Validate rows built elsewhere (Edurep). BadInput on errors; returns warnings."""
    errors = [f"{where}: {row.url}: {p}" for row in rows if (p := row_problem(row))]
    errors.extend(cross_row_problems(rows, where))
    if errors:
        raise BadInput("\n".join(errors))
    return duplicate_warnings(rows, where)


# -- writing -------------------------------------------------------------------


class _Rollback(Exception):
    pass


def register(store: Store, rows: list[MaterialRow], now: datetime, *,
             dry_run: bool = False, complete: str | None = None,
             prune: bool = False) -> ImportSummary:
    """Upsert rows by URL in one transaction (rolled back again for a dry run).

    `complete`: the name of a spreadsheet that lists *all* materials of its pilots;
    registered ones missing from it are then reported in `missing`, and retired
    with `prune` (each with that name in the reason)."""
    summary = ImportSummary(dry_run=dry_run)
    try:
        with store.transaction():
            _register(store, rows, now, summary)
            if complete is not None:
                _missing(store, rows, summary)
                if prune:
                    for material in summary.missing:
                        lifecycle.retire(store, material, by=None, now=now,
                                         reason=f"no longer in the spreadsheet {complete} "
                                                "(import --prune)")
                        summary.pruned.append(material)
            if dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return summary


def _missing(store: Store, rows: list[MaterialRow], summary: ImportSummary) -> None:
    """Registered (spreadsheet, not retired) materials of the file's pilots not in it."""
    urls = {row.url for row in rows}
    for pilot in dict.fromkeys(row.pilot for row in rows):
        summary.missing += [m for m in store.materials(pilot=pilot)
                            if m["source"] == "csv" and not m["retired_at"]
                            and m["url"] not in urls]


def _moves(store: Store, rows: list[MaterialRow], existing: dict[str, dict],
           now: datetime, summary: ImportSummary) -> None:
    """Move registered materials whose new address a row gives (see the module doc)."""
    listed = {row.url for row in rows}
    new = [row for row in rows if row.url not in existing]
    targets = store.materials_redirecting_to([row.url for row in new])
    taken: set[int] = set()
    for row in new:
        found = targets.get(row.url)
        candidates = [found] if found and found["url"] not in listed else [
            store.material(mid) for mid, url in store.materials_with_identity(identity(row.url))
            if url not in listed]
        candidates = [c for c in candidates if c and not c["retired_at"] and c["id"] not in taken]
        if len(candidates) != 1:
            continue
        material = candidates[0]
        lifecycle.move(store, material, row.url, by=None, now=now, via="import")
        taken.add(material["id"])
        summary.moved.append({"id": material["id"], "from": material["url"], "to": row.url,
                              "line": row.line})


def _register(store: Store, rows: list[MaterialRow], now: datetime,
              summary: ImportSummary) -> None:
    pilots: dict[str, int] = {}
    maintainers: dict[str, int] = {}
    pilot_values = _pilot_values(rows)
    for name, (end_date, coordinator, coordinator_name) in pilot_values.items():
        pilots[name], pilot_changed = store.ensure_pilot(name, end_date, coordinator, now,
                                                         coordinator_name)
        summary.pilots_changed += pilot_changed
    existing = store.materials_by_urls([r.url for r in rows])
    _moves(store, rows, existing, now, summary)
    if summary.moved:
        existing = store.materials_by_urls([r.url for r in rows])
    moved = {m["id"] for m in summary.moved}
    identities = store.identities()
    new_rows, updates = [], []
    for row in rows:
        email = row.maintainer_email
        if email not in maintainers:
            maintainers[email] = store.ensure_maintainer(
                email, row.maintainer_name, now, row.maintainer_first_name)[0]
        elif row.maintainer_name or row.maintainer_first_name:
            store.ensure_maintainer(email, row.maintainer_name, now, row.maintainer_first_name)
        values = _material_values(row, pilots[row.pilot], maintainers[email])
        current = existing.get(row.url)
        if current is None:
            other = identities.get(values["identity"])
            if other and other != row.url:
                summary.warnings.append(
                    f"{row.url}: same material ({values['identity']}) is already "
                    f"registered as {other}")
            new_rows.append(dict(values, added_at=iso(now), updated_at=iso(now)))
            summary.added += 1
            continue
        changed = {k: v for k, v in values.items() if current.get(k) != v}
        if "maintainer_id" in changed and not current["retired_at"]:
            # another maintainer in the spreadsheet: a hand-over (history, welcome)
            lifecycle.reassign(store, _fresh(store, current["id"]), to_email=email,
                               to_name=row.maintainer_name, by=None, now=now, via="import")
        if changed:
            updates.append(dict(changed, id=current["id"], updated_at=iso(now)))
        if current["id"] in moved:
            continue  # counted as moved
        if changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
    store.insert_materials(new_rows)
    store.update_materials(updates)


def _pilot_values(rows: list[MaterialRow]) -> dict[str, tuple[str | None, ...]]:
    """Per pilot: (end date, coordinator email, coordinator name), the first given."""
    values: dict[str, tuple[str | None, ...]] = {}
    for row in rows:
        end, coord, name = values.get(row.pilot, (None, None, None))
        values[row.pilot] = (end or row.pilot_end_date, coord or row.coordinator_email,
                             name or row.coordinator_name)
    return values


def _material_values(row: MaterialRow, pilot_id: int, maintainer_id: int) -> dict:
    values = {
        "url": row.url,
        "identity": identity(row.url),
        "title": row.title,
        "pilot_id": pilot_id,
        "maintainer_id": maintainer_id,
        "expected_licence": row.expected_licence,
        "source": row.source,
    }
    if row.source != "csv":
        values.update({k: getattr(row, k) for k in CATALOGUE_FIELDS})
    return values


def _fresh(store: Store, material_id: int) -> dict:
    material = store.material(material_id)
    assert material is not None, "a material is never deleted"
    return material

"""The overview commands through the real CLI: status, show, confirm, mute, evergreen."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from oermonitor import history, policy, report
from oermonitor.cli import main
from oermonitor.settings import Settings
from oermonitor.store import Store
from tests.test_history import Harness, at

REQUIRED = {"id", "url", "title", "pilot", "maintainer_email", "state", "problems",
            "availability", "licence", "last_modified", "last_checked"}


def run(db, *args):
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result


@pytest.fixture
def db(tmp_path):
    """One material in every state, judged on 2025-09-01 (pilot A ended 2025-06-30)."""
    path = tmp_path / "oermonitor.db"
    h = Harness(path)
    end = "2025-06-30"
    ok = h.add("https://example.org/ok", end=end, title="Breuken oefenen")
    h.check(ok, "2025-08-31", modified="2025-05-01")
    broken = h.add("https://example.org/broken", end=end, title="Weg")
    h.check(broken, "2025-08-30", modified="2025-05-01")
    h.check(broken, "2025-08-31", "missing", status=404)
    h.check(broken, "2025-09-01", "missing", status=404)
    failing = h.add("https://example.org/failing", end=end, title="Even weg",
                    added="2025-01-01")
    h.check(failing, "2025-08-31", "timeout", status=None)
    moved = h.add("https://example.org/moved", end=end, title="Verhuisd")
    h.check(moved, "2025-08-31", "moved", final_url="https://example.org/new-home",
            modified="2025-05-01")
    licence = h.add("https://example.org/nc", end=end, title="Beperkt")
    h.check(licence, "2025-08-31", licence="CC-BY-NC-4.0", modified="2025-05-01")
    stale = h.add("https://example.org/stale", end=end, added="2020-01-01")
    h.check(stale, "2025-08-31", modified="2021-01-01", title="Oud\x1b[31m materiaal\x07")
    h.add("https://example.org/new", pilot="Pilot B", end=None, title="=HYPERLINK(1)",
          coordinator_email="coord@school.nl")
    h.store.close()
    return path


def status_json(db, *args) -> list[dict]:
    result = run(db, "status", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_json_has_every_state_and_the_contract_keys(db):
    records = status_json(db, "--today", "2025-09-01")
    assert all(set(r) >= REQUIRED for r in records)
    by_url = {r["url"].rsplit("/", 1)[1]: r for r in records}
    assert {k: r["state"] for k, r in by_url.items()} == {
        "ok": "ok", "broken": "broken", "failing": "failing", "moved": "moved",
        "nc": "licence_issue", "stale": "stale", "new": "unchecked"}
    assert by_url["broken"]["problems"] == ["broken"]
    assert by_url["nc"]["problems"] == ["licence_not_open"]
    assert by_url["moved"]["problem_details"][0]["detail"] == {
        "new_url": "https://example.org/new-home"}
    assert by_url["ok"]["licence"] == "CC-BY-4.0" and by_url["ok"]["problems"] == []
    assert by_url["ok"]["last_checked"] == "2025-08-31T02:00:00+00:00"
    assert by_url["ok"]["last_modified"] == "2025-05-01"
    assert by_url["new"]["last_checked"] is None and by_url["new"]["availability"] is None


def test_title_falls_back_to_the_page_title_without_control_characters(db):
    records = status_json(db, "--today", "2025-09-01")
    stale = next(r for r in records if r["url"].endswith("/stale"))
    assert stale["title"] == "Oud[31m materiaal"


def test_today_gives_a_what_if_view(db):
    before = {r["url"]: r["state"] for r in status_json(db, "--today", "2025-06-30")}
    assert before["https://example.org/stale"] == "ok"  # the pilot has not ended yet
    after = {r["url"]: r["state"] for r in status_json(db, "--today", "2026-05-02")}
    assert after["https://example.org/ok"] == "stale"  # 2025-05-01 + 365 days passed


def test_filters(db):
    assert {r["pilot"] for r in status_json(db, "--pilot", "Pilot B")} == {"Pilot B"}
    assert status_json(db, "--maintainer", "TEACHER@school.nl", "--pilot", "Pilot A")
    assert status_json(db, "--maintainer", "someone@else.nl") == []
    states = {r["state"] for r in status_json(db, "--today", "2025-09-01",
                                              "--state", "broken", "--state", "moved")}
    assert states == {"broken", "moved"}


def test_bad_state_is_a_usage_error(db):
    assert run(db, "status", "--state", "weird").exit_code == 2


def csv_rows(db, *args) -> list[dict]:
    result = run(db, *args, "status", "--csv", "--today", "2025-09-01")
    assert result.exit_code == 0, result.output
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_csv_opens_in_dutch_excel(db):
    rows = csv_rows(db)
    assert len(rows) == 7
    assert list(rows[0])[:13] == [
        "id", "url", "titel", "pilot", "einddatum pilot", "e-mail coördinator",
        "e-mail beheerder", "beheerder", "state", "toestand", "problems", "probleem", "sinds"]
    assert set(rows[0]) >= {"id", "url", "pilot", "state", "problems", "availability"}
    broken = next(r for r in rows if r["url"].endswith("/broken"))
    assert broken["state"] == "broken" and broken["problems"] == "broken"
    assert broken["toestand"] == "link werkt niet"
    assert broken["probleem"] == ("link werkt niet: pagina bestaat niet (foutcode 404), "
                                  "2 controles op rij, sinds 31 augustus 2025")
    nc = next(r for r in rows if r["url"].endswith("/nc"))
    assert nc["probleem"].startswith("geen open licentie (CC BY-NC 4.0: NC verbiedt commercieel")
    formula = next(r for r in rows if r["pilot"] == "Pilot B")
    assert formula["titel"] == "'=HYPERLINK(1)"  # never run as a formula
    assert formula["e-mail coördinator"] == "coord@school.nl"
    assert broken["einddatum pilot"] == "2025-06-30"


def test_csv_dates_have_one_sortable_format_per_column(db):
    rows = csv_rows(db)
    day, minute = re.compile(r"^\d{4}-\d{2}-\d{2}$"), re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
    for column in ("einddatum pilot", "sinds", "laatst gewijzigd", "laatst onderhouden",
                   "verouderd vanaf"):
        values = [r[column] for r in rows if r[column]]
        assert values and all(day.match(v) for v in values), column
    checked = [r["laatst gecontroleerd"] for r in rows if r["laatst gecontroleerd"]]
    assert checked and all(minute.match(v) for v in checked)
    ok = next(r for r in rows if r["url"].endswith("/ok"))
    assert ok["laatst gecontroleerd"] == "2025-08-31 04:00"  # local time, summer


def test_csv_in_english_keeps_the_json_names(db, tmp_path):
    config = tmp_path / "en.toml"
    config.write_text('language = "en"\n[general]\ntimezone = "UTC"\n', encoding="utf-8")
    rows = csv_rows(db, "--config", str(config))
    assert set(rows[0]) >= REQUIRED | {"pilot_end_date", "coordinator_email", "problem"}
    broken = next(r for r in rows if r["url"].endswith("/broken"))
    assert broken["problem"].startswith("link broken: page does not exist (error code 404)")
    assert broken["last_checked"] == "2025-09-01 02:00"


def test_text_summary_and_attention_list_worst_first(db):
    result = run(db, "status", "--today", "2025-09-01")
    assert result.exit_code == 0
    out = result.stdout
    assert "\x1b" not in out and "\x07" not in out  # no colours or page escapes off a tty
    assert "Pilot A (ended 2025-06-30): 6 materials" in out
    assert "Pilot B (running): 1 material\n  coordinator coord@school.nl\n" in out
    attention = out[out.index("Needs attention"):]
    order = [attention.index(s) for s in ("broken", "licence_issue", "stale", "failing",
                                           "moved")]
    assert order == sorted(order)
    assert "- moved to https://example.org/new-home, since 31 August 2025" in attention
    assert "- not openly licensed (CC BY-NC 4.0: NC forbids commercial reuse)" in attention
    assert "restricted" not in attention
    assert "Breuken oefenen" not in attention  # ok materials need no attention


def test_json_and_csv_together_is_a_usage_error(db):
    assert run(db, "status", "--json", "--csv").exit_code == 2


def test_show_text_and_json(db):
    store = Store.open(db)
    mid = store.material_by_url("https://example.org/broken")["id"]
    store.db["notifications"].insert({
        "material_id": mid, "recipient": "teacher@school.nl", "role": "maintainer",
        "problem": "broken", "kind": "new", "sent_at": "2025-09-01T03:00:00+00:00",
        "day": "2025-09-01", "status": "sent"})
    history.confirm(store, store.material(mid), "teacher@school.nl", "kijk ik naar",
                    at("2025-09-01", 4))
    store.close()
    result = run(db, "show", str(mid), "--today", "2025-09-01")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"#{mid} Weg" in out and "teacher@school.nl" in out and "broken" in out
    assert ("link broken: page does not exist (error code 404), 2 checks in a row, since "
            "31 August 2025") in out
    lines = out[out.index("History (newest first, times in Europe/Amsterdam):"):]
    assert ("2025-09-01 06:00  confirmed still current by teacher@school.nl: kijk ik naar"
            in lines)
    assert ("2025-09-01 05:00  emailed the maintainer teacher@school.nl: link broken "
            "(first notice)") in lines
    assert "changed: online -> page does not exist" in lines
    assert "checked: page does not exist (HTTP 404)" in lines
    for code in ("-> missing", "availability", "about broken", "notification", " new "):
        assert code not in lines  # no internal codes
    detail = json.loads(run(db, "show", "https://example.org/broken", "--json",
                            "--today", "2025-09-01").stdout)
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[:2] == ["confirmation", "notification"]
    assert kinds.count("check") == 3 and "change" in kinds
    assert detail["state"] == "broken" and detail["pilot"] == "Pilot A"


def test_unknown_material_is_one_line_exit_1(db):
    for args in (["show", "999"], ["confirm", "https://nowhere.example/"],
                 ["mute", "999", "--off"], ["evergreen", "999"]):
        result = run(db, *args)
        assert result.exit_code == 1
        assert result.stderr.count("\n") == 1 and "no material" in result.stderr


def recent_material(tmp_path) -> tuple:
    """A material whose pilot ended long before the real today, unmaintained since."""
    path = tmp_path / "recent.db"
    h = Harness(path)
    today = date.today()
    mid = h.add("https://example.org/old", end=(today - timedelta(days=800)).isoformat(),
                added=(today - timedelta(days=900)).isoformat())
    h.check(mid, (today - timedelta(days=1)).isoformat(),
            modified=(today - timedelta(days=700)).isoformat())
    h.store.close()
    return path, mid


def test_confirm_resets_the_stale_clock(tmp_path):
    path, mid = recent_material(tmp_path)
    assert status_json(path)[0]["state"] == "stale"
    result = run(path, "confirm", str(mid), "--by", "teacher@school.nl", "--note", "klopt")
    assert result.exit_code == 0 and "Confirmed" in result.stdout
    (record,) = status_json(path)
    assert record["state"] == "ok"
    assert record["last_maintained"] == datetime.now(UTC).date().isoformat()
    timeline = json.loads(run(path, "show", str(mid), "--json").stdout)["timeline"]
    assert timeline[0]["kind"] == "confirmation" and timeline[0]["note"] == "klopt"


def test_confirm_by_is_checked_trimmed_and_lower_cased(tmp_path):
    path, mid = recent_material(tmp_path)
    assert run(path, "confirm", str(mid), "--by", "geen adres").exit_code == 1
    result = run(path, "confirm", str(mid), "--by", " Teacher@School.nl ")
    assert result.exit_code == 0
    timeline = json.loads(run(path, "show", str(mid), "--json").stdout)["timeline"]
    assert timeline[0]["kind"] == "confirmation"
    assert timeline[0]["by"] == "teacher@school.nl"


def test_mute_and_unmute(tmp_path):
    path, mid = recent_material(tmp_path)
    until = (date.today() + timedelta(days=30)).isoformat()
    result = run(path, "mute", str(mid), "--until", until, "--reason", "nieuwe versie")
    assert result.exit_code == 0
    (record,) = status_json(path)
    assert record["muted"] and record["muted_until"] == until
    assert record["mute_reason"] == "nieuwe versie" and record["state"] == "stale"
    assert status_json(path, "--today", (date.today() + timedelta(days=31)).isoformat()
                       )[0]["muted"] is False
    assert run(path, "mute", str(mid), "--off").exit_code == 0
    assert status_json(path)[0]["muted"] is False
    assert run(path, "mute", str(mid), "--until", until).exit_code == 1  # reason needed
    assert run(path, "mute", str(mid), "--until", "2001-01-01", "--reason", "x"
               ).exit_code == 1


def test_evergreen_and_review_interval(tmp_path):
    path, mid = recent_material(tmp_path)
    assert run(path, "evergreen", str(mid)).exit_code == 0
    (record,) = status_json(path)
    assert record["state"] == "ok" and record["evergreen"] is True
    assert run(path, "evergreen", str(mid), "--off").exit_code == 0
    assert status_json(path)[0]["state"] == "stale"
    assert run(path, "review-every", str(mid), "1000").exit_code == 0
    assert status_json(path)[0]["state"] == "ok"
    assert run(path, "review-every", str(mid), "--off").exit_code == 0
    assert status_json(path)[0]["state"] == "stale"


def test_status_fits_the_terminal_on_the_demo_data(tmp_path):
    workspace = tmp_path / "demo"
    assert CliRunner().invoke(main, ["demo", "--keep", str(workspace)]).exit_code == 0
    config = str(workspace / "demo.toml")
    for columns in (80, 60):
        result = CliRunner(env={"COLUMNS": str(columns)}).invoke(
            main, ["--config", config, "status"])
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert max(len(line) for line in lines) <= columns, columns
        words = {w for line in lines for w in line.split()}
        assert {"Kommagetallen", "oefenen", "December", "2026"} <= words  # none broken
    narrow = CliRunner(env={"COLUMNS": "60"}).invoke(main, ["--config", config, "status"])
    assert "http://127.0.0.1:" in narrow.stdout and "/…/Grafieken_lezen_en_maken" in narrow.stdout


def test_status_right_after_import_says_how_to_start(tmp_path):
    sheet = tmp_path / "materialen.csv"
    sheet.write_text("url,maintainer_email,pilot\nhttps://example.org/les,a@school.nl,Taal\n",
                     encoding="utf-8")
    db = tmp_path / "oermonitor.db"
    assert run(db, "import", str(sheet)).exit_code == 0
    out = run(db, "status").stdout
    assert "Nothing has been checked yet." in out and "oermonitor run" in out
    assert "Nothing needs attention" not in out


def test_status_json_is_the_whole_list_byte_for_byte(db):
    """`status --json` writes the records as they come; the bytes are those of the
    whole list dumped at once."""
    with Store.open(db) as store:
        for args, states in (((), ()), (("--state", "broken", "--state", "ok"), ("broken", "ok")),
                             (("--pilot", "Pilot C"), ())):
            pilot = "Pilot C" if "--pilot" in args else None
            records = report.overview(store, Settings().policy, date(2025, 9, 1), pilot=pilot,
                                      states=states)
            result = run(db, "status", "--json", "--today", "2025-09-01", *args)
            assert result.exit_code == 0, result.output
            assert result.stdout_bytes == report.to_json(records)
    assert result.stdout_bytes == b"[]\n"


@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 250])
def test_json_in_pieces_equals_the_whole_list(n):
    records = [{"id": i, "title": f"Les {i} \u00e9\u202e\n", "problems": ["stale"] * (i % 3),
                "problem_details": [{"code": "stale", "detail": {"days": i, "was": None}}]
                * (i % 2), "detail": {}, "muted": i % 2 == 0} for i in range(n)]
    out = io.BytesIO()
    report.write_json(iter(records), out)
    assert out.getvalue() == report.to_json(records)


def test_overview_rows_are_judged_as_the_full_rows(db):
    """The overview judges its lean rows; the nightly mail plan judges full
    `materials_view` rows: both must come to the same judgement."""
    settings = Settings().policy
    with Store.open(db) as store:
        store.db.execute("update maintainers set bounced_at = '2025-08-01T02:00:00+00:00', "
                         "bounce_reason = '550 no such user'")
        store.update_material(2, {"muted_until": "2025-12-31", "mute_reason": "verbouwing",
                                  "retired_at": None})
        store.update_material(3, {"unowned_since": "2025-07-01T00:00:00+00:00",
                                  "unowned_reason": "released",
                                  "unowned_detail": '{"note": "geen tijd"}'})
        rows = list(store.overview_rows())
        assert set(policy.Material._fields) <= set(type(rows[0])._fields)
        assert len(rows) == 7
        for row in rows:
            full = store.material(row.id)
            for day in (date(2025, 6, 1), date(2025, 9, 1), date(2027, 1, 1)):
                assert policy.assess(row, settings, day) == policy.assess(full, settings, day)


def test_status_json_into_a_reader_that_stops_early_ends_quietly(tmp_path):
    """`oermonitor status --json | head -c 100`: no error, no traceback, exit 0."""
    import subprocess
    import sys

    from oermonitor.clock import utcnow
    from oermonitor.registry import MaterialRow, register

    database = tmp_path / "o.db"
    with Store.open(database) as store:  # far more JSON than a pipe holds
        register(store, [MaterialRow(url=f"https://example.org/les/{i}", pilot="Pilot",
                                     maintainer_email="keeper@school.example")
                         for i in range(3000)], utcnow())
    command = [sys.executable, "-m", "oermonitor", "--db", str(database), "status", "--json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=tmp_path) as process:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.read(100).startswith(b"[")
        process.stdout.close()  # the reader has seen enough
        errors = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert (code, errors) == (0, "")

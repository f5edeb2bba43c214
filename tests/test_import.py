"""`oermonitor import`: the coordinator's spreadsheet, via the real CLI on real SQLite files."""

import hashlib
import sqlite3

import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.store import Store

HEADER = "url,maintainer_email,pilot,title,maintainer_name,pilot_end_date,coordinator_email\n"
GOOD = (
    HEADER
    + "https://maken.wikiwijs.nl/171772/Fotosynthese,a.jansen@school.nl,Biologie,Fotosynthese,"
      "Anna Jansen,2025-07-31,coord@school.nl\n"
    + "https://maken.wikiwijs.nl/44170/Breuken,b.devries@school.nl,Wiskunde,,,,\n"
)


def invoke(tmp_path, *args):
    db = tmp_path / "o.db"
    result = CliRunner().invoke(main, ["--db", str(db), *args])
    return result, db


def write(tmp_path, text, name="materials.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def table_dump(db) -> str:
    """A fingerprint of every row of the registry tables."""
    conn = sqlite3.connect(db)
    digest = hashlib.sha256()
    for table in ("pilots", "maintainers", "materials"):
        for row in conn.execute(f"select * from {table} order by id"):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def test_import_adds_materials_pilots_and_maintainers(tmp_path):
    result, db = invoke(tmp_path, "import", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    assert "added 2, updated 0, unchanged 0" in result.output
    store = Store.open(db)
    row = store.material("https://maken.wikiwijs.nl/171772/Fotosynthese")
    assert row["pilot"] == "Biologie"
    assert row["pilot_end_date"] == "2025-07-31"
    assert row["maintainer_email"] == "a.jansen@school.nl"
    assert row["maintainer_name"] == "Anna Jansen"
    assert row["coordinator_email"] == "coord@school.nl"
    assert row["title"] == "Fotosynthese"
    assert store.material(row["id"])["url"] == row["url"]


def test_reimport_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD)
    invoke(tmp_path, "import", str(path))
    before = table_dump(tmp_path / "o.db")
    result, db = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 0
    assert "added 0, updated 0, unchanged 2" in result.output
    assert table_dump(db) == before


def test_rows_may_move_a_material_to_another_maintainer_and_pilot(tmp_path):
    invoke(tmp_path, "import", str(write(tmp_path, GOOD)))
    moved = GOOD.replace("b.devries@school.nl,Wiskunde", "c.bakker@school.nl,Rekenen")
    result, db = invoke(tmp_path, "import", str(write(tmp_path, moved, "v2.csv")))
    assert "added 0, updated 1, unchanged 1" in result.output
    row = Store.open(db).material("https://maken.wikiwijs.nl/44170/Breuken")
    assert (row["pilot"], row["maintainer_email"]) == ("Rekenen", "c.bakker@school.nl")


def test_semicolon_bom_dutch_dates_and_header_case(tmp_path):
    text = ("\ufeffURL;Maintainer_Email;PILOT;Pilot_End_Date\n"
            "https://maken.wikiwijs.nl/1/a;x@school.nl;Natuurkunde;31-07-2024\n")
    result, db = invoke(tmp_path, "import", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert Store.open(db).material("https://maken.wikiwijs.nl/1/a")["pilot_end_date"] == "2024-07-31"


def test_excel_cp1252_export_is_read_as_such(tmp_path):
    text = "url;maintainer_email;pilot;title\nhttps://x.nl/a;x@school.nl;Café;Één ding\n"
    result, db = invoke(tmp_path, "import", str(write(tmp_path, text, encoding="cp1252")))
    assert result.exit_code == 0, result.output
    assert "Windows-1252" in result.output
    assert Store.open(db).material("https://x.nl/a")["title"] == "Één ding"


@pytest.mark.parametrize("row, reason", [
    ("ftp://x.nl/a,a@b.nl,P,,,,", "url must start with http:// or https://"),
    ("https://x.nl/a b,a@b.nl,P,,,,", "url contains spaces"),
    ("https:///path,a@b.nl,P,,,,", "url has no valid host"),
    (",a@b.nl,P,,,,", "url is empty"),
    ("https://x.nl/a,,P,,,,", "maintainer_email is empty"),
    ("https://x.nl/a,not-an-email,P,,,,", "maintainer_email is not a valid email address"),
    ("https://x.nl/a,a@b.nl,,,,,", "pilot is empty"),
    ("https://x.nl/a,a@b.nl,P,,,31-02-2025,", "pilot_end_date '31-02-2025' is not a date"),
    ("https://x.nl/a,a@b.nl,P,,,2025/13/01,", "pilot_end_date '2025/13/01' is not a date"),
    ("https://x.nl/a,a@b.nl,P,,,,coord", "coordinator_email is not a valid email address"),
])
def test_each_bad_row_is_reported_and_nothing_is_written(tmp_path, row, reason):
    invoke(tmp_path, "import", str(write(tmp_path, GOOD, "first.csv")))
    before = table_dump(tmp_path / "o.db")
    bad = write(tmp_path, GOOD + row + "\n")
    result, db = invoke(tmp_path, "import", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:4: {reason}" in result.output
    assert "Traceback" not in result.output
    assert table_dump(db) == before


def test_two_end_dates_for_one_pilot_is_an_error(tmp_path):
    text = (HEADER + "https://x.nl/a,a@b.nl,P,,,2025-07-31,\n"
            "https://x.nl/b,a@b.nl,P,,,2025-08-31,\n")
    path = write(tmp_path, text)
    result, db = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:3: pilot 'P' has pilot_end_date 2025-08-31 here but 2025-07-31 on line 2" \
        in result.output
    assert Store.open(db).count_materials() == 0


def test_every_bad_row_is_listed_with_its_line(tmp_path):
    text = HEADER + "ftp://a,a@b.nl,P,,,,\nhttps://x.nl/ok,a@b.nl,P,,,,\nhttps://x.nl/b,bad,P,,,,\n"
    path = write(tmp_path, text)
    result, _ = invoke(tmp_path, "import", str(path))
    assert f"{path}:2:" in result.output and f"{path}:4:" in result.output
    assert "2 invalid row(s); nothing imported" in result.output


def test_missing_column_file_not_found_and_empty_file(tmp_path):
    path = write(tmp_path, "url,pilot\nhttps://x.nl/a,P\n")
    result, _ = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:1: missing required column(s): maintainer_email" in result.output
    result, _ = invoke(tmp_path, "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1 and "file not found" in result.output
    result, _ = invoke(tmp_path, "import", str(write(tmp_path, "", "empty.csv")))
    assert result.exit_code == 1 and "no header row" in result.output


def test_dry_run_counts_but_writes_nothing(tmp_path):
    result, db = invoke(tmp_path, "import", "--dry-run", str(write(tmp_path, GOOD)))
    assert result.exit_code == 0
    assert "would have added 2" in result.output
    assert Store.open(db).count_materials() == 0


def test_same_arrangement_twice_is_a_warning_not_an_error(tmp_path):
    text = (HEADER + "https://maken.wikiwijs.nl/171772/Fotosynthese,a@b.nl,P,,,,\n"
            "http://maken.wikiwijs.nl/171772/Fotosynthese?template=simple,a@b.nl,P,,,,\n")
    result, db = invoke(tmp_path, "import", str(write(tmp_path, text)))
    assert result.exit_code == 0
    assert "same material (wikiwijs:171772)" in result.output
    assert Store.open(db).count_materials() == 2


def test_five_thousand_rows(tmp_path):
    lines = [HEADER] + [f"https://maken.wikiwijs.nl/{i}/Les_{i},m{i % 40}@school.nl,Pilot {i % 7},"
                        f"Les {i},,,\n" for i in range(5000)]
    path = write(tmp_path, "".join(lines))
    result, db = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert "added 5000" in result.output
    assert Store.open(db).count_materials() == 5000
    result, _ = invoke(tmp_path, "import", str(path))
    assert "unchanged 5000" in result.output


def test_expected_licence_is_stored_as_canonical_id(tmp_path):
    text = ("url,maintainer_email,pilot,expected_licence\n"
            "https://x.nl/a,a@b.nl,P,cc-by-sa-4.0\nhttps://x.nl/b,a@b.nl,P,CC BY 3.0 NL\n"
            "https://x.nl/c,a@b.nl,P,CC0-1.0\n")
    result, db = invoke(tmp_path, "import", str(write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    store = Store.open(db)
    assert [store.material(u)["expected_licence"] for u in
            ("https://x.nl/a", "https://x.nl/b", "https://x.nl/c")] == \
        ["CC-BY-SA-4.0", "CC-BY-3.0-NL", "CC0-1.0"]


def test_unknown_expected_licence_is_a_bad_row(tmp_path):
    path = write(tmp_path, "url,maintainer_email,pilot,expected_licence\n"
                           "https://x.nl/a,a@b.nl,P,open\n")
    result, _ = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: expected_licence 'open' is not a licence id" in result.output


@pytest.mark.parametrize("row, reason", [
    ("http://[::1/x,a@b.nl,P", "url is malformed"),
    ("https://x.nl/a,a..b@school.nl,P", "maintainer_email is not a valid email address"),
    ("https://x.nl/a,jos\u00e9@school.nl,P", "maintainer_email is not a valid email address"),
])
def test_rows_the_nightly_job_could_not_use_are_refused(tmp_path, row, reason):
    path = write(tmp_path, "url,maintainer_email,pilot\n" + row + "\n")
    result, db = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 1
    assert f"{path}:2: {reason}" in result.output
    assert "Traceback" not in result.output


def test_a_locked_database_is_an_operational_failure_not_a_traceback(tmp_path):
    path = write(tmp_path, GOOD)
    db = tmp_path / "o.db"
    Store.open(db).close()
    blocker = sqlite3.connect(db, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        import oermonitor.store as store_module

        store_module.BUSY_TIMEOUT_MS, saved = 200, store_module.BUSY_TIMEOUT_MS
        try:
            result, _ = invoke(tmp_path, "import", str(path))
        finally:
            store_module.BUSY_TIMEOUT_MS = saved
    finally:
        blocker.rollback()
        blocker.close()
    assert result.exit_code == 3, result.output
    assert "database is locked" in result.output
    assert "Traceback" not in result.output
    assert Store.open(db).count_materials() == 0


def test_the_same_page_under_another_spelling_is_a_warning(tmp_path):
    invoke(tmp_path, "import", str(write(tmp_path, HEADER + "http://school.nl/les,a@b.nl,P,,,,\n")))
    both = write(tmp_path, HEADER + "http://school.nl/les,a@b.nl,P,,,,\n"
                 "HTTP://School.nl/les/,a@b.nl,P,,,,\n", "v2.csv")
    result, db = invoke(tmp_path, "import", str(both))
    assert result.exit_code == 0
    assert "same material (http://school.nl/les) is already registered as " \
           "http://school.nl/les" in result.output


def test_the_same_page_spelt_anew_in_place_of_the_old_is_moved(tmp_path):
    invoke(tmp_path, "import", str(write(tmp_path, HEADER + "http://school.nl/les,a@b.nl,P,,,,\n")))
    again = write(tmp_path, HEADER + "https://school.nl/les/,a@b.nl,P,,,,\n", "v2.csv")
    result, db = invoke(tmp_path, "import", str(again))
    assert result.exit_code == 0, result.output
    assert "moved 1" in result.output and "added 0" in result.output
    assert "#1 http://school.nl/les -> https://school.nl/les/" in result.output
    assert [m["url"] for m in Store.open(db).materials()] == ["https://school.nl/les/"]


def test_excel_unicode_text_export_utf16_with_tabs(tmp_path):
    text = "url\tmaintainer_email\tpilot\ttitle\nhttps://x.nl/a\tx@school.nl\tP\tÉén\n"
    path = tmp_path / "unicode.txt"
    path.write_bytes(text.encode("utf-16"))
    result, db = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert Store.open(db).material("https://x.nl/a")["title"] == "Één"


def test_a_binary_file_is_refused_clearly(tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    result, _ = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 1
    assert "not a text file" in result.output


def test_extra_cells_are_a_warning(tmp_path):
    path = write(tmp_path, "url,maintainer_email,pilot\nhttps://x.nl/a,a@b.nl,P,oops\n")
    result, _ = invoke(tmp_path, "import", str(path))
    assert result.exit_code == 0
    assert f"{path}:2: 4 cells but 3 columns in the header" in result.output

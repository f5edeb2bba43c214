"""`oermonitor import` and the life cycle: a re-imported spreadsheet moves, reports
missing materials, prunes them and hands materials over. Real CLI, real SQLite files."""

from __future__ import annotations

from click.testing import CliRunner

from oermonitor import lifecycle
from oermonitor.cli import main
from oermonitor.store import Store

HEADER = "url;maintainer_email;pilot;title;pilot_end_date\n"


def om(tmp_path, *args):
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), *args])
    return result


def sheet(tmp_path, name, *lines):
    path = tmp_path / name
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_new_slug_of_the_same_arrangement_moves_the_material(tmp_path):
    first = sheet(tmp_path, "v1.csv",
                  "https://maken.wikiwijs.nl/171772/Breuken;anne@school.nl;Rekenen;Breuken;"
                  "31-07-2025")
    assert om(tmp_path, "import", first).exit_code == 0
    second = sheet(tmp_path, "v2.csv",
                   "https://maken.wikiwijs.nl/171772/Breuken_vernieuwd;anne@school.nl;Rekenen;"
                   "Breuken;31-07-2025")
    result = om(tmp_path, "import", second)
    assert result.exit_code == 0, result.output
    assert "added 0, updated 0, unchanged 0, moved 1 (1 materials)" in result.output
    with Store.open(tmp_path / "o.db") as store:
        [m] = store.materials()
        assert m["url"] == "https://maken.wikiwijs.nl/171772/Breuken_vernieuwd"
        [event] = lifecycle.events(store, m["id"])
        assert (event["kind"], event["who"], event["detail"]["via"]) == (
            "move", "operator", "import")
    assert "moved 0" not in om(tmp_path, "import", second).output  # again: nothing


def test_recorded_redirect_target_moves_the_material(tmp_path):
    old = "https://example.org/oud"
    om(tmp_path, "import", sheet(tmp_path, "v1.csv", f"{old};anne@school.nl;P;Les;"))
    with Store.open(tmp_path / "o.db") as store:  # the nightly check saw a 301 elsewhere
        m = store.material(old)
        store.update_material(m["id"], {"availability": "moved",
                                        "final_url": "https://elders.example.net/les"})
    result = om(tmp_path, "import", sheet(tmp_path, "v2.csv",
                                          "https://elders.example.net/les;anne@school.nl;P;Les;"))
    assert result.exit_code == 0, result.output
    assert "moved #1 https://example.org/oud -> https://elders.example.net/les" in result.output
    with Store.open(tmp_path / "o.db") as store:
        assert [m["id"] for m in store.materials()] == [1]


def test_missing_materials_are_reported_and_pruned_with_a_dry_run_first(tmp_path):
    om(tmp_path, "import", sheet(tmp_path, "v1.csv",
                                 "https://example.org/a;anne@school.nl;P;A;",
                                 "https://example.org/b;anne@school.nl;P;B;",
                                 "https://example.org/c;bram@school.nl;Q;C;"))
    v2 = sheet(tmp_path, "v2.csv", "https://example.org/a;anne@school.nl;P;A;")

    reported = om(tmp_path, "import", v2)
    assert reported.exit_code == 0
    assert "1 registered material(s) of these pilots are no longer in" in reported.output
    assert "#2 https://example.org/b (P, anne@school.nl)" in reported.output
    assert "example.org/c" not in reported.output  # pilot Q is not in this file

    dry = om(tmp_path, "import", v2, "--prune", "--dry-run")
    assert "would retire" in dry.output and "#2 https://example.org/b" in dry.output
    with Store.open(tmp_path / "o.db") as store:
        assert store.material(2)["retired_at"] is None

    pruned = om(tmp_path, "import", v2, "--prune")
    assert "retired:" in pruned.output
    with Store.open(tmp_path / "o.db") as store:
        b = store.material(2)
        assert b["retired_at"] and "v2.csv" in b["retire_reason"]
    assert "no longer in" not in om(tmp_path, "import", v2).output  # retired: not missing


def test_another_maintainer_in_the_spreadsheet_is_a_hand_over(tmp_path):
    om(tmp_path, "import", sheet(tmp_path, "v1.csv", "https://example.org/a;anne@school.nl;P;A;"))
    result = om(tmp_path, "import",
                sheet(tmp_path, "v2.csv", "https://example.org/a;bram@school.nl;P;A;"))
    assert "updated 1" in result.output
    with Store.open(tmp_path / "o.db") as store:
        [event] = lifecycle.events(store, 1)
        assert event["kind"] == "reassign"
        assert event["detail"]["from"] == "anne@school.nl"
        assert [w["maintainer_email"] for w in store.pending_welcomes()] == ["bram@school.nl"]

"""The life-cycle commands' edges: bad input is one clear line and exit 1, usage
errors exit 2, nothing half-written; proposals are listed and dismissed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from oermonitor import lifecycle
from oermonitor.cli import main
from oermonitor.store import Store

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "materials.csv"
    path.write_text("url,maintainer_email,pilot\n"
                    "https://example.org/a,anne@school.nl,P\n"
                    "https://example.org/b,anne@school.nl,P\n", encoding="utf-8")
    assert om(tmp_path / "o.db", "import", str(path)).exit_code == 0
    return tmp_path / "o.db"


def om(db, *args):
    return CliRunner().invoke(main, ["--db", str(db), *args])


@pytest.mark.parametrize("args, message", [
    (["move", "1", "example.org/c"], "error: new address: url must start with http"),
    (["move", "1", "https://example.org/b"], "is already the address of material #2"),
    (["move", "9", "https://example.org/c"], "no material with id or URL '9'"),
    (["retire", "1"], "retire needs --reason"),
    (["retire", "1", "--undo"], "#1 is not retired"),
    (["reassign", "1", "--to", "bram@"], "not a valid email address"),
    (["reassign", "--from", "niemand@school.nl", "--to", "bram@school.nl"],
     "niemand@school.nl keeps no materials"),
    (["release", "1", "--colleague", "geen adres"], "colleague is not a valid email"),
    (["move", "1", "https://example.org/c", "--by", "iemand"], "--by is not a valid email"),
    (["proposals", "--dismiss", "1"], "#1 has no proposed new address"),
])
def test_bad_input_is_one_line_exit_1_and_changes_nothing(db, args, message):
    result = om(db, *args)
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    with Store.open(db) as store:
        assert [m["url"] for m in store.materials()] == ["https://example.org/a",
                                                         "https://example.org/b"]
        assert lifecycle.events(store, 1) == []


@pytest.mark.parametrize("args", [
    ["reassign", "--to", "bram@school.nl"],
    ["reassign", "1", "--from", "anne@school.nl", "--to", "bram@school.nl"],
    ["retire", "1", "--undo", "--reason", "x"],
])
def test_usage_errors_exit_2(db, args):
    assert om(db, *args).exit_code == 2


def test_proposals_are_listed_taken_or_dismissed(db):
    with Store.open(db) as store:
        lifecycle.propose_move(store, store.material(1), "https://elders.example.net/a",
                               by="anne@school.nl", now=NOW, note="eigen website")
    listed = om(db, "proposals").output
    assert "https://elders.example.net/a (by anne@school.nl, 2026-03-10): eigen website" \
        in listed
    assert "oermonitor move 1 https://elders.example.net/a" in listed
    assert "1 new address(es) proposed by maintainers" in om(db, "status").output
    assert om(db, "proposals", "--dismiss", "1", "--reason", "geen open platform").exit_code == 0
    assert om(db, "proposals").output == "No proposed addresses waiting.\n"
    shown = om(db, "show", "1").output
    assert "proposed address https://elders.example.net/a not taken: geen open platform" in shown
    assert "new address proposed: https://elders.example.net/a (eigen website) " \
           "(by anne@school.nl)" in shown

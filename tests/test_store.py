"""The store: migrations on empty and existing databases, WAL, bad files."""

import sqlite3
from datetime import UTC, datetime

import pytest

from oermonitor.errors import BadInput
from oermonitor.store import Store, migrations


def test_migrations_create_every_table_on_an_empty_database(tmp_path):
    store = Store.open(tmp_path / "o.db")
    tables = set(store.db.table_names())
    assert {"pilots", "maintainers", "materials", "checks", "confirmations",
            "notifications", "runs"} <= tables
    assert store.db.journal_mode == "wal"
    assert not migrations.pending(store.db)


def test_reopening_an_existing_database_keeps_data_and_applies_nothing_twice(tmp_path):
    path = tmp_path / "o.db"
    with Store.open(path) as store:
        store.db["pilots"].insert({"name": "P"})
        applied = len(migrations.applied(store.db))
    with Store.open(path) as store:
        assert store.pilot_by_name("P") is not None
        assert len(migrations.applied(store.db)) == applied


def test_a_file_that_is_not_sqlite_is_bad_input(tmp_path):
    path = tmp_path / "o.db"
    path.write_text("this is not a database " * 100)
    with pytest.raises(BadInput, match="not an oermonitor database"):
        Store.open(path)


def test_missing_folder_is_bad_input(tmp_path):
    with pytest.raises(BadInput, match="does not exist"):
        Store.open(tmp_path / "nope" / "o.db")


def test_database_survives_plain_sqlite_readers(tmp_path):
    path = tmp_path / "o.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_an_unrelated_sqlite_file_is_refused_not_migrated(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("create table recipes (name text)")
    conn.commit()
    conn.close()
    with pytest.raises(BadInput, match="not an oermonitor database .*recipes"):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("select name from sqlite_master where type='table'")] \
        == ["recipes"]


def test_a_failed_inner_transaction_is_undone_and_the_outer_one_goes_on(tmp_path):
    with Store.open(tmp_path / "o.db") as store:
        with store.transaction():
            store.ensure_pilot("Kept", None, None, datetime(2026, 1, 1, tzinfo=UTC))
            with pytest.raises(sqlite3.IntegrityError), store.transaction():
                store.ensure_pilot("Undone", None, None, datetime(2026, 1, 1, tzinfo=UTC))
                store.db.conn.execute("insert into pilots (name) values ('Kept')")  # unique
        assert [p["name"] for p in store.pilots()] == ["Kept"]


def test_a_write_outside_a_transaction_is_committed_at_once(tmp_path):
    path = tmp_path / "o.db"
    with Store.open(path) as store:
        store.ensure_maintainer("Docent@School.nl", "Docent", datetime(2026, 1, 1, tzinfo=UTC))
        store.mark_bounced("docent@school.nl", "550 no such user",
                           datetime(2026, 1, 2, tzinfo=UTC))
        assert not store.db.conn.in_transaction
        other = sqlite3.connect(path)  # another process sees it while this one stays open
        assert other.execute("select email, bounce_reason from maintainers").fetchall() == [
            ("docent@school.nl", "550 no such user")]
        other.close()


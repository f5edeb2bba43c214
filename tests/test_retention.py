"""History retention: old checks that repeat their predecessor go, every change stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.store import Store, iso

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def make_material(store: Store, n: int) -> int:
    pid, _ = store.ensure_pilot("Pilot", None, None, NOW)
    mid, _ = store.ensure_maintainer("keeper@school.example", None, NOW)
    url = f"https://maken.wikiwijs.nl/{n}/x"
    return store.upsert_material(
        {"url": url, "identity": url, "pilot_id": pid, "maintainer_id": mid}, NOW)[0]


def add_checks(store: Store, material_id: int, days_ago_first: int, values: list[dict]) -> None:
    """One check per day, oldest first; each dict overrides the defaults."""
    store.db["checks"].insert_all(
        {"material_id": material_id, "availability": "ok", "licence": "CC-BY-4.0",
         "last_modified": "2024-01-01", "content_hash": "h1",
         "checked_at": iso(NOW - timedelta(days=days_ago_first - i)), **over}
        for i, over in enumerate(values))


def history(store: Store, material_id: int) -> list[tuple]:
    return [(c["availability"], c["licence"], c["last_modified"], c["content_hash"])
            for c in reversed(store.checks(material_id))]


def transitions(rows: list[tuple]) -> list[tuple]:
    return [r for i, r in enumerate(rows) if i == 0 or r != rows[i - 1]]


def test_keeps_every_change_the_first_and_the_newest(tmp_path):
    store = Store.open(tmp_path / "o.db")
    mid = make_material(store, 1)
    add_checks(store, mid, 600, [
        {}, {}, {},                                        # ok x3: two repeats
        {"availability": "missing", "licence": None, "last_modified": None,
         "content_hash": None},
        {"availability": "missing", "licence": None, "last_modified": None,
         "content_hash": None},                            # repeat of the failure
        {}, {},                                            # back: change, then repeat
        {"licence": "CC-BY-NC-4.0"},                       # licence change
        {"licence": "CC-BY-NC-4.0", "last_modified": "2025-01-01"},      # date change
        {"licence": "CC-BY-NC-4.0", "last_modified": "2025-01-01", "content_hash": "h2"},
        {"licence": "CC-BY-NC-4.0", "last_modified": "2025-01-01", "content_hash": "h2"},
    ])
    before = history(store, mid)
    deleted = store.compact_checks(NOW - timedelta(days=400))
    after = history(store, mid)
    assert deleted == 4
    # Every transition survives: the kept rows give the same sequence of distinct
    # states as the full history.
    assert transitions(after) == transitions(before)
    assert after[-1] == before[-1]  # the newest stays even though it repeats
    assert store.compact_checks(NOW - timedelta(days=400)) == 0  # idempotent


def test_recent_history_is_untouched(tmp_path):
    store = Store.open(tmp_path / "o.db")
    mid = make_material(store, 1)
    add_checks(store, mid, 30, [{}] * 30)
    assert store.compact_checks(NOW - timedelta(days=400)) == 0
    assert len(store.checks(mid)) == 30


def test_years_of_nightly_runs_stay_small(tmp_path):
    store = Store.open(tmp_path / "o.db")
    days = 3 * 365
    for n in range(20):
        mid = make_material(store, n)
        # A change every 100 days, a one-night outage every 150 days.
        add_checks(store, mid, days, [
            {"content_hash": f"h{d // 100}",
             **({"availability": "timeout", "content_hash": None} if d % 150 == 75 else {})}
            for d in range(days)])
    assert store.db["checks"].count == 20 * days
    store.compact_checks(NOW - timedelta(days=400))
    # Per material: the last 400 days (400) + ~11 changes + ~9 outages (2 rows each) before.
    per_material = store.db["checks"].count / 20
    assert per_material < 400 + 40


def test_compact_command(tmp_path):
    db = tmp_path / "o.db"
    store = Store.open(db)
    mid = make_material(store, 1)
    add_checks(store, mid, 900, [{}] * 10)
    store.close()
    config = tmp_path / "o.toml"
    config.write_text('database = "o.db"\n[run]\nhistory_days = 365\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "-v", "compact"])
    assert result.exit_code == 0, result.output
    assert "8 old checks deleted" in result.output
    with Store.open(db) as store:
        assert len(store.checks(mid)) == 2

"""The nightly job: due selection, backoff, time budget, cron behaviour, crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from oermonitor import job, policy
from oermonitor.cli import main
from oermonitor.registry import MaterialRow, register
from oermonitor.settings import load_settings
from oermonitor.store import Store, iso, utcnow
from tests import support
from tests.support import free_port, slow

ROOT = Path(__file__).resolve().parents[1]
PAGE = """<html><head><title>{title}</title>
<link rel="license" href="https://creativecommons.org/licenses/by/4.0/"></head>
<body><main><h1>{title}</h1><p>Lesmateriaal over {title}.</p></main></body></html>"""
TODAY = date(2026, 3, 2)


def write_config(tmp_path: Path, extra: str = "") -> Path:
    """A run's settings: one quick try per page, broken at once, mail to ./outbox."""
    (tmp_path / "outbox").mkdir(exist_ok=True)
    return support.write_config(
        tmp_path, fetch={"allow_private_networks": True, "per_host_delay": 0,
                         "concurrency": 1, "timeout": 5, "max_tries": 1},
        policy="recheck_after_hours = 20\nretry_failing_after_hours = 4\n"
               "failures_before_broken = 1",
        notify='outbox = "outbox"', extra=extra)


def setup(tmp_path: Path, urls: list[str], extra: str = ""):
    config = write_config(tmp_path, extra)
    settings = load_settings(config)
    store = Store.open(settings.database)
    register(store, [MaterialRow(url=u, maintainer_email="keeper@school.example",
                                 pilot="Pilot") for u in urls], utcnow())
    return config, settings, store


def pages(server, n: int, prefix: str = "/m") -> list[str]:
    return [server.route(f"{prefix}{i}", PAGE.format(title=f"Les {i}")) for i in range(n)]



def test_due_selection_order_and_intervals(tmp_path):
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    _, _, store = setup(tmp_path, [f"https://example.org/{i}" for i in range(6)])
    ids = [m["id"] for m in store.materials_view()]
    store.update_material(ids[0], {"last_checked_at": iso(now - timedelta(hours=30))})
    store.update_material(ids[1], {"last_checked_at": iso(now - timedelta(hours=50))})
    store.update_material(ids[2], {"last_checked_at": iso(now - timedelta(hours=5))})  # fresh
    store.update_material(ids[3], {"last_checked_at": iso(now - timedelta(hours=5)),
                                   "next_check_at": iso(now - timedelta(minutes=1))})  # retry due
    store.update_material(ids[4], {"last_checked_at": iso(now - timedelta(hours=40)),
                                   "next_check_at": iso(now + timedelta(hours=1))})  # not yet
    # ids[5] never checked: first of all.
    due = [m["id"] for m in store.due_materials(now, 20)]
    assert due == [ids[5], ids[1], ids[0], ids[3]]


def test_failing_material_comes_back_sooner_with_backoff(server, tmp_path):
    ok = server.route("/ok", PAGE.format(title="Goed"))
    gone = server.route("/gone", status=404)
    _, settings, store = setup(tmp_path, [ok, gone])
    start = utcnow()
    report = job.run(store, settings, today=TODAY, now=start)
    assert report.checked == 2 and report.availability == {"ok": 1, "missing": 1}
    by_url = {m["url"]: m for m in store.materials_view()}
    assert by_url[ok]["next_check_at"] >= iso(start + timedelta(hours=20))
    assert by_url[gone]["next_check_at"] < iso(start + timedelta(hours=4, minutes=5))
    retry = datetime.fromisoformat(store.material(gone)["next_check_at"])
    assert [m["url"] for m in store.due_materials(retry, 20)] == [gone]  # the healthy one waits
    # Each failure in a row doubles the wait, up to the normal interval.
    waits = []
    for _ in range(4):
        moment = datetime.fromisoformat(store.material(gone)["next_check_at"])
        assert gone in [m["url"] for m in store.due_materials(moment, 20)]
        job.run(store, settings, today=TODAY, now=moment, clock=lambda m=moment: m)
        waits.append(datetime.fromisoformat(store.material(gone)["next_check_at"]) - moment)
    assert waits == [timedelta(hours=8), timedelta(hours=16), timedelta(hours=20),
                     timedelta(hours=20)]
    assert policy.next_check(start, 0, settings.policy) == start + timedelta(hours=20)


def test_conditional_request_and_304_keep_the_facts(server, tmp_path):
    body = PAGE.format(title="Breuken")
    hits = []

    def handler(request):
        hits.append(request.headers.get("If-None-Match"))
        status = 304 if request.headers.get("If-None-Match") == '"v1"' else 200
        data = b"" if status == 304 else body.encode()
        request.send_response(status)
        request.send_header("ETag", '"v1"')
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    url = server.route("/cond", handler=handler)
    _, settings, store = setup(tmp_path, [url])
    start = utcnow()
    job.run(store, settings, today=TODAY, now=start)
    first = store.material(url)
    later = start + timedelta(hours=21)
    job.run(store, settings, today=TODAY, now=later, clock=lambda: later)
    second = store.material(url)
    assert hits == [None, '"v1"']
    newest = store.checks(second["id"])[0]
    assert newest["not_modified"] == 1
    assert second["licence"] == first["licence"] == "CC-BY-4.0"
    assert second["content_hash"] == first["content_hash"]
    assert second["last_checked_at"] == iso(later)


# -- time budget -------------------------------------------------------------------------


def test_time_budget_stops_starting_checks_and_the_rest_go_first(server, tmp_path):
    # One at a time, in registration order: the quick first page fits the budget
    # with room to spare on a busy machine, the slow second one cannot.
    urls = [server.route("/s0", PAGE.format(title="S0"))] + [
        server.route(f"/s{i}", handler=slow(0.4, PAGE.format(title=f"S{i}")))
        for i in range(1, 6)]
    _, settings, store = setup(tmp_path, urls)
    report = job.run(store, settings, today=TODAY, now=utcnow(), max_duration=0.35)
    assert 1 <= report.checked < 6
    assert report.postponed + report.abandoned == 6 - report.checked
    assert "postponed (time budget)" in report.summary_line()
    unchecked = {m["url"] for m in store.materials_view() if m["last_checked_at"] is None}
    assert len(unchecked) == report.postponed + report.abandoned
    # Next time the postponed ones are first in line (and the checked ones not due).
    due = store.due_materials(utcnow(), settings.policy.recheck_after_hours)
    assert {m["url"] for m in due} == unchecked
    report = job.run(store, settings, today=TODAY, now=utcnow())
    assert report.checked == len(unchecked) and report.postponed == 0


# -- cron behaviour ----------------------------------------------------------------------


def test_run_is_silent_under_cron_and_problems_are_not_errors(server, tmp_path):
    urls = pages(server, 2) + [server.route("/dead", status=404)]
    config, _, store = setup(tmp_path, urls)
    store.close()
    result = CliRunner().invoke(main, ["--config", str(config), "run", "--today", "2026-03-02"])
    assert result.exit_code == 0, result.output
    assert result.output == ""  # not a terminal, no -v: nothing to say
    result = CliRunner().invoke(main, ["--config", str(config), "-v", "run"])
    assert result.exit_code == 0
    assert result.stdout.startswith("run 2: 0 checked")
    with Store.open(tmp_path / "oermonitor.db") as store:
        runs = store.runs()
        assert [r["status"] for r in runs] == ["done", "done"]
        assert runs[1]["checked"] == 3 and runs[1]["today"] == "2026-03-02"
        assert list((tmp_path / "outbox").glob("*.eml"))  # the broken link was reported


def test_log_file_and_bad_today(server, tmp_path):
    config, _, store = setup(tmp_path, pages(server, 1))
    store.close()
    log = tmp_path / "run.log"
    result = CliRunner().invoke(main, ["--config", str(config), "-v", "run",
                                       "--log-file", str(log)])
    assert result.exit_code == 0
    assert "materials due" in log.read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(config), "run", "--today", "31-2-2026"])
    assert result.exit_code == 1
    assert "--today" in result.stderr and "Traceback" not in result.output


def test_smtp_down_is_exit_3_after_the_checks_were_recorded(server, tmp_path):
    urls = [server.route("/dead", status=404)]
    config = write_config(tmp_path, f"[smtp]\nhost = \"127.0.0.1\"\nport = {free_port()}\n"
                                    "timeout = 2\n")
    config.write_text(config.read_text().replace('outbox = "outbox"', ""), encoding="utf-8")
    settings = load_settings(config)
    with Store.open(settings.database) as store:
        register(store, [MaterialRow(url=urls[0], maintainer_email="keeper@school.example",
                                     pilot="Pilot")], utcnow())
    result = CliRunner().invoke(main, ["--config", str(config), "run"])
    assert result.exit_code == 3, result.output
    assert "emails not sent" in result.stderr
    with Store.open(settings.database) as store:
        assert store.material(urls[0])["availability"] == "missing"  # recorded all the same
        assert store.notifications() == []  # nothing marked as sent
        assert store.runs()[0]["status"] == "failed"


def test_dry_run_checks_but_sends_and_marks_nothing(server, tmp_path):
    _, settings, store = setup(tmp_path, [server.route("/dead", status=404)])
    report = job.run(store, settings, today=TODAY, now=utcnow(), dry_run=True)
    assert report.checked == 1 and report.emails == 1
    assert "dry run" in report.summary_line()
    assert store.notifications() == []
    assert not list((tmp_path / "outbox").glob("*.eml"))
    assert store.runs()[0]["dry_run"] == 1


# -- crash safety ------------------------------------------------------------------------


def start_run(config: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "oermonitor", "--config", str(config),
                             "run"], cwd=config.parent, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_checks(db: Path, at_least: int, timeout: float = 10) -> int:
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        try:
            with sqlite3.connect(db, timeout=5) as conn:
                count = conn.execute("select count(*) from checks").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            count = 0
        if count >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError(f"no {at_least} checks within {timeout}s")


def terminate(proc: subprocess.Popen) -> str:
    """SIGTERM a running `run`, wait for it to end; its stderr. Killed if it hangs."""
    try:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    return err


def test_a_run_killed_midway_leaves_a_sound_database_and_the_next_run_continues(
        server, tmp_path):
    urls = [server.route(f"/k{i}", handler=slow(0.15, PAGE.format(title=f"K{i}")))
            for i in range(12)]
    config, settings, store = setup(tmp_path, urls)
    store.close()
    proc = start_run(config)
    try:
        wait_for_checks(settings.database, 3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
    with sqlite3.connect(settings.database) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        done_before = conn.execute("select count(*) from checks").fetchone()[0]
        assert conn.execute("select status from runs").fetchall() == [("running",)]
    assert 3 <= done_before < 12
    # The lock died with the process; the next run finishes what is left.
    result = CliRunner().invoke(main, ["--config", str(config), "run"])
    assert result.exit_code == 0, result.output
    with Store.open(settings.database) as store:
        assert [r["status"] for r in store.runs()] == ["done", "interrupted"]
        assert store.runs()[0]["checked"] == 12 - done_before
        assert all(m["last_checked_at"] for m in store.materials_view())
        assert store.db["checks"].count == 12  # nothing checked twice


def test_sigterm_ends_the_run_as_interrupted(server, tmp_path):
    urls = [server.route(f"/t{i}", handler=slow(0.15, PAGE.format(title=f"T{i}")))
            for i in range(12)]
    config, settings, store = setup(tmp_path, urls)
    store.close()
    proc = start_run(config)
    try:
        wait_for_checks(settings.database, 1)
    finally:
        err = terminate(proc)
    assert proc.returncode == 130
    assert "Traceback" not in err
    with Store.open(settings.database) as store:
        assert store.runs()[0]["status"] == "interrupted"
        assert store.runs()[0]["finished_at"]


def test_settings_budget_applies_without_the_option(server, tmp_path):
    urls = [server.route(f"/b{i}", handler=slow(0.2, PAGE.format(title=f"B{i}")))
            for i in range(4)]
    _, settings, store = setup(tmp_path, urls)
    settings = replace(settings, run=replace(settings.run, max_duration=0.1))
    report = job.run(store, settings, today=TODAY, now=utcnow())
    assert report.postponed >= 2

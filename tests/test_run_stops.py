"""A run ends when told: its time budget bounds checks in flight, SIGTERM ends it in
seconds, and either way the lock is free for the next night and nothing false is kept."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from oermonitor.lock import RunLock
from oermonitor.store import Store
from tests.test_job import PAGE, ROOT, setup


@pytest.fixture
def stuck(server):
    """A URL whose server accepts the request and then says nothing (for a minute)."""
    release = threading.Event()

    def handler(request):
        release.wait(60)
    yield server.route("/stuck", handler=handler)
    release.set()


def start(config, *args) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "oermonitor", "--config", str(config),
                             "-v", "run", *args], cwd=config.parent, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, within: float) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=within)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"the run did not end within {within} s") from None


# The server's silence outlasts anything below; only the run's own limits can end it.
PATIENT = "timeout = 300\ntotal_timeout = 300\nconcurrency = 2\n"


def patient_setup(tmp_path, urls):
    config, settings, store = setup(tmp_path, urls)
    store.close()
    config.write_text(config.read_text().replace("timeout = 5\n", PATIENT).replace(
        "concurrency = 1\n", ""), encoding="utf-8")
    return config, settings


def test_max_duration_abandons_a_stuck_check_and_records_nothing_for_it(server, stuck,
                                                                        tmp_path):
    fine = server.route("/fine", PAGE.format(title="Breuken"))
    config, settings = patient_setup(tmp_path, [stuck, fine])
    proc = start(config, "--max-duration", "2")
    out, err = finish(proc, within=30)
    assert proc.returncode == 0, err
    assert "1 abandoned unfinished (time budget)" in out
    with Store.open(settings.database) as store:
        checked = {m["url"]: m["last_checked_at"] for m in store.materials_view()}
        assert checked[fine] and checked[stuck] is None  # it stays due, first next time
        assert store.db["checks"].count == 1
        assert store.runs()[0]["status"] == "done"


def test_sigterm_ends_a_run_stuck_in_a_check_within_seconds_and_frees_the_lock(
        server, stuck, tmp_path):
    config, settings = patient_setup(tmp_path, [stuck])
    proc = start(config)
    give_up = time.monotonic() + 20
    while server.hits("/stuck") == 0:
        assert time.monotonic() < give_up and proc.poll() is None, "the check never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = finish(proc, within=10)
    assert proc.returncode == 130
    assert "Traceback" not in err
    with RunLock(settings.database):  # the next night's run may start
        pass
    with sqlite3.connect(settings.database) as conn:
        assert conn.execute("select status from runs").fetchall() == [("interrupted",)]
        assert conn.execute("select count(*) from checks").fetchone()[0] == 0

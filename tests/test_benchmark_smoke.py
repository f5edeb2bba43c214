"""The benchmark harness still runs end to end (tiny sizes, no lychee, no latency).

The benchmarks themselves are not tests; this only guards benchmarks/run.py
against rotting when the commands it drives change.
"""

import subprocess
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def test_harness_prints_throughput_and_extraction_tables(tmp_path):
    done = subprocess.run(
        [sys.executable, str(HARNESS), "--suite", "throughput", "--n", "20", "--latency", "0",
         "--concurrency", "4", "--repeat", "1", "--no-lychee", "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "## Throughput: oermonitor run --dry-run against lychee" in done.stdout
    assert "| 0 s / 4 | 20 |" in done.stdout
    assert "machine speed: reading the sample page takes" in done.stdout
    assert "machine speed: reading the sample page took" in done.stdout  # and after
    assert "| 20/20 |" in done.stdout  # every page checked and found ok
    # The second night: 304s from the site with validators, same bodies from the static one.
    assert "| validators site |" in done.stdout and "20 x 304" in done.stdout
    assert "20 same bodies, not parsed again" in done.stdout
    assert list((tmp_path / "out").glob("results-*.md"))

    done = subprocess.run(
        [sys.executable, str(HARNESS), "--suite", "extract", "--extract-runs", "3",
         "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "| extract.extract (all) |" in done.stdout

"""CPU of `Fetcher.fetch` alone: what one URL costs the process that fetches it.

    python benchmarks/fetchcost.py [--n 1000] [--threads 4] [--repeat 3] [--mode dynamic]
    python benchmarks/fetchcost.py --profile [--n 1000] [--top 30]

The 40 KB pages of `wikisite.py` are served (latency 0) by a separate process,
so the CPU time measured here, user + system time of this process (all its
threads, the deadline watcher included), is the fetcher's alone. Printed: CPU
milliseconds per fetch, the median of `--repeat` rounds of `--n` fetches from
`--threads` threads sharing one `Fetcher`, as a run does. `--profile` runs one
round in one thread under cProfile instead.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import pstats
import resource
import threading
import time

import wikisite

from oermonitor.fetch import Fetcher
from oermonitor.settings import FetchSettings, Settings


def _serve(mode: str, ready, stop) -> None:
    with wikisite.SiteServer(latency=0.0, mode=mode) as site:
        ready.put(site.base)
        stop.wait()


def one_round(fetcher: Fetcher, urls: list[str], threads: int, etags: dict | None) -> float:
    """CPU seconds of this process for fetching `urls` from `threads` threads."""
    chunks = [urls[i::threads] for i in range(threads)]
    failures = []

    def work(chunk):
        for url in chunk:
            etag = etags.get(url) if etags is not None else None
            result = fetcher.fetch(url, etag=etag)
            if result.availability != "ok":
                failures.append((url, result.availability, result.error))
            elif etags is not None:
                etags[url] = result.headers.get("etag")

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    before = resource.getrusage(resource.RUSAGE_SELF)
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    if failures:
        raise SystemExit(f"{len(failures)} fetches failed, e.g. {failures[0]}")
    return user, system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mode", choices=wikisite.MODES, default="dynamic")
    parser.add_argument("--conditional", action="store_true",
                        help="send the ETag of the previous round (304s with --mode validators)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    ready, stop = multiprocessing.Queue(), multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(args.mode, ready, stop), daemon=True)
    server.start()
    try:
        base = ready.get(timeout=30)
        urls = [wikisite.url(base, 100_000 + i) for i in range(args.n)]
        settings = Settings(fetch=FetchSettings(
            concurrency=args.threads, per_host_concurrency=args.threads, per_host_delay=0,
            allow_private_networks=True, respect_robots_txt=False))
        etags = {} if args.conditional else None
        with Fetcher(settings) as fetcher:
            one_round(fetcher, urls[: min(50, args.n)], args.threads, etags)  # warm up
            if args.conditional:
                one_round(fetcher, urls, args.threads, etags)
            if args.profile:
                profiler = cProfile.Profile(time.thread_time)  # CPU, not waiting
                started = time.process_time()
                profiler.enable()  # in this thread: cProfile sees only the thread it runs in
                for url in urls:
                    fetcher.fetch(url, etag=etags.get(url) if etags is not None else None)
                profiler.disable()
                spent = time.process_time() - started
                for order in ("tottime", "cumulative"):
                    text = io.StringIO()
                    pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(args.top)
                    print(f"## {args.n} fetches in one thread, by {order}\n{text.getvalue()}")
                print(f"CPU per fetch (profiled): {spent / args.n * 1000:.3f} ms")
                return
            rounds = [one_round(fetcher, urls, args.threads, etags) for _ in range(args.repeat)]
        per_fetch = [(user + system) / args.n * 1000 for user, system in rounds]
        middle = sorted(range(len(rounds)), key=per_fetch.__getitem__)[len(rounds) // 2]
        user, system = (part / args.n * 1000 for part in rounds[middle])
        print(f"CPU per fetch, {args.n} fetches x {args.repeat} rounds, {args.threads} threads"
              f" ({args.mode}{', conditional' if args.conditional else ''}): "
              f"median {per_fetch[middle]:.3f} ms (user {user:.3f}, system {system:.3f}; "
              f"rounds: {', '.join(f'{r:.3f}' for r in per_fetch)})")
    finally:
        stop.set()
        server.join(5)


if __name__ == "__main__":
    main()

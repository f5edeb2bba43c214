"""CPU of `Fetcher.fetch` alone: what one URL costs the process that fetches it.

    python benchmarks/fetchcost.py [--n 1000] [--threads 4] [--repeat 3] [--mode dynamic]
    python benchmarks/fetchcost.py --tls [--new-connections]
    python benchmarks/fetchcost.py --profile [--n 1000] [--top 30]

The 40 KB pages of `wikisite.py` are served (latency 0) by a separate process,
so the CPU time measured here, user + system time of this process (all its
threads, the deadline watcher included), is the fetcher's alone. Printed: CPU
milliseconds per fetch, the median of `--repeat` rounds of `--n` fetches from
`--threads` threads sharing one `Fetcher`, as a run does.

`--tls` serves HTTPS with a certificate made for the occasion (`openssl`), which
the fetcher trusts next to certifi's bundle, so reading the bundle costs what it
does in real use. `--new-connections` opens a new connection for every fetch (one
thread), as for a new site; otherwise connections are kept alive, as on a
site with many materials. `--profile` runs one round in one thread under cProfile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import pstats
import resource
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests
import wikisite

from oermonitor.fetch import Fetcher
from oermonitor.settings import FetchSettings, Settings


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    cert, key = folder / "site.pem", folder / "site.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _serve(mode: str, certificate: tuple[Path, Path] | None, ready, stop) -> None:
    site = wikisite.SiteServer(latency=0.0, mode=mode)
    base = site.base
    if certificate:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*certificate)
        site.socket = context.wrap_socket(site.socket, server_side=True)
        base = base.replace("http://", "https://")
    with site:
        ready.put(base)
        stop.wait()


def one_round(fetcher: Fetcher, urls: list[str], threads: int, etags: dict | None,
              new_connections: bool = False) -> tuple[float, float]:
    """(user, system) CPU seconds of this process for fetching `urls` from `threads` threads."""
    chunks = [urls[i::threads] for i in range(threads)]
    failures = []

    def work(chunk):
        for url in chunk:
            if new_connections:
                fetcher.pools.clear()  # closes the kept-alive connections
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
    if failures:
        raise SystemExit(f"{len(failures)} fetches failed, e.g. {failures[0]}")
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def profile(fetcher: Fetcher, urls: list[str], etags: dict | None, top: int) -> None:
    profiler = cProfile.Profile(time.thread_time)  # CPU, not waiting
    started = time.process_time()
    profiler.enable()  # in this thread: cProfile sees only the thread it runs in
    for url in urls:
        fetcher.fetch(url, etag=etags.get(url) if etags is not None else None)
    profiler.disable()
    spent = time.process_time() - started
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(top)
        print(f"## {len(urls)} fetches in one thread, by {order}\n{text.getvalue()}")
    print(f"CPU per fetch (profiled): {spent / len(urls) * 1000:.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--mode", choices=wikisite.MODES, default="dynamic")
    parser.add_argument("--conditional", action="store_true",
                        help="send the ETag of the previous round (304s with --mode validators)")
    parser.add_argument("--tls", action="store_true", help="HTTPS instead of HTTP")
    parser.add_argument("--new-connections", action="store_true",
                        help="a new connection for every fetch (in one thread)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    threads = 1 if args.new_connections else args.threads

    with tempfile.TemporaryDirectory() as folder:
        certificate = make_certificate(Path(folder)) if args.tls else None
        ca_certs = None
        if certificate:
            bundle = Path(folder) / "bundle.pem"
            bundle.write_text(Path(requests.utils.DEFAULT_CA_BUNDLE_PATH).read_text()
                              + certificate[0].read_text())
            ca_certs = str(bundle)
        ready, stop = multiprocessing.Queue(), multiprocessing.Event()
        server = multiprocessing.Process(target=_serve, args=(args.mode, certificate, ready, stop),
                                         daemon=True)
        server.start()
        try:
            base = ready.get(timeout=30)
            urls = [wikisite.url(base, 100_000 + i) for i in range(args.n)]
            settings = Settings(fetch=FetchSettings(
                concurrency=threads, per_host_concurrency=threads, per_host_delay=0,
                allow_private_networks=True, respect_robots_txt=False))
            etags = {} if args.conditional else None
            trust = {"ca_certs": ca_certs} if ca_certs else {}  # HTTP: any version of Fetcher
            with Fetcher(settings, **trust) as fetcher:
                one_round(fetcher, urls[: min(50, args.n)], threads, etags)  # warm up
                if args.conditional:
                    one_round(fetcher, urls, threads, etags)
                if args.profile:
                    profile(fetcher, urls, etags, args.top)
                    return
                rounds = [one_round(fetcher, urls, threads, etags, args.new_connections)
                          for _ in range(args.repeat)]
        finally:
            stop.set()
            server.join(5)
    per_fetch = [(user + system) / args.n * 1000 for user, system in rounds]
    middle = sorted(range(len(rounds)), key=per_fetch.__getitem__)[len(rounds) // 2]
    user, system = (part / args.n * 1000 for part in rounds[middle])
    what = ", ".join(filter(None, [
        args.mode, "conditional" if args.conditional else "", "HTTPS" if args.tls else "",
        "a new connection each" if args.new_connections else ""]))
    print(f"CPU per fetch, {args.n} fetches x {args.repeat} rounds, {threads} thread(s) ({what}): "
          f"median {per_fetch[middle]:.3f} ms (user {user:.3f}, system {system:.3f}; "
          f"rounds: {', '.join(f'{r:.3f}' for r in per_fetch)})")


if __name__ == "__main__":
    main()

"""The scheduler: global and per-host limits, per-host delay, hosts interleaved, deadline."""

import threading
import time

import pytest

from oermonitor.scheduler import host_of, run_all


class Recorder:
    """A work function that sleeps `seconds` and records when each item ran, per host."""

    def __init__(self, seconds=0.0):
        self.seconds = seconds
        self.lock = threading.Lock()
        self.starts: dict[str, list[float]] = {}
        self.ends: dict[str, list[float]] = {}
        self.running: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.total = 0
        self.most_total = 0

    def __call__(self, url):
        host = host_of(url)
        with self.lock:
            self.starts.setdefault(host, []).append(time.monotonic())
            self.running[host] = self.running.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.running[host])
            self.total += 1
            self.most_total = max(self.most_total, self.total)
        time.sleep(self.seconds)
        with self.lock:
            self.running[host] -= 1
            self.total -= 1
            self.ends.setdefault(host, []).append(time.monotonic())
        return f"done {url}"


def urls(host, n):
    return [f"https://{host}/{i}" for i in range(n)]


def test_hosts_are_interleaved_and_delays_overlap():
    items = urls("maken.wikiwijs.nl", 20) + urls("school.example", 5) + urls("other.example", 5)
    work = Recorder()
    started = time.monotonic()
    report = run_all(items, url_of=str, work=work, concurrency=4, per_host_delay=0.05)
    took = time.monotonic() - started
    assert sorted(report.done) == sorted(items)
    # the run takes about 20 x 0.05 (the busiest host), not 30 x 0.05
    assert 0.9 <= took < 1.35
    # the small hosts are not held up behind the big one
    assert max(work.ends["school.example"]) - started < 0.45
    assert max(work.ends["other.example"]) - started < 0.45


def test_per_host_delay_spaces_the_starts():
    work = Recorder()
    run_all(urls("a.example", 6), url_of=str, work=work, concurrency=8, per_host_delay=0.05)
    starts = work.starts["a.example"]
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) >= 0.045


def test_per_host_concurrency_is_respected():
    work = Recorder(seconds=0.1)
    run_all(urls("a.example", 8), url_of=str, work=work, concurrency=8, per_host_delay=0.001,
            per_host_concurrency=2)
    assert work.most["a.example"] == 2


def test_no_delay_keeps_all_slots_busy_on_one_host():
    work = Recorder(seconds=0.05)
    started = time.monotonic()
    run_all(urls("bench.example", 64), url_of=str, work=work, concurrency=16,
            per_host_delay=0, per_host_concurrency=2)
    assert work.most["bench.example"] == 16
    assert time.monotonic() - started < 0.5  # 64 / 16 x 0.05 = 0.2


def test_concurrency_caps_the_total():
    items = [url for host in "abcdefgh" for url in urls(f"{host}.example", 3)]
    work = Recorder(seconds=0.05)
    run_all(items, url_of=str, work=work, concurrency=3, per_host_delay=0.001)
    assert work.most_total == 3


def test_on_done_runs_in_the_calling_thread_in_completion_order():
    caller = threading.get_ident()
    seen = []

    def work(url):
        time.sleep(0.2 if url.endswith("/slow") else 0.0)
        return url.upper()

    def on_done(item, result):
        seen.append((item, result, threading.get_ident()))
    run_all(["https://a.example/slow", "https://b.example/fast"], url_of=str, work=work,
            concurrency=2, per_host_delay=0, on_done=on_done)
    assert [item for item, _, _ in seen] == ["https://b.example/fast", "https://a.example/slow"]
    assert all(result == item.upper() and ident == caller for item, result, ident in seen)


def test_deadline_stops_new_starts_and_reports_the_rest():
    items = urls("a.example", 10)
    report = run_all(items, url_of=str, work=Recorder(), concurrency=2, per_host_delay=0.1,
                     deadline=time.monotonic() + 0.25)
    assert 2 <= len(report.done) <= 4
    assert sorted(report.done + report.not_started) == sorted(items)


def test_failing_work_is_reported_and_the_rest_continues():
    def work(url):
        if url.endswith("/1"):
            raise ValueError("kapot")
        return "ok"
    done = []
    report = run_all(urls("a.example", 3), url_of=str, work=work, concurrency=2,
                     per_host_delay=0, on_done=lambda item, result: done.append(item))
    assert [(item, str(error)) for item, error in report.failed] == [("https://a.example/1",
                                                                      "kapot")]
    assert sorted(done) == ["https://a.example/0", "https://a.example/2"]


def test_error_in_on_done_stops_the_run():
    def on_done(item, result):
        raise RuntimeError("database locked")
    with pytest.raises(RuntimeError, match="database locked"):
        run_all(urls("a.example", 5), url_of=str, work=Recorder(), concurrency=1,
                per_host_delay=0, on_done=on_done)


def test_unparseable_urls_do_not_block_each_other():
    assert host_of("https://Maken.Wikiwijs.nl/1") == "maken.wikiwijs.nl"
    assert host_of("not a url") == "not a url"
    report = run_all(["x", "y", ""], url_of=str, work=lambda u: u, concurrency=2,
                     per_host_delay=5)
    assert sorted(report.done) == ["", "x", "y"]
    assert report.elapsed < 1


def test_empty_input():
    report = run_all([], url_of=str, work=Recorder(), concurrency=4, per_host_delay=1)
    assert report.done == [] and report.not_started == []


def test_then_gives_the_slot_back_before_it_runs():
    # One slot: item 0's `then` waits until item 1's work has started, which can
    # only happen once the slot was given back when item 0's work returned.
    items = urls("a.example", 3)
    started = {url: threading.Event() for url in items}
    order = []

    def work(url):
        started[url].set()
        return url.upper()

    def then(url, fetched):
        following = items.index(url) + 1
        if following < len(items):
            assert started[items[following]].wait(5), "the slot was still held"
        return f"read {fetched}"

    report = run_all(items, url_of=str, work=work, then=then, concurrency=1,
                     per_host_delay=0, on_done=lambda item, result: order.append(result))
    assert sorted(report.done) == items and not report.failed
    assert sorted(order) == [f"read {url.upper()}" for url in items]


def test_a_failing_then_is_reported_and_the_rest_go_on():
    def then(url, fetched):
        if url.endswith("/1"):
            raise ValueError("unreadable page")
        return fetched

    report = run_all(urls("a.example", 3), url_of=str, work=Recorder(), then=then,
                     concurrency=2, per_host_delay=0)
    assert sorted(report.done) == ["https://a.example/0", "https://a.example/2"]
    assert [(item, str(exc)) for item, exc in report.failed] == [
        ("https://a.example/1", "unreadable page")]


def test_reading_that_falls_behind_holds_back_new_items():
    # Reading is stuck until the gate opens: twice the concurrency may be alive
    # (fetched, not yet read), and no more, so fetched pages cannot pile up.
    lock = threading.Lock()
    gate = threading.Event()
    alive = [0]
    seen = []

    def work(url):
        with lock:
            alive[0] += 1
        return url

    def then(url, fetched):
        assert gate.wait(10), "the gate never opened"
        with lock:
            alive[0] -= 1
        return fetched

    def watch():
        for _ in range(5000):
            if alive[0] >= 4:
                break
            time.sleep(0.001)
        time.sleep(0.2)  # room for any item that could still start
        seen.append(alive[0])
        gate.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    report = run_all(urls("a.example", 12), url_of=str, work=work, then=then, concurrency=2,
                     per_host_delay=0)
    watcher.join()
    assert len(report.done) == 12 and not report.failed
    assert seen == [4]


def test_then_runs_in_as_many_readers_as_asked():
    # Two readers for eight fetching slots: two pages are read at once, never three,
    # and every fetched page is read.
    lock = threading.Lock()
    both = threading.Event()
    reading = [0]
    most = [0]

    def then(url, fetched):
        with lock:
            reading[0] += 1
            most[0] = max(most[0], reading[0])
            if reading[0] == 2:
                both.set()
        both.wait(5)
        time.sleep(0.005)
        with lock:
            reading[0] -= 1
        return fetched

    report = run_all(urls("a.example", 12), url_of=str, work=Recorder(), then=then,
                     concurrency=8, per_host_delay=0, readers=2)
    assert sorted(report.done) == sorted(urls("a.example", 12)) and not report.failed
    assert most == [2]


def test_then_many_reads_what_is_waiting_together_and_reports_each_outcome():
    # One reader, slow to start: the fetched pages wait and then go in batches of at
    # most four; an exception in a batch's outcomes fails that item alone.
    first = threading.Event()
    sizes: list[int] = []
    done: dict[str, object] = {}

    def then_many(pairs):
        first.wait(5)
        sizes.append(len(pairs))
        time.sleep(0.01)
        return [ValueError(url) if url.endswith("/3") else fetched for url, fetched in pairs]

    def work(url):
        if url.endswith("/11"):
            first.set()  # the last fetch: every other page waits for the reader by now
        return url.upper()

    items = urls("a.example", 12)
    report = run_all(items, url_of=str, work=work, then_many=then_many, batch=4,
                     concurrency=12, per_host_delay=0, readers=1,
                     on_done=lambda url, outcome: done.update({url: outcome}))
    assert sum(sizes) == 12 and 1 < max(sizes) <= 4
    assert [str(exc) for _, exc in report.failed] == [items[3]]
    assert done == {url: url.upper() for url in items if url != items[3]}


def test_then_and_then_many_together_are_refused():
    with pytest.raises(ValueError):
        run_all([], url_of=str, work=str, then=lambda i, r: r,
                then_many=lambda pairs: pairs, concurrency=1, per_host_delay=0)

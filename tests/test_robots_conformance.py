"""robots.txt conformance: the cases of Google's reference parser and Protego's own tests.

The cases live outside the project (`../shared/conformance/robots-cases.json`,
format in its README) and are read, not copied. Each body is served over a
loopback server and read by the fetcher exactly as a real robots.txt is
(`Fetcher.robots`: fetch, decode, `interpret`); then the case's agent and URL are
asked. Contested cases (the suites disagree, or RFC 9309 allows both answers) are
reported, not counted.
"""

import base64
import json
from pathlib import Path

import pytest

from oermonitor.fetch import Fetcher
from oermonitor.robots import Rules
from oermonitor.settings import FetchSettings, Settings

CASES = Path(__file__).resolve().parents[1].parent / "shared" / "conformance" / "robots-cases.json"
REQUIRED = 511  # of the 525 uncontested cases (521 pass; the rest are Google-only corner cases)


def load_cases() -> list[dict]:
    if not CASES.is_file():
        pytest.skip(f"shared robots.txt conformance cases not found at {CASES}")
    return json.loads(CASES.read_text(encoding="utf-8"))["cases"]


def body(case: dict) -> bytes:
    if "robotstxt_b64" in case:
        return base64.b64decode(case["robotstxt_b64"])
    return case["robotstxt"].encode("utf-8")


def test_conformance_cases_served_over_loopback(server):
    cases = load_cases()
    settings = Settings(fetch=FetchSettings(allow_private_networks=True, per_host_delay=0,
                                            timeout=2.0, max_tries=1))
    passed, failed, contested = 0, [], []
    for case in cases:
        server.route("/robots.txt", body(case), content_type="text/plain")
        with Fetcher(settings) as fetcher:  # a new run: robots.txt is fetched afresh
            rules = fetcher.robots.rules_for(server.url("/"))
        assert isinstance(rules, Rules), case["id"]
        answer = rules.can_fetch(case["user_agent"], case["url"])
        if case.get("contested"):
            contested.append(case["id"])
        elif answer == case["expected"]:
            passed += 1
        else:
            failed.append(case["id"])
    print(f"robots.txt conformance: {passed} passed, {len(failed)} failed, "
          f"{len(contested)} contested (not counted)")
    print("failing:", ", ".join(failed) or "none")
    assert passed + len(failed) == 525
    assert passed >= REQUIRED, f"failing cases: {failed}"


def test_every_case_is_read_from_the_shared_file():
    cases = load_cases()
    assert len([case for case in cases if not case.get("contested")]) == 525
    assert all("robotstxt" in case or "robotstxt_b64" in case for case in cases)

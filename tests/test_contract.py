"""The public interface (the project contract), checked from outside.

Every test drives `python -m oermonitor` as a subprocess, exactly as a user or
cron would: a settings file, a CSV, a real HTTP server and a real SMTP server on
loopback. Nothing inside the package is imported, so these tests pin the
contract, not the design.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests import support
from tests.support import LoopbackServer, SmtpSink, free_port, slow

TODAY = date.today()
STATUS_KEYS = {"id", "url", "title", "pilot", "maintainer_email", "state", "problems",
               "availability", "licence", "last_modified", "last_checked"}
INSPECT_KEYS = {"url", "final_url", "status_code", "availability", "licence", "licence_scope",
                "last_modified", "title", "platform", "platform_id", "content_hash", "error"}

WIKIWIJS = """<!DOCTYPE html>
<html lang="nl"><head><meta charset="utf-8">
<title>{title} - Wikiwijs Maken</title>
<meta name="csrf-token" content="{token}">
<link rel="canonical" href="https://maken.wikiwijs.nl/{wid}/{slug}">
</head><body>
<header class="site-header"><a href="/login">Inloggen</a> <span class="clock">{clock}</span></header>
<nav><ul><li><a href="#!page-1">1. Inleiding</a></li><li><a href="#!page-2">Over dit lesmateriaal</a></li></ul></nav>
<main id="content"><h1>{title}</h1>
<section class="arrangement-page" id="page-1"><h2>1. Inleiding</h2>
<p>{text}</p>
<p>Kijk eerst naar het voorbeeld en probeer daarna zelf de opgaven te maken. Schrijf je
tussenstappen op, zodat je docent kan zien hoe je hebt gedacht.</p></section>
<section class="arrangement-page" id="page-2"><h2>Over dit lesmateriaal</h2><h3>Colofon</h3>
<table class="colophon"><tbody>
<tr><th>Auteur</th><td>Sectie Wiskunde, Het Baken College</td></tr>
<tr><th>Laatst gewijzigd</th><td>{changed}</td></tr>
<tr><th>Licentie</th><td>Dit lesmateriaal is gepubliceerd onder de Creative Commons
Naamsvermelding-GelijkDelen 4.0 Internationale licentie.</td></tr>
</tbody></table></section></main>
<aside><p>Dit arrangement is <span class="view-count">{views}</span> keer bekeken.</p></aside>
<footer><p>Pagina gegenereerd op {generated}</p></footer>
<script>window.t = "{token}";</script>
</body></html>"""

SIMPLE = """<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{title}</title>
{licence}</head><body><main><h1>{title}</h1>
<p>Gewijzigd op <time datetime="{changed}">{changed}</time>.</p>
<p>{text}</p></main></body></html>"""
CC_BY = '<link rel="license" href="https://creativecommons.org/licenses/by/4.0/">'
CC_BY_NC = '<link rel="license" href="https://creativecommons.org/licenses/by-nc/4.0/">'

SOFT_404 = """<!DOCTYPE html><html lang="nl"><head><title>Pagina niet gevonden - Wikiwijs</title>
</head><body><main><h1>Pagina niet gevonden</h1>
<p>Het lesmateriaal dat je zoekt bestaat niet (meer) of is verplaatst.</p></main></body></html>"""

LOGIN = """<!DOCTYPE html><html lang="nl"><head><title>Inloggen - Wikiwijs</title></head>
<body><main><h1>Inloggen</h1><form method="post" action="/login">
<label>Gebruikersnaam <input name="username"></label>
<label>Wachtwoord <input type="password" name="password"></label>
<button type="submit">Inloggen</button></form></main></body></html>"""


def wikiwijs(title="Breuken en procenten", wid=171772, text=None, token="a1b2c3d4e5f6",
             clock="08:14", views=4212, changed="24 februari 2023 om 13:06",
             generated="13-01-2025 08:14:55") -> str:
    return WIKIWIJS.format(
        title=title, wid=wid, slug=title.replace(" ", "_"), token=token, clock=clock,
        views=views, changed=changed, generated=generated,
        text=text or f"In deze les leer je hoe je {title.lower()} gebruikt in situaties uit "
                     "het dagelijks leven. Let op wat het geheel is.")


def simple(title: str, changed: date | str = "2025-01-01", licence: str = CC_BY,
           text: str = "") -> str:
    return SIMPLE.format(title=title, changed=str(changed), licence=licence,
                         text=text or f"Lesmateriaal over {title}: uitleg, voorbeelden en "
                                      "opgaven voor de onderbouw.")


# -- running the command line -------------------------------------------------------------


def base_env(private: bool = True, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("OERMONITOR_CONFIG", "OERMONITOR_ALLOW_PRIVATE_NETWORKS")}
    if private:
        env["OERMONITOR_ALLOW_PRIVATE_NETWORKS"] = "1"
    env.update(extra)
    return env


def om(cwd: Path, *args: str, env: dict | None = None, timeout: float = 30,
       check: int | None = None) -> subprocess.CompletedProcess:
    """Run `python -m oermonitor ARGS` in `cwd`; `check` asserts the exit code."""
    proc = subprocess.run([sys.executable, "-m", "oermonitor", *args], cwd=cwd,
                          env=env if env is not None else base_env(), capture_output=True,
                          text=True, timeout=timeout)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def om_many(cwd: Path, *commands: tuple[str, ...], timeout: float = 30
            ) -> list[subprocess.CompletedProcess]:
    """Run independent commands (ones that only read) at the same time, as separate
    users might; their results in the order given."""
    procs = [subprocess.Popen([sys.executable, "-m", "oermonitor", *args], cwd=cwd,
                              env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for args in commands]
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            proc.kill()
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


def assert_clean_error(proc: subprocess.CompletedProcess, code: int = 1) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert proc.stderr.strip(), "the reason must be said on stderr"
    return proc.stderr


FETCH = {"timeout": 3, "total_timeout": 5, "max_tries": 1, "backoff_base": 0.01,
         "per_host_delay": 0, "respect_robots_txt": True}


def write_config(folder: Path, smtp_port: int | None = None, *, name: str = "config/oermonitor.toml",
                 top: str = "", fetch: dict | None = None, policy: str = "",
                 notify: str = "") -> Path:
    """A settings file with fast fetch settings; `fetch` overrides single keys."""
    return support.write_config(
        folder, name=name, top=top, fetch={**FETCH, **(fetch or {})},
        policy=policy or "failures_before_broken = 1",
        notify="coordinator_summaries = false\n" + notify, smtp_port=smtp_port or free_port())


def write_csv(path: Path, rows: list[dict], sep: str = ",", bom: bool = False) -> Path:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, delimiter=sep, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(("\ufeff" if bom else "") + out.getvalue(), encoding="utf-8")
    return path


def status(cwd: Path, *args: str) -> list[dict]:
    return json.loads(om(cwd, "status", "--json", *args, check=0).stdout)


def by_url(items: list[dict]) -> dict[str, dict]:
    return {item["url"]: item for item in items}


def body(message) -> str:
    part = message.get_body(("plain", "html"))
    return part.get_content() if part is not None else message.get_content()


@pytest.fixture(scope="module")
def site():
    """One loopback site for the whole module; tests use distinct paths."""
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


# -- global options and exit codes -------------------------------------------------------


def one_row_csv(folder: Path, url: str = "https://example.org/les") -> Path:
    return write_csv(folder / "m.csv", [{"url": url, "maintainer_email": "a@school.example",
                                         "pilot": "P"}])


def test_default_config_in_cwd_and_relative_database(tmp_path):
    write_config(tmp_path, top="", name="config/oermonitor.toml")
    one_row_csv(tmp_path)
    om(tmp_path, "import", "m.csv", check=0)
    assert (tmp_path / "config" / "oermonitor.db").is_file()
    assert not (tmp_path / "oermonitor.db").exists()


def test_config_option_env_var_and_db_override(tmp_path):
    other = tmp_path / "elsewhere"
    config = write_config(other, name="settings.toml")
    config.write_text(config.read_text().replace('"oermonitor.db"', '"viaoption.db"'))
    one_row_csv(tmp_path)
    om(tmp_path, "--config", str(config), "import", "m.csv", check=0)
    assert (other / "viaoption.db").is_file()

    env_config = write_config(tmp_path / "env", name="x.toml")
    om(tmp_path, "import", "m.csv", env=base_env(OERMONITOR_CONFIG=str(env_config)), check=0)
    assert (tmp_path / "env" / "oermonitor.db").is_file()

    om(tmp_path, "--config", str(config), "--db", "cli.db", "import", "m.csv", check=0)
    assert (tmp_path / "cli.db").is_file()
    items = json.loads(om(tmp_path, "--db", "cli.db", "status", "--json", check=0).stdout)
    assert [m["url"] for m in items] == ["https://example.org/les"]


def test_config_option_beats_env_var(tmp_path):
    a = write_config(tmp_path / "a", name="s.toml")
    b = write_config(tmp_path / "b", name="s.toml")
    one_row_csv(tmp_path)
    om(tmp_path, "--config", str(a), "import", "m.csv", env=base_env(OERMONITOR_CONFIG=str(b)),
       check=0)
    assert (tmp_path / "a" / "oermonitor.db").is_file()
    assert not (tmp_path / "b" / "oermonitor.db").exists()


def test_relative_database_in_missing_subfolder_is_a_clear_error(tmp_path):
    config = write_config(tmp_path, name="config/oermonitor.toml")
    config.write_text(config.read_text().replace('"oermonitor.db"', '"data/monitor.db"'))
    one_row_csv(tmp_path)
    err = assert_clean_error(om(tmp_path, "import", "m.csv"))
    assert str(tmp_path / "config" / "data") in err  # resolved against the config's folder
    (tmp_path / "config" / "data").mkdir()
    om(tmp_path, "import", "m.csv", check=0)
    assert (tmp_path / "config" / "data" / "monitor.db").is_file()


@pytest.mark.parametrize("content, needle", [
    ("database = \n", "oermonitor.toml"),
    ("[policy]\nstale_after_days = \"soon\"\n", "stale_after_days"),
    ("language = \"fr\"\n", "language"),
])
def test_bad_config_is_exit_1_one_clear_line(tmp_path, content, needle):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "oermonitor.toml").write_text(content, encoding="utf-8")
    one_row_csv(tmp_path)
    err = assert_clean_error(om(tmp_path, "import", "m.csv"))
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "config" / "oermonitor.db").exists()


def test_missing_config_file_is_exit_1(tmp_path):
    err = assert_clean_error(om(tmp_path, "--config", "nope.toml", "status"))
    assert "nope.toml" in err


@pytest.mark.parametrize("args", [["frobnicate"], ["import"], ["status", "--bogus"]])
def test_usage_errors_are_exit_2(tmp_path, args):
    assert_clean_error(om(tmp_path, *args), code=2)


def test_bad_argument_value_is_exit_1(tmp_path):
    write_config(tmp_path)
    err = assert_clean_error(om(tmp_path, "run", "--today", "31-02-2025"))
    assert "--today" in err


# -- import ---------------------------------------------------------------------------------


def test_import_semicolon_bom_header_case_both_dates_and_idempotent(tmp_path):
    write_config(tmp_path)
    rows = [
        {"URL": "https://example.org/a", "Maintainer_Email": "a@school.example",
         "PILOT": "Rekenen", "Title": "Breuken", "Pilot_End_Date": "31-12-2024",
         "Expected_Licence": "CC-BY-4.0", "Coordinator_Email": "c@school.example",
         "Maintainer_Name": "Anna"},
        {"URL": "https://example.org/b", "Maintainer_Email": "b@school.example",
         "PILOT": "Taal", "Title": "", "Pilot_End_Date": "2030-06-30",
         "Expected_Licence": "", "Coordinator_Email": "", "Maintainer_Name": ""},
    ]
    write_csv(tmp_path / "m.csv", rows, sep=";", bom=True)
    first = om(tmp_path, "import", "m.csv", check=0)
    before = status(tmp_path)
    assert {m["url"] for m in before} == {"https://example.org/a", "https://example.org/b"}
    a = by_url(before)["https://example.org/a"]
    assert (a["title"], a["pilot"], a["maintainer_email"], a["state"]) == (
        "Breuken", "Rekenen", "a@school.example", "unchecked")
    again = om(tmp_path, "import", "m.csv", check=0)
    assert status(tmp_path) == before
    assert again.stdout != first.stdout  # the summary says nothing was added


def test_import_comma_separated(tmp_path):
    write_config(tmp_path)
    write_csv(tmp_path / "m.csv", [{"url": "https://example.org/x", "maintainer_email":
                                    "x@school.example", "pilot": "P"}], sep=",")
    om(tmp_path, "import", "m.csv", check=0)
    assert [m["url"] for m in status(tmp_path)] == ["https://example.org/x"]


def test_import_every_invalid_row_reported_nothing_written(tmp_path):
    write_config(tmp_path)
    good = {"url": "https://example.org/ok", "maintainer_email": "ok@school.example",
            "pilot": "P", "pilot_end_date": ""}
    rows = [
        good,                                                                   # line 2
        {**good, "url": "https://example.org/1", "maintainer_email": ""},       # 3 missing
        {**good, "url": "ftp://example.org/2"},                                 # 4 bad url
        {**good, "url": "https://example.org/3", "maintainer_email": "nope"},   # 5 bad email
        {**good, "url": "https://example.org/4", "pilot_end_date": "2024-13-45"},  # 6 bad date
        {**good, "url": "https://example.org/5", "pilot": ""},                  # 7 no pilot
        {**good, "url": "not a url at all"},                                    # 8 bad url
    ]
    write_csv(tmp_path / "bad.csv", rows)
    err = assert_clean_error(om(tmp_path, "import", "bad.csv"))
    for line in (3, 4, 5, 6, 7, 8):
        assert f"bad.csv:{line}:" in err, (line, err)
    assert "bad.csv:2:" not in err
    assert status(tmp_path) == []


def test_import_two_end_dates_for_one_pilot(tmp_path):
    write_config(tmp_path)
    rows = [{"url": "https://example.org/1", "maintainer_email": "a@school.example",
             "pilot": "P", "pilot_end_date": "2024-06-30"},
            {"url": "https://example.org/2", "maintainer_email": "a@school.example",
             "pilot": "P", "pilot_end_date": "30-06-2024"},  # same date, other form: fine
            {"url": "https://example.org/3", "maintainer_email": "a@school.example",
             "pilot": "P", "pilot_end_date": "2024-07-31"}]
    write_csv(tmp_path / "two.csv", rows)
    err = assert_clean_error(om(tmp_path, "import", "two.csv"))
    assert "two.csv:4:" in err
    assert status(tmp_path) == []
    rows[2]["pilot_end_date"] = ""  # a row without a date takes the pilot's
    write_csv(tmp_path / "two.csv", rows)
    om(tmp_path, "import", "two.csv", check=0)
    assert len(status(tmp_path)) == 3


def test_import_missing_column_and_missing_file(tmp_path):
    write_config(tmp_path)
    (tmp_path / "cols.csv").write_text("url,pilot\nhttps://example.org/a,P\n", encoding="utf-8")
    err = assert_clean_error(om(tmp_path, "import", "cols.csv"))
    assert "maintainer_email" in err
    err = assert_clean_error(om(tmp_path, "import", "absent.csv"))
    assert "absent.csv" in err
    assert status(tmp_path) == []


# -- inspect ----------------------------------------------------------------------------------


def _robots(request):
    data = b"User-agent: *\nDisallow: /private/\n"
    request.send_response(200)
    request.send_header("Content-Type", "text/plain")
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


@pytest.fixture(scope="module")
def inspected(site, tmp_path_factory):
    """One `inspect --json` over every availability case; {name: (given url, object)}."""
    folder = tmp_path_factory.mktemp("inspect")
    write_config(folder)
    s = site
    s.route("/robots.txt", handler=_robots)
    cases = {
        "ok": s.route("/i/ok", wikiwijs()),
        "temp_redirect": s.route("/i/temp", status=302, headers={"Location": "/i/ok"}),
        "moved": s.route("/i/old", status=301, headers={"Location": "/i/ok"}),
        "moved_308": s.route("/i/old308", status=308, headers={"Location": "/i/ok"}),
        "missing_404": s.route("/i/404", "<h1>Not found</h1>", status=404),
        "missing_410": s.route("/i/410", "<h1>Gone</h1>", status=410),
        "soft_404": s.route("/i/soft", SOFT_404),
        "login": s.route("/i/private-course", status=302, headers={"Location": "/i/login"}),
        "forbidden_403": s.route("/i/403", "<h1>Forbidden</h1>", status=403),
        "forbidden_401": s.route("/i/401", "<h1>Unauthorized</h1>", status=401),
        "rate_limited": s.route("/i/429", "slow down", status=429,
                                headers={"Retry-After": "0"}),
        "server_error": s.route("/i/500", "oops", status=500),
        "server_error_503": s.route("/i/503", "busy", status=503),
        "timeout": s.route("/i/slow", handler=slow(1.5, wikiwijs())),
        "unreachable": f"http://127.0.0.1:{free_port()}/les",
        "robots": s.route("/private/les", wikiwijs()),
        "redirect_loop": s.route("/i/loop", status=302, headers={"Location": "/i/loop"}),
        "invalid_ftp": "ftp://example.org/les",
        "invalid_text": "geen url",
        "hash_a": s.route("/i/hash-a", wikiwijs()),
        "hash_b": s.route("/i/hash-b", wikiwijs(token="zz99yy88xx77", clock="23:59",
                                                views=9999, generated="01-02-2026 23:59:01")),
        "hash_c": s.route("/i/hash-c", wikiwijs(text="Een heel andere uitleg over breuken: "
                                                     "deze les is herschreven.")),
    }
    s.route("/i/login", LOGIN)
    order = list(cases)
    proc = om(folder, "inspect", "--json", "--timeout", "0.5", *[cases[n] for n in order],
              check=0, timeout=40)
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == len(order), proc.stdout
    return {name: (cases[name], obj) for name, obj in zip(order, lines, strict=True)}, folder


@pytest.mark.parametrize("name, availability", [
    ("ok", "ok"), ("temp_redirect", "ok"), ("moved", "moved"), ("moved_308", "moved"),
    ("missing_404", "missing"), ("missing_410", "missing"), ("soft_404", "missing"),
    ("login", "login_required"), ("forbidden_403", "forbidden"), ("forbidden_401", "forbidden"),
    ("rate_limited", "rate_limited"), ("server_error", "server_error"),
    ("server_error_503", "server_error"), ("timeout", "timeout"),
    ("unreachable", "unreachable"), ("robots", "blocked_by_robots"),
    ("redirect_loop", "unreachable"), ("invalid_ftp", "invalid_url"),
    ("invalid_text", "invalid_url"),
])
def test_inspect_availability(inspected, name, availability):
    url, obj = inspected[0][name]
    assert set(obj) >= INSPECT_KEYS, INSPECT_KEYS - set(obj)
    assert obj["url"] == url
    assert obj["availability"] == availability, obj
    if availability == "ok":
        assert obj["error"] is None
    else:
        assert isinstance(obj["error"], str) and obj["error"].strip()


def test_inspect_status_codes_and_final_url(inspected, site):
    cases = inspected[0]
    assert cases["ok"][1]["status_code"] == 200
    assert cases["moved"][1]["final_url"] == site.url("/i/ok")
    assert cases["moved"][1]["status_code"] == 200
    assert cases["temp_redirect"][1]["final_url"] == site.url("/i/ok")
    assert cases["missing_410"][1]["status_code"] == 410
    assert cases["unreachable"][1]["status_code"] is None
    assert cases["timeout"][1]["status_code"] is None
    assert cases["invalid_text"][1]["status_code"] is None


def test_inspect_wikiwijs_facts(inspected):
    obj = inspected[0]["ok"][1]
    assert obj["licence"] == "CC-BY-SA-4.0"
    assert obj["licence_scope"] == "material"
    assert obj["last_modified"][:10] == "2023-02-24"
    assert obj["title"] == "Breuken en procenten"
    assert obj["platform"] == "wikiwijs"
    assert obj["platform_id"] == "wikiwijs:171772"
    assert obj["content_hash"]


def test_inspect_content_hash(inspected):
    cases = inspected[0]
    assert cases["hash_a"][1]["content_hash"] == cases["hash_b"][1]["content_hash"]
    assert cases["hash_a"][1]["content_hash"] != cases["hash_c"][1]["content_hash"]


def test_inspect_without_json_is_readable(site, tmp_path):
    url = site.route("/i/plain", wikiwijs())
    proc = om(tmp_path, "inspect", url, check=0)
    assert url in proc.stdout and "ok" in proc.stdout
    assert "CC-BY-SA-4.0" in proc.stdout


def test_inspect_blocks_private_address_without_permission(tmp_path):
    srv = LoopbackServer().start()
    try:
        url = srv.route("/les", wikiwijs())
        redirect = srv.route("/r", status=302, headers={"Location": "/les"})
        proc = om(tmp_path, "inspect", "--json", url, redirect, "http://[::1]:9/x",
                  "http://10.1.2.3/x", env=base_env(private=False), check=0)
        objs = [json.loads(line) for line in proc.stdout.splitlines()]
        assert [o["availability"] for o in objs] == ["blocked_private_address"] * 4
        assert all(o["status_code"] is None and o["error"] for o in objs)
        assert srv.requests == []
    finally:
        srv.stop()


def test_inspect_writes_nothing(site, tmp_path):
    write_config(tmp_path)
    url = site.route("/i/registered", wikiwijs())
    write_csv(tmp_path / "m.csv", [{"url": url, "maintainer_email": "a@school.example",
                                    "pilot": "P"}])
    om(tmp_path, "import", "m.csv", check=0)
    db = tmp_path / "config" / "oermonitor.db"
    before = db.read_bytes()
    om(tmp_path, "inspect", "--json", url, check=0)
    assert db.read_bytes() == before
    [item] = status(tmp_path)
    assert (item["state"], item["last_checked"], item["availability"]) == ("unchecked", None, None)


def test_inspect_without_database_creates_none(site, tmp_path):
    url = site.route("/i/nodb", wikiwijs())
    om(tmp_path, "--db", "never.db", "inspect", "--json", url, check=0)
    assert not (tmp_path / "never.db").exists()


# -- run and the emails ---------------------------------------------------------------------


def material(url, who, pilot="Pilot", **extra):
    return {"url": url, "maintainer_email": who, "pilot": pilot, **extra}


def setup_run(tmp_path, smtp, rows, **config):
    write_config(tmp_path, smtp.port if smtp else None, **config)
    write_csv(tmp_path / "m.csv", rows)
    om(tmp_path, "import", "m.csv", check=0)


def test_run_one_email_per_maintainer_only_theirs_dutch_no_repeat_then_reminder(
        site, smtp, tmp_path):
    ok = site.route("/r1/ok", simple("Goed lesmateriaal", changed=TODAY))
    gone_a = site.route("/r1/gone-a", status=404)
    gone_a2 = site.route("/r1/gone-a2", status=410)
    nolic_b = site.route("/r1/nolicence-b", simple("Zonder licentie", changed=TODAY, licence=""))
    ok_c = site.route("/r1/ok-c", simple("Ook goed", changed=TODAY))
    setup_run(tmp_path, smtp, [
        material(ok, "anna@school.example", title="Goed lesmateriaal"),
        material(gone_a, "anna@school.example", title="Verdwenen breuken"),
        material(gone_a2, "anna@school.example", title="Verdwenen procenten"),
        material(nolic_b, "bram@school.example", title="Zonder licentie"),
        material(ok_c, "carla@school.example", title="Ook goed"),
    ], notify="remind_every_days = 7")
    om(tmp_path, "run", check=0)
    anna, bram = smtp.to("anna@school.example"), smtp.to("bram@school.example")
    assert (len(anna), len(bram), len(smtp.to("carla@school.example"))) == (1, 1, 0)
    assert len(smtp.messages) == 2
    text = body(anna[0])
    for wanted in (gone_a, gone_a2, "Verdwenen breuken", "Verdwenen procenten"):
        assert wanted in text
    for unwanted in (ok, nolic_b, ok_c):
        assert unwanted not in text
    assert nolic_b in body(bram[0]) and gone_a not in body(bram[0])
    assert "lesmateriaal" in (anna[0]["Subject"] + text).lower()  # Dutch by default
    assert "Beste" in text

    om(tmp_path, "run", check=0)  # same day: no repeat
    assert len(smtp.messages) == 2
    om(tmp_path, "run", "--today", str(TODAY + timedelta(days=3)), check=0)
    assert len(smtp.messages) == 2  # not yet due for a reminder
    om(tmp_path, "run", "--today", str(TODAY + timedelta(days=7)), check=0)
    assert len(smtp.to("anna@school.example")) == 2
    assert len(smtp.to("bram@school.example")) == 2
    assert gone_a in body(smtp.to("anna@school.example")[-1])
    assert len(smtp.to("carla@school.example")) == 0


def test_run_english_emails(site, smtp, tmp_path):
    gone = site.route("/r2/gone", status=404)
    setup_run(tmp_path, smtp, [material(gone, "eve@school.example", title="Lost")],
              top='language = "en"')
    om(tmp_path, "run", check=0)
    [msg] = smtp.to("eve@school.example")
    text = body(msg)
    assert gone in text
    assert "learning material" in (msg["Subject"] + text).lower()
    assert "Beste" not in text and "lesmateriaal" not in text.lower()


def test_run_nothing_new_sends_nothing(site, smtp, tmp_path):
    good = site.route("/r3/good", simple("Prima", changed=TODAY))
    setup_run(tmp_path, smtp, [material(good, "ok@school.example", pilot_end_date="2099-12-31")])
    om(tmp_path, "run", check=0)
    assert smtp.messages == []
    [item] = status(tmp_path)
    assert item["state"] == "ok" and item["last_checked"]


def test_run_dry_run_sends_nothing_and_records_nothing_as_sent(site, smtp, tmp_path):
    gone = site.route("/r4/gone", status=404)
    setup_run(tmp_path, smtp, [material(gone, "dry@school.example")])
    om(tmp_path, "run", "--dry-run", check=0)
    assert smtp.messages == []
    om(tmp_path, "run", check=0)
    assert len(smtp.to("dry@school.example")) == 1


def test_run_smtp_unreachable_is_operational_and_retried_later(site, tmp_path):
    gone = site.route("/r5/gone", status=404)
    sink = SmtpSink()  # not started yet: the port refuses connections
    setup_run(tmp_path, sink, [material(gone, "later@school.example")])
    proc = om(tmp_path, "run")
    err = assert_clean_error(proc, code=proc.returncode)
    assert proc.returncode not in (0, 1, 2), (proc.returncode, err)
    sink.start()
    try:
        om(tmp_path, "run", check=0)
        assert len(sink.to("later@school.example")) == 1  # not recorded as sent before
    finally:
        sink.stop()


def test_second_run_while_one_is_active_exits_promptly_and_does_nothing(site, smtp, tmp_path):
    slow_url = site.route("/r6/slow", handler=slow(2.0, simple("Traag")))
    gone = site.route("/r6/gone", status=404)
    setup_run(tmp_path, smtp, [material(slow_url, "s@school.example"),
                               material(gone, "g@school.example")],
              fetch={"concurrency": 1, "total_timeout": 10, "timeout": 8})
    first = subprocess.Popen([sys.executable, "-m", "oermonitor", "run"], cwd=tmp_path,
                             env=base_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        deadline = time.monotonic() + 10
        while site.hits("/r6/slow") == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert site.hits("/r6/slow") == 1
        started = time.monotonic()
        second = om(tmp_path, "run", timeout=10)
        elapsed = time.monotonic() - started
        assert first.poll() is None, "the first run should still be busy"
        assert elapsed < 2.0
        assert "Traceback" not in second.stderr
        assert second.returncode not in (1, 2)
        assert site.hits("/r6/slow") == 1
        out, err = first.communicate(timeout=20)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert len(smtp.to("g@school.example")) == 1  # sent once, by the first run only
    assert site.hits("/r6/slow") == 1


# -- status, state and problems -------------------------------------------------------------


def test_status_json_csv_filters_and_unchecked(site, tmp_path):
    a = site.route("/s1/a", simple("A", changed=TODAY))
    setup_run(tmp_path, None, [material(a, "a@school.example", pilot="P1", title="A"),
                               material("https://example.org/b", "b@school.example",
                                        pilot="P2", title="B")])
    items = status(tmp_path)
    assert len(items) == 2
    for item in items:
        assert set(item) >= STATUS_KEYS, STATUS_KEYS - set(item)
        assert item["state"] == "unchecked" and item["last_checked"] is None
        assert isinstance(item["problems"], list)
    p2, a_only, ok, as_text, as_csv = om_many(
        tmp_path, ("status", "--json", "--pilot", "P2"),
        ("status", "--json", "--maintainer", "a@school.example"),
        ("status", "--json", "--state", "ok"), ("status",), ("status", "--csv"))
    assert all(p.returncode == 0 for p in (p2, a_only, ok, as_text, as_csv))
    assert [m["title"] for m in json.loads(p2.stdout)] == ["B"]
    assert [m["title"] for m in json.loads(a_only.stdout)] == ["A"]
    assert json.loads(ok.stdout) == []
    text = as_text.stdout
    assert "P1" in text and "P2" in text
    raw = as_csv.stdout.lstrip("\ufeff")
    sep = ";" if raw.splitlines()[0].count(";") > raw.splitlines()[0].count(",") else ","
    rows = list(csv.DictReader(io.StringIO(raw), delimiter=sep))
    assert len(rows) == 2 and {"url", "state", "pilot"} <= set(rows[0])


def test_failing_then_broken(site, tmp_path):
    gone = site.route("/s2/gone", status=404)
    setup_run(tmp_path, None, [material(gone, "f@school.example")],
              policy="failures_before_broken = 2\nrecheck_after_hours = 0\n"
                     "retry_failing_after_hours = 0",
              notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    [item] = status(tmp_path)
    assert (item["state"], item["availability"]) == ("failing", "missing")
    assert "failing" in item["problems"] and "broken" not in item["problems"]
    om(tmp_path, "run", check=0)
    [item] = status(tmp_path)
    assert item["state"] == "broken" and "broken" in item["problems"]
    assert "failing" not in item["problems"]


def test_state_is_worst_and_problems_list_all(site, tmp_path):
    ended = TODAY - timedelta(days=400)
    old = TODAY - timedelta(days=800)
    urls = {
        "broken_nolicence": site.route("/s3/gone", status=404),
        "licence_stale": site.route("/s3/nc", simple("NC", changed=old, licence=CC_BY_NC)),
        "stale": site.route("/s3/old", simple("Oud", changed=old)),
        "moved": site.route("/s3/moved", status=301, headers={"Location": "/s3/new"}),
        "ok": site.route("/s3/fresh", simple("Vers", changed=TODAY)),
    }
    site.route("/s3/new", simple("Nieuw", changed=TODAY))
    setup_run(tmp_path, None, [material(u, "w@school.example", pilot_end_date=str(ended))
                               for u in urls.values()],
              policy="failures_before_broken = 1\nstale_after_days = 365",
              notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    items = by_url(status(tmp_path))
    got = {name: (items[u]["state"], set(items[u]["problems"])) for name, u in urls.items()}
    assert got["broken_nolicence"][0] == "broken"
    assert got["licence_stale"] == ("licence_issue", {"licence_not_open", "stale"})
    assert got["stale"] == ("stale", {"stale"})
    assert got["moved"] == ("moved", {"moved"})
    assert got["ok"] == ("ok", set())
    assert items[urls["ok"]]["licence"] == "CC-BY-4.0"
    assert items[urls["stale"]]["last_modified"][:10] == str(old)
    assert [m["url"] for m in status(tmp_path, "--state", "stale")] == [urls["stale"]]


def test_stale_only_after_pilot_end_and_confirm_resets(site, tmp_path):
    ended = TODAY - timedelta(days=400)
    old = TODAY - timedelta(days=800)
    recent = TODAY - timedelta(days=100)
    stale_url = site.route("/s4/old", simple("Oud", changed=old))
    recent_url = site.route("/s4/recent", simple("Recent", changed=recent))
    running_url = site.route("/s4/running", simple("Loopt", changed=old))
    setup_run(tmp_path, None, [
        material(stale_url, "m@school.example", pilot="Ended", pilot_end_date=str(ended)),
        material(recent_url, "m@school.example", pilot="Ended", pilot_end_date=str(ended)),
        material(running_url, "m@school.example", pilot="Running"),  # no end date
    ], policy="failures_before_broken = 1\nstale_after_days = 365", notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    items = by_url(status(tmp_path))
    assert items[stale_url]["state"] == "stale"
    assert items[recent_url]["state"] == "ok"
    assert items[running_url]["state"] == "ok"
    before_end = by_url(status(tmp_path, "--today", str(ended - timedelta(days=1))))
    assert before_end[stale_url]["state"] == "ok"
    assert "stale" not in before_end[stale_url]["problems"]
    later = by_url(status(tmp_path, "--today", str(recent + timedelta(days=366))))
    assert later[recent_url]["state"] == "stale"

    om(tmp_path, "confirm", stale_url, "--by", "m@school.example", "--note", "nagekeken",
       check=0)
    assert by_url(status(tmp_path))[stale_url]["state"] == "ok"
    assert by_url(status(tmp_path, "--today", str(TODAY + timedelta(days=366))))[
        stale_url]["state"] == "stale"
    shown = om(tmp_path, "show", stale_url, check=0).stdout
    assert "nagekeken" in shown


def test_observed_content_change_is_a_sign_of_maintenance(site, tmp_path):
    ended = TODAY - timedelta(days=400)
    old = TODAY - timedelta(days=800)
    url = site.route("/s5/page", simple("Oud", changed=old, text="Eerste versie van de les."))
    setup_run(tmp_path, None, [material(url, "m@school.example", pilot_end_date=str(ended))],
              policy="failures_before_broken = 1\nstale_after_days = 365\nrecheck_after_hours = 0",
              notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    assert status(tmp_path)[0]["state"] == "stale"
    site.route("/s5/page", simple("Oud", changed=old,
                                  text="Tweede versie: nieuwe opgaven en een nieuwe uitleg."))
    om(tmp_path, "run", check=0)
    assert status(tmp_path)[0]["state"] == "ok"


# -- show, confirm --------------------------------------------------------------------------


def test_show_by_id_and_url_with_history_and_unknown(site, tmp_path):
    url = site.route("/s6/page", simple("Getoond", changed=TODAY))
    setup_run(tmp_path, None, [material(url, "s@school.example", title="Getoond")],
              notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    [item] = status(tmp_path)
    by_id, by_link, *unknown = om_many(
        tmp_path, ("show", str(item["id"])), ("show", url),
        ("show", "https://example.org/unknown"), ("show", "99999"),
        ("confirm", "https://example.org/unknown"))
    assert by_id.returncode == by_link.returncode == 0
    assert by_id.stdout == by_link.stdout
    assert url in by_id.stdout and "Getoond" in by_id.stdout and "200" in by_id.stdout
    for proc in unknown:
        assert_clean_error(proc)


# -- edurep import --------------------------------------------------------------------------

SRU = """<?xml version="1.0" encoding="UTF-8"?>
<srw:searchRetrieveResponse xmlns:srw="http://www.loc.gov/zing/srw/">
<srw:version>1.2</srw:version><srw:numberOfRecords>2</srw:numberOfRecords><srw:records>
{records}</srw:records></srw:searchRetrieveResponse>"""
RECORD = """<srw:record><srw:recordSchema>lom</srw:recordSchema><srw:recordPacking>xml</srw:recordPacking>
<srw:recordData><czp:lom xmlns:czp="http://www.imsglobal.org/xsd/imsmd_v1p2">
<czp:general><czp:title><czp:langstring xml:lang="nl">{title}</czp:langstring></czp:title></czp:general>
<czp:technical><czp:format>text/html</czp:format><czp:location>{loc}</czp:location>
<czp:location>https://example.org/second-location</czp:location></czp:technical>
</czp:lom></srw:recordData><srw:recordPosition>{pos}</srw:recordPosition></srw:record>"""


def test_edurep_import_against_loopback_sru(site, tmp_path):
    records = "".join(RECORD.format(title=t, loc=loc, pos=i + 1) for i, (t, loc) in enumerate(
        [("Breuken oefenen", "https://maken.wikiwijs.nl/1001/Breuken_oefenen"),
         ("Procenten", "https://maken.wikiwijs.nl/1002/Procenten")]))
    endpoint = site.route("/edurep/sruns", SRU.format(records=records),
                          content_type="text/xml; charset=utf-8")
    write_config(tmp_path)
    args = ["edurep", "import", "--query", "about.repository exact wikiwijsmaken",
            "--pilot", "Edurep-pilot", "--maintainer", "e@school.example",
            "--endpoint", endpoint]
    om(tmp_path, *args, check=0)
    items = by_url(status(tmp_path))
    assert set(items) == {"https://maken.wikiwijs.nl/1001/Breuken_oefenen",
                          "https://maken.wikiwijs.nl/1002/Procenten"}
    assert items["https://maken.wikiwijs.nl/1001/Breuken_oefenen"]["title"] == "Breuken oefenen"
    assert {m["pilot"] for m in items.values()} == {"Edurep-pilot"}
    om(tmp_path, *args, check=0)
    assert by_url(status(tmp_path)) == items
    assert "query=" in next(r.path for r in site.requests if r.path.startswith("/edurep"))


# -- demo -----------------------------------------------------------------------------------


def test_demo_runs_offline_quickly(tmp_path):
    started = time.monotonic()
    env = base_env(private=False)
    proc = om(tmp_path, "demo", "--keep", str(tmp_path / "demo"), env=env, timeout=60)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 30
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert "broken" in out or "kapot" in out
    emails = [Path(word) for word in out.split() if ".eml" in word or "outbox" in word]
    assert any(p.exists() for p in emails) or any((tmp_path / "demo").rglob("*.eml"))


# -- probes at the edges of the contract ------------------------------------------------------


def test_forbidden_counts_towards_broken_like_any_failure(site, tmp_path):
    url = site.route("/p1/forbidden", "<h1>Forbidden</h1>", status=403)
    setup_run(tmp_path, None, [material(url, "f@school.example")],
              policy="failures_before_broken = 1",
              notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    [item] = status(tmp_path)
    assert item["availability"] == "forbidden"
    assert item["state"] == "broken", item


def test_stale_boundary_is_more_than_stale_after_days(site, tmp_path):
    ended = TODAY - timedelta(days=400)
    changed = TODAY - timedelta(days=200)
    url = site.route("/p2/page", simple("Grens", changed=changed))
    setup_run(tmp_path, None, [material(url, "b@school.example", pilot_end_date=str(ended))],
              policy="failures_before_broken = 1\nstale_after_days = 30",
              notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "run", check=0)
    at = status(tmp_path, "--today", str(changed + timedelta(days=30)))[0]
    after = status(tmp_path, "--today", str(changed + timedelta(days=31)))[0]
    assert (at["state"], after["state"]) == ("ok", "stale")


def test_unchecked_stays_unchecked_even_when_it_would_be_stale(tmp_path):
    write_config(tmp_path)
    write_csv(tmp_path / "m.csv", [material("https://example.org/never", "n@school.example",
                                            pilot_end_date="2020-01-01")])
    om(tmp_path, "import", "m.csv", check=0)
    [item] = status(tmp_path, "--today", str(TODAY + timedelta(days=800)))
    assert item["state"] == "unchecked", item


def test_reminder_cadence_and_recovery(site, smtp, tmp_path):
    url = site.route("/p3/gone", status=404)
    setup_run(tmp_path, smtp, [material(url, "r@school.example")],
              policy="failures_before_broken = 1\nrecheck_after_hours = 0\n"
                     "retry_failing_after_hours = 0",
              notify="remind_every_days = 7")
    om(tmp_path, "run", check=0)
    for offset, expected in ((6, 1), (7, 2), (10, 2), (14, 3)):
        om(tmp_path, "run", "--today", str(TODAY + timedelta(days=offset)), check=0)
        assert len(smtp.to("r@school.example")) == expected, offset
    site.route("/p3/gone", simple("Terug", changed=TODAY))  # the material is back
    om(tmp_path, "run", "--today", str(TODAY + timedelta(days=21)), check=0)
    assert len(smtp.to("r@school.example")) == 3
    assert status(tmp_path)[0]["state"] == "ok"


def test_moved_material_email_names_the_new_address(site, smtp, tmp_path):
    old = site.route("/p4/old", status=301, headers={"Location": "/p4/new"})
    new = site.route("/p4/new", simple("Verhuisd", changed=TODAY))
    setup_run(tmp_path, smtp, [material(old, "m@school.example", title="Verhuisd")])
    om(tmp_path, "run", check=0)
    [msg] = smtp.to("m@school.example")
    assert old in body(msg) and new in body(msg)


def test_duplicate_url_in_one_file_is_reported(tmp_path):
    write_config(tmp_path)
    write_csv(tmp_path / "dup.csv", [
        material("https://example.org/same", "a@school.example"),
        material("https://example.org/same", "b@school.example")])
    proc = om(tmp_path, "import", "dup.csv")
    items = status(tmp_path)
    # either refused as FILE:LINE, or accepted with a warning that names the line
    if proc.returncode == 1:
        assert "dup.csv:3:" in proc.stderr and items == []
    else:
        assert proc.returncode == 0 and "dup.csv:3" in proc.stderr, proc.stderr


def test_import_not_utf8_is_refused_or_read_as_excel_with_a_warning(tmp_path):
    write_config(tmp_path)
    (tmp_path / "latin.csv").write_bytes(
        "url,maintainer_email,pilot,title\nhttps://example.org/a,a@school.example,P,Café\n"
        .encode("cp1252"))
    proc = om(tmp_path, "import", "latin.csv")
    assert "Traceback" not in proc.stderr and "latin.csv" in proc.stderr
    if proc.returncode == 1:
        assert status(tmp_path) == []
    else:
        assert proc.returncode == 0
        assert [m["title"] for m in status(tmp_path)] == ["Café"]


def test_import_line_numbers_count_file_lines_with_multiline_cells(tmp_path):
    write_config(tmp_path)
    (tmp_path / "multi.csv").write_text(
        'url,maintainer_email,pilot,title\n'
        'https://example.org/a,a@school.example,P,"Twee\nregels"\n'
        'https://example.org/b,kapot,P,B\n', encoding="utf-8")
    err = assert_clean_error(om(tmp_path, "import", "multi.csv"))
    assert "multi.csv:4:" in err, err  # the line in the file, as an editor shows it
    assert status(tmp_path) == []


def test_import_unreadable_expected_licence_is_a_bad_row(tmp_path):
    write_config(tmp_path)
    write_csv(tmp_path / "lic.csv", [material("https://example.org/a", "a@school.example",
                                              expected_licence="geen idee")])
    err = assert_clean_error(om(tmp_path, "import", "lic.csv"))
    assert "lic.csv:2:" in err


def test_import_mistyped_licence_id_is_not_silently_changed(tmp_path):
    write_config(tmp_path)
    write_csv(tmp_path / "lic.csv", [material("https://example.org/a", "a@school.example",
                                              expected_licence="CC-BY-99")])
    proc = om(tmp_path, "import", "lic.csv")
    assert proc.returncode == 1 or "lic.csv:2" in proc.stderr, (proc.returncode, proc.stderr)


def test_inspect_url_as_given_and_publication_date_and_site_licence(site, tmp_path):
    published = site.route("/p5/published", """<!DOCTYPE html><html><head><title>Gepubliceerd</title>
<meta property="article:published_time" content="2022-05-04T10:00:00+02:00"></head>
<body><main><h1>Gepubliceerd</h1><p>Alleen een publicatiedatum, geen wijzigingsdatum.</p>
</main><footer><p>Alle inhoud op deze site valt onder
<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">CC BY 4.0</a>,
tenzij anders vermeld.</p></footer></body></html>""")
    given = published + "#deel-2"
    proc = om(tmp_path, "inspect", "--json", given, check=0)
    [obj] = [json.loads(line) for line in proc.stdout.splitlines()]
    assert obj["url"] == given
    assert obj["availability"] == "ok"
    assert obj["last_modified"][:10] == "2022-05-04"
    assert (obj["licence"], obj["licence_scope"]) == ("CC-BY-4.0", "site")


def test_soft_404_in_english_and_pdf_is_ok(site, tmp_path):
    soft = site.route("/p6/soft", """<html><head><title>Page not found</title></head><body>
<h1>Page not found</h1><p>Sorry, the page you are looking for does not exist.</p></body></html>""")
    pdf = site.route("/p6/file.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                     content_type="application/pdf")
    proc = om(tmp_path, "inspect", "--json", soft, pdf, check=0)
    objs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["availability"] for o in objs] == ["missing", "ok"]


def test_read_only_commands_create_no_database(tmp_path):
    proc = om(tmp_path, "status", check=0)
    assert "import" in proc.stdout
    assert not (tmp_path / "oermonitor.db").exists()


def test_confirm_with_bad_email_is_bad_input(tmp_path):
    write_config(tmp_path)
    one_row_csv(tmp_path)
    om(tmp_path, "import", "m.csv", check=0)
    assert_clean_error(om(tmp_path, "confirm", "https://example.org/les", "--by", "geen-mail"))


RIGHTS = """<czp:rights><czp:copyrightandotherrestrictions><czp:source><czp:langstring
xml:lang="x-none">http://purl.edustandaard.nl/copyrightsandotherrestrictions_nllom_20131202</czp:langstring>
</czp:source><czp:value><czp:langstring xml:lang="x-none">cc-by-40</czp:langstring></czp:value>
</czp:copyrightandotherrestrictions></czp:rights></czp:lom>"""


def test_catalogue_and_page_licence_disagreeing_is_licence_mismatch(site, tmp_path):
    """Issue #10 adds `licence_mismatch` to the contract's problems (state licence_issue)."""
    page = site.route("/p7/sa", wikiwijs(title="Andere licentie", wid=1003))
    record = RECORD.format(title="Andere licentie", loc=page, pos=1).replace("</czp:lom>", RIGHTS)
    endpoint = site.route("/p7/sruns", SRU.format(records=record).replace(
        "<srw:numberOfRecords>2", "<srw:numberOfRecords>1"), content_type="text/xml")
    write_config(tmp_path, notify=f'outbox = "{tmp_path / "outbox"}"')
    om(tmp_path, "edurep", "import", "--query", "q", "--pilot", "P", "--maintainer",
       "e@school.example", "--endpoint", endpoint, check=0)
    om(tmp_path, "run", check=0)
    [item] = status(tmp_path)
    assert item["licence"] == "CC-BY-SA-4.0"
    assert item["problems"] == ["licence_mismatch"]
    assert item["state"] == "licence_issue"

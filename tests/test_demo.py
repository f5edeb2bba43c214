"""`oermonitor demo`: the whole job offline on the bundled sample site."""

from __future__ import annotations

import email
import email.policy
import time
from datetime import date

from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.demo import SampleSite, dutch_date, load_site


def test_demo_end_to_end(tmp_path):
    workspace = tmp_path / "demo"
    started = time.monotonic()
    result = CliRunner().invoke(main, ["demo", "--keep", str(workspace)])
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 30
    out = result.stdout
    assert "12 checked" in out
    # The overview names each kind of trouble the sample site holds.
    for state, title in [("broken", "Meten en meetkunde"), ("broken", "De zakelijke brief"),
                         ("moved", "Grafieken lezen en maken"),
                         ("stale", "Kommagetallen oefenen"),
                         ("licence_issue", "Rekenen met geld"),
                         ("licence_issue", "Gedichten schrijven")]:
        line = next(x for x in out.splitlines() if title in x)
        assert state in line, line
    assert "Breuken en procenten" not in out  # fine materials need no attention
    emails = sorted((workspace / "outbox").glob("*.eml"))
    assert emails and all(str(path) in out for path in emails)
    messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                for p in emails]
    recipients = {m["To"].addresses[0].addr_spec for m in messages}
    assert "bram.jansen@school-b.example" in recipients  # broken + stale
    assert "anna.devries@school-a.example" not in recipients  # all fine
    assert (workspace / "demo.toml").is_file() and (workspace / "materials.csv").is_file()

    # The workspace works with the ordinary commands afterwards.
    status = CliRunner().invoke(main, ["--config", str(workspace / "demo.toml"), "status",
                                       "--json"])
    assert status.exit_code == 0
    assert '"stale"' in status.stdout

    # Running it again in the same folder starts afresh.
    again = CliRunner().invoke(main, ["demo", "--keep", str(workspace)])
    assert again.exit_code == 0, again.output
    assert "12 checked" in again.stdout
    assert len(list((workspace / "outbox").glob("*.eml"))) == len(emails)


def test_demo_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "thesis.docx").write_text("precious", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "--keep", str(tmp_path)])
    assert result.exit_code == 1
    assert "other files" in result.stderr
    assert (tmp_path / "thesis.docx").read_text(encoding="utf-8") == "precious"


def test_sample_site_pages_tell_the_same_story_on_any_day():
    site = SampleSite(date(2031, 5, 4))
    status, _, body = site.response("/171001/Breuken_en_procenten")
    assert status == 200
    assert "Laatst gewijzigd" in body and "25 maart 2031 om 13:06" in body
    assert 'href="https://maken.wikiwijs.nl/171001/Breuken_en_procenten"' in body
    assert "CC Naamsvermelding-GelijkDelen 4.0" in body
    assert site.response("/171004/Meten_en_meetkunde")[0] == 404
    assert site.response("/171005/Grafieken_lezen")[:2] == (
        301, {"Location": "/171005/Grafieken_lezen_en_maken"})
    assert site.response("/171005/Grafieken_lezen_en_maken")[0] == 200
    assert site.response("/182004/Zakelijke_brief")[0] == 200  # a soft 404
    # Dynamic parts differ per request; the material does not.
    assert body != site.response("/171001/Breuken_en_procenten")[2]
    assert len(load_site()["materials"]) == 12
    assert dutch_date(site.today, "short") == "04-05-2031"


def test_demo_serve_answers_the_links_in_its_emails(tmp_path):
    import os
    import re
    import signal
    import subprocess
    import sys

    import requests

    from tests.support import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oermonitor", "demo", "--keep", str(tmp_path / "demo"),
         "--serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if "Ctrl-C stops the demo" in line:
                break
        out = "".join(lines)
        assert f"Web front door for the emails' links: http://127.0.0.1:{port}" in out, out
        link = re.search(rf"http://127\.0\.0\.1:{port}/m/\S+\?do=confirm", out)[0]
        # The link the demo suggests is in one of its emails, and the page answers it.
        bodies = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                  .get_body(("plain",)).get_content()
                  for p in (tmp_path / "demo" / "outbox").glob("*.eml")]
        assert any(link in body for body in bodies)
        page = None
        for _ in range(100):
            try:
                page = requests.get(link, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert page is not None and page.status_code == 200
        assert "Klopt nog" in page.text
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
    assert process.returncode == 0

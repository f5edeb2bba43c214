"""The mailer against a real SMTP server on loopback: login, refusals, outbox, headers."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from oermonitor.errors import BadInput
from oermonitor.mailer import Mailer, MailerDown, build_message
from tests.support import SmtpSink, free_port, smtp_settings

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def message(to: str = "anne@school.nl", **kw):
    values = {"sender": "oermonitor <oermonitor@school.nl>", "to": to, "to_name": "Anne",
              "subject": "Test", "text": "tekst", "html": "<p>tekst</p>", "now": NOW}
    values.update(kw)
    return build_message(**values)


def test_headers_are_single_lines_and_encoded():
    msg = message(subject="Hallo\r\nBcc: evil@example.org", to_name="Zoë\nCc: spy@example.org")
    raw = bytes(msg)
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["Cc"] is None
    assert parsed["Subject"] == "Hallo Bcc: evil@example.org"
    assert parsed["To"].addresses[0].display_name == "Zoë Cc: spy@example.org"
    assert parsed["To"].addresses[0].addr_spec == "anne@school.nl"
    assert str(parsed["Message-ID"]).endswith("@school.nl>")
    assert parsed["From"].addresses[0].display_name == "oermonitor"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>tekst</p>"


def test_login_uses_the_password_from_the_named_environment_variable(monkeypatch):
    sink = SmtpSink(login=("oermonitor", "geheim")).start()
    try:
        monkeypatch.setenv("OERMONITOR_SMTP_PASSWORD", "geheim")
        settings = smtp_settings(sink.port, username="oermonitor",
                                 password_env="OERMONITOR_SMTP_PASSWORD",
                                 allow_plaintext_login=True)
        with Mailer(settings) as mailer:
            assert mailer.deliver(message()).status == "sent"
            assert mailer.deliver(message("bram@school.nl")).status == "sent"
        assert sink.logins == ["oermonitor"]  # one session for both messages
        assert [rcpts for _, rcpts in sink.envelopes] == [["anne@school.nl"], ["bram@school.nl"]]

        monkeypatch.setenv("OERMONITOR_SMTP_PASSWORD", "fout")
        with pytest.raises(MailerDown, match="refused the login for oermonitor"), \
                Mailer(settings) as mailer:
            mailer.deliver(message())
    finally:
        sink.stop()


def test_missing_password_variable_is_bad_input_naming_the_setting(smtp):
    settings = smtp_settings(smtp.port, username="u", password_env="NOT_SET_ANYWHERE",
                             allow_plaintext_login=True)
    with pytest.raises(BadInput, match=r"\[smtp\] password_env.*NOT_SET_ANYWHERE"), \
            Mailer(settings) as mailer:
        mailer.deliver(message())
    assert smtp.messages == []


def test_refused_recipient_is_reported_and_the_session_goes_on(smtp):
    smtp.refuse.add("weg@school.nl")
    with Mailer(smtp_settings(smtp.port)) as mailer:
        refused = mailer.deliver(message("weg@school.nl"))
        sent = mailer.deliver(message("anne@school.nl"))
    assert (refused.status, refused.delivered) == ("refused", False)
    assert refused.detail.startswith("550")
    assert sent.status == "sent" and len(smtp.to("anne@school.nl")) == 1


def test_unreachable_server_raises_mailer_down_naming_it():
    port = free_port()
    with pytest.raises(MailerDown, match=f"127.0.0.1:{port} unreachable"), \
            Mailer(smtp_settings(port)) as mailer:
        mailer.deliver(message())


def test_outbox_writes_complete_eml_files_with_distinct_names(tmp_path):
    outbox = tmp_path / "out"
    for _ in range(2):  # two runs in the same second must not overwrite each other
        with Mailer(smtp_settings(free_port()), outbox) as mailer:
            delivery = mailer.deliver(message())
            assert delivery.status == "outbox" and delivery.delivered
    files = sorted(outbox.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    parsed = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["To"].addresses[0].addr_spec == "anne@school.nl"


def test_no_login_over_plain_text_unless_allowed(monkeypatch):
    sink = SmtpSink(login=("oermonitor", "geheim")).start()
    try:
        monkeypatch.setenv("OERMONITOR_SMTP_PASSWORD", "geheim")
        settings = smtp_settings(sink.port, username="oermonitor",
                                 password_env="OERMONITOR_SMTP_PASSWORD")
        with pytest.raises(BadInput, match=r'security = "none".*unencrypted.*'
                                           r'allow_plaintext_login'), Mailer(settings) as mailer:
            mailer.deliver(message())
        assert sink.logins == [] and sink.messages == []
    finally:
        sink.stop()


def test_outbox_never_follows_a_symlink_planted_at_a_temporary_name(tmp_path):
    outbox, victim = tmp_path / "out", tmp_path / "victim.txt"
    outbox.mkdir()
    victim.write_text("keep me")
    with Mailer(smtp_settings(free_port()), outbox) as mailer:
        # the names an older version wrote through: <final name>.tmp, predictable
        for n in range(1, 4):
            stamp = NOW.strftime("%Y%m%d-%H%M%S")
            (outbox / f"{stamp}-{n:03d}-anne@school.nl.tmp").symlink_to(victim)
        delivery = mailer.deliver(message())
    assert victim.read_text() == "keep me"
    written = outbox / delivery.detail.rsplit("/", 1)[1]
    assert not written.is_symlink() and b"anne@school.nl" in written.read_bytes()
    assert not [f for f in outbox.iterdir() if f.name.startswith(".")]  # no temporary left


def test_outbox_files_follow_the_umask(tmp_path):
    import os
    old = os.umask(0o027)
    try:
        with Mailer(smtp_settings(free_port()), tmp_path) as mailer:
            path = mailer.deliver(message()).detail
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == 0o640

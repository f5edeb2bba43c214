"""The mailer over STARTTLS and implicit TLS against a real SMTP server on loopback.

Each test makes a throwaway self-signed certificate for localhost/127.0.0.1 and
trusts it the way an operator would trust a private CA: SSL_CERT_FILE, which the
mailer's default SSL context honours.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oermonitor.errors import OperationalError
from oermonitor.mailer import Mailer, MailerDown, build_message
from tests.support import SmtpSink, make_certificate, smtp_settings

LOCALHOST = "DNS:localhost,IP:127.0.0.1"

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def message(to: str = "anne@school.nl"):
    return build_message(sender="oermonitor <oermonitor@school.nl>", to=to, to_name="Anne",
                         subject="Test", text="tekst", html=None, now=NOW)


@pytest.fixture
def certificate(tmp_path):
    return make_certificate(tmp_path, "server", LOCALHOST)


@pytest.fixture
def trusted(certificate, monkeypatch):
    """The server's certificate, trusted by the client through SSL_CERT_FILE."""
    cert, context = certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return context


@pytest.fixture
def starttls_server(trusted):
    sink = SmtpSink(tls=trusted).start()
    yield sink
    sink.stop()


@pytest.fixture
def ssl_server(trusted):
    sink = SmtpSink(tls=trusted, implicit_tls=True).start()
    yield sink
    sink.stop()


def test_starttls_delivers_over_an_encrypted_session(starttls_server):
    with Mailer(smtp_settings(starttls_server.port, security="starttls")) as mailer:
        first = mailer.deliver(message())
        second = mailer.deliver(message("bram@school.nl"))
    assert (first.status, second.status) == ("sent", "sent")
    assert starttls_server.encrypted == [True, True]
    assert [rcpts for _, rcpts in starttls_server.envelopes] == [["anne@school.nl"],
                                                                 ["bram@school.nl"]]


def test_plain_session_to_a_server_that_requires_starttls_is_an_operational_failure(
        starttls_server):
    with pytest.raises(MailerDown) as caught, \
            Mailer(smtp_settings(starttls_server.port, security="none")) as mailer:
        mailer.deliver(message())
    assert isinstance(caught.value, OperationalError)
    text = str(caught.value)
    assert f"SMTP server 127.0.0.1:{starttls_server.port}" in text
    assert "wants encryption or a login first (530" in text
    assert "STARTTLS" in text  # the server's own answer says what is missing
    assert "check [smtp] security" in text and "refused the sender" not in text
    assert starttls_server.messages == []


def test_implicit_tls_delivers(ssl_server):
    with Mailer(smtp_settings(ssl_server.port, security="ssl")) as mailer:
        delivery = mailer.deliver(message())
    assert delivery.status == "sent"
    assert ssl_server.encrypted == [True]
    assert len(ssl_server.to("anne@school.nl")) == 1


def test_login_over_starttls_uses_the_password_from_the_environment(trusted, monkeypatch):
    sink = SmtpSink(login=("oermonitor", "geheim"), tls=trusted).start()
    try:
        settings = smtp_settings(sink.port, security="starttls", username="oermonitor",
                                 password_env="OERMONITOR_SMTP_PASSWORD")
        monkeypatch.setenv("OERMONITOR_SMTP_PASSWORD", "geheim")
        with Mailer(settings) as mailer:
            assert mailer.deliver(message()).status == "sent"
        assert sink.logins == ["oermonitor"]
        assert sink.encrypted == [True]

        monkeypatch.setenv("OERMONITOR_SMTP_PASSWORD", "fout")
        with pytest.raises(MailerDown, match=rf"SMTP server 127\.0\.0\.1:{sink.port} "
                                             r"refused the login for oermonitor \(535"), \
                Mailer(settings) as mailer:
            mailer.deliver(message())
        assert len(sink.messages) == 1  # only the one sent with the right password
    finally:
        sink.stop()


@pytest.mark.parametrize("security, implicit_tls", [("starttls", False), ("ssl", True)])
def test_untrusted_certificate_is_an_operational_failure_and_nothing_is_sent(
        security, implicit_tls, certificate, tmp_path, monkeypatch):
    other_cert, _ = make_certificate(tmp_path, "other", LOCALHOST)
    monkeypatch.setenv("SSL_CERT_FILE", str(other_cert))  # trusts a different certificate
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    sink = SmtpSink(tls=certificate[1], implicit_tls=implicit_tls).start()
    try:
        with pytest.raises(MailerDown) as caught, \
                Mailer(smtp_settings(sink.port, security=security)) as mailer:
            mailer.deliver(message())
    finally:
        sink.stop()
    text = str(caught.value)
    assert f"SMTP server 127.0.0.1:{sink.port}" in text
    assert "certificate not accepted: self-signed certificate" in text
    assert "unreachable" not in text and "\n" not in text
    assert sink.messages == []

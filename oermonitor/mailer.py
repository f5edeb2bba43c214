"""Building and delivering email: SMTP (plain, STARTTLS or SSL) or an outbox folder.

A message counts as delivered only when the server accepted it or its `.eml` file
was written; the caller logs it right after, so an outage loses nothing and a
later run repeats nothing. Headers are built with the `email` package from
cleaned one-line values, so text from crawled pages can never add a header.
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from oermonitor import files
from oermonitor.errors import BadInput, OperationalError
from oermonitor.safetext import without_controls
from oermonitor.settings import SmtpSettings


class MailerDown(OperationalError):
    """The mail server cannot be used at all: unreachable, TLS, login or sender refused."""


@dataclass
class Delivery:
    """What became of one message.

    status: ``sent`` (server accepted), ``outbox`` (file written), ``refused`` (the
    server permanently refused the recipient: the address does not work) or
    ``failed`` (a temporary or content refusal; try again next run).
    """

    status: str
    recipient: str
    message_id: str
    detail: str | None = None  # server answer (refused/failed) or file path (outbox)

    @property
    def delivered(self) -> bool:
        return self.status in ("sent", "outbox")


def one_line(text: str | None, limit: int = 300) -> str:
    """Collapse all whitespace (newlines included) to single spaces, drop control and
    bidi override characters, and cap the length."""
    if not text:
        return ""
    text = without_controls(" ".join(str(text).split()), keep_lines=False)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def address(email: str, name: str | None = None) -> Address:
    """A header-safe address: the email package quotes and encodes the display name."""
    return Address(display_name=one_line(name, 100), addr_spec=one_line(email))


class _Subject(str):
    """A Subject header that we fold ourselves. The `email` package folds a mix of
    plain and encoded words with a doubled space at the fold, and puts a subject
    that almost fits on a line of its own, which readers show with a leading space.
    Here: plain words folded before a space (unfolding gives the text back exactly);
    non-ASCII text as encoded words only, each ending in its own space. Acts as the
    header object the `email` policy stores and folds as it is."""

    name = "Subject"
    defects: tuple = ()

    def fold(self, *, policy) -> str:
        text = str(self)
        if text.isascii():
            lines, line = [], "Subject:"
            for word in text.split(" "):
                if line != "Subject:" and len(line) + 1 + len(word) > 78:
                    lines.append(line)
                    line = ""
                line += " " + word
            return policy.linesep.join([*lines, line]) + policy.linesep
        chunks, chunk = [], b""
        for char in text:
            encoded = char.encode("utf-8")
            if len(chunk) + len(encoded) > 39:  # 52 base64 characters: lines under 78
                chunks.append(chunk)
                chunk = b""
            chunk += encoded
        chunks.append(chunk)
        words = [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]
        return "Subject: " + (policy.linesep + " ").join(words) + policy.linesep


def build_message(*, sender: str, to: str, to_name: str | None, subject: str, text: str,
                  html: str | None, now: datetime, reply_to: str | None = None) -> EmailMessage:
    """A text (+ HTML alternative) message with safe headers and a fresh Message-ID."""
    from_name, from_email = parseaddr(sender)
    msg = EmailMessage()
    msg["From"] = address(from_email or sender, from_name)
    msg["To"] = address(to, to_name)
    if reply_to:
        msg["Reply-To"] = address(reply_to)
    msg["Subject"] = _Subject(one_line(subject, 200))
    msg["Date"] = formatdate(now.timestamp(), usegmt=True)
    domain = (from_email or sender).rpartition("@")[2] or "oermonitor.invalid"
    msg["Message-ID"] = make_msgid("oermonitor", domain=one_line(domain))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["X-Auto-Response-Suppress"] = "All"
    # Page titles and spreadsheet cells end up in the text: no controls, no bidi tricks.
    msg.set_content(without_controls(text))
    if html is not None:
        msg.add_alternative(without_controls(html), subtype="html")
    return msg


class Mailer:
    """Delivers messages one by one over one lazily opened SMTP connection, or to an outbox.

    Use as a context manager. `deliver` returns a `Delivery` for per-recipient
    outcomes and raises `MailerDown` when the server as a whole cannot be used.
    """

    def __init__(self, smtp: SmtpSettings, outbox: Path | None = None):
        self.smtp = smtp
        self.outbox = outbox
        self._conn: smtplib.SMTP | None = None
        self._count = 0

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def where(self) -> str:
        """Human-readable destination, for messages to the operator."""
        if self.outbox is not None:
            return f"outbox {self.outbox}"
        return f"SMTP server {self.smtp.host}:{self.smtp.port}"

    def deliver(self, msg: EmailMessage) -> Delivery:
        recipient = parseaddr(msg["To"])[1]
        message_id = str(msg["Message-ID"])
        if self.outbox is not None:
            return Delivery("outbox", recipient, message_id, str(self._write(msg, recipient)))
        conn = self._connect()
        sender = parseaddr(self.smtp.from_)[1] or self.smtp.from_
        try:
            conn.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients.get(recipient, (550, b""))
            detail = f"{code} {_text(answer)}".strip()
            return Delivery("refused" if code >= 500 else "failed", recipient, message_id, detail)
        except smtplib.SMTPDataError as exc:
            return Delivery("failed", recipient, message_id,
                            f"{exc.smtp_code} {_text(exc.smtp_error)}".strip())
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            if exc.smtp_code == 530:  # "encryption or authentication required": not the address
                raise MailerDown(f"{self.where} wants encryption or a login first "
                                 f"({exc.smtp_code} {_text(exc.smtp_error)}); "
                                 f"check [smtp] security and username") from None
            raise MailerDown(f"{self.where} refused the sender {sender} "
                             f"({exc.smtp_code} {_text(exc.smtp_error)}); check [smtp] from") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._conn = None
            raise MailerDown(f"{self.where}: connection lost while sending ({exc})") from None
        return Delivery("sent", recipient, message_id)

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    # -- internals -------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        if self._conn is not None:
            return self._conn
        s = self.smtp
        password: str | None = None
        if s.username:
            password = s.password
            if password is None:
                raise BadInput(f"[smtp] password_env: environment variable "
                               f"{s.password_env or '(not set)'} holds no password for "
                               f"user {s.username}")
            if s.security == "none" and not s.allow_plaintext_login:
                raise BadInput(f"[smtp] username is set but security = \"none\": the password "
                               f"would cross the network unencrypted to {s.host}:{s.port}; use "
                               f"security = \"starttls\" or \"ssl\" (or, for a server on this "
                               f"machine, set allow_plaintext_login = true)")
        context = ssl.create_default_context()
        try:
            if s.security == "ssl":
                conn: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                      context=context)
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        except ssl.SSLError as exc:  # reached it, but the TLS handshake failed
            raise MailerDown(f"{self.where}: TLS failed ({_reason(exc)})") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailerDown(f"{self.where} unreachable ({_reason(exc)})") from None
        try:
            conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                conn.starttls(context=context)
                conn.ehlo()
            if s.username:
                conn.login(s.username, password or "")
        except smtplib.SMTPAuthenticationError as exc:
            conn.close()
            raise MailerDown(f"{self.where} refused the login for {s.username} "
                             f"({exc.smtp_code} {_text(exc.smtp_error)})") from None
        except (smtplib.SMTPException, OSError) as exc:
            conn.close()
            raise MailerDown(f"{self.where}: could not set up the session ({_reason(exc)})") \
                from None
        self._conn = conn
        return conn

    def _write(self, msg: EmailMessage, recipient: str) -> Path:
        """Write the message as an .eml file atomically (a reader never sees half a file;
        a symlink planted in the outbox is never followed)."""
        assert self.outbox is not None
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            stamp = msg["Date"].datetime.strftime("%Y%m%d-%H%M%S")
            safe = re.sub(r"[^A-Za-z0-9._@-]+", "_", recipient)[:80] or "recipient"
            path = None
            while path is None or path.exists():  # earlier runs may have used the numbers
                self._count += 1
                path = self.outbox / f"{stamp}-{self._count:03d}-{safe}.eml"
            files.write_atomic(path, bytes(msg))
        except OSError as exc:
            raise MailerDown(f"outbox {self.outbox}: cannot write ({exc.strerror})") from None
        return path


def _text(answer: bytes | str) -> str:
    return one_line(answer.decode("utf-8", "replace") if isinstance(answer, bytes) else answer)


def _reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):  # e.g. "self-signed certificate"
        return one_line(f"certificate not accepted: {exc.verify_message}")
    return one_line(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)

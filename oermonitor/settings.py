"""Settings: one TOML file, defaults in code, validated once.

Lookup order (contract): ``--config PATH``, ``$OERMONITOR_CONFIG``,
``./config/oermonitor.toml``, else the built-in defaults. Relative paths inside
the file are relative to the file's folder. Unknown keys are warnings; a wrong
value or broken TOML is one `BadInput` naming the file and the key.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from oermonitor import licences
from oermonitor.errors import BadInput
from oermonitor.validate import email_problem

OPEN_LICENCE_FAMILIES = ("CC-BY", "CC-BY-SA", "CC0", "CC-PDM", "public-domain")


@dataclass(frozen=True)
class GeneralSettings:
    timezone: str = "Europe/Amsterdam"  # how times are shown; storage stays UTC


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 20.0  # seconds per request (read); also the per-URL budget base
    connect_timeout: float = 10.0
    total_timeout: float = 60.0  # deadline per URL, retries and redirects included
    concurrency: int = 8
    per_host_delay: float = 1.0
    per_host_concurrency: int = 2
    allow_private_networks: bool = False
    respect_robots_txt: bool = True
    max_bytes: int = 5_000_000
    max_redirects: int = 10
    max_tries: int = 3
    retry_after_cap: float = 30.0
    backoff_base: float = 0.5
    contact: str = ""  # appended to the User-Agent: oermonitor/<version> (+contact)


@dataclass(frozen=True)
class PolicySettings:
    stale_after_days: int = 365
    grace_days: int = 0
    failures_before_broken: int = 2
    # 403/429/robots.txt refusals often mean "no bots", not "gone": they make a material
    # broken only once they have lasted this many days (and failures_before_broken checks).
    blocked_days_before_broken: int = 0  # opt-in grace for bot-blocking refusals
    allowed_licences: tuple[str, ...] = OPEN_LICENCE_FAMILIES
    recheck_after_hours: float = 20.0
    retry_failing_after_hours: float = 4.0


@dataclass(frozen=True)
class NotifySettings:
    remind_every_days: int = 14
    escalate_after_reminders: int = 3
    coordinator_summaries: bool = True
    outbox: Path | None = None  # write .eml files here instead of sending
    programme: str = ""  # the programme the pilots belong to, named in the emails
    coordinator_report: str = "off"  # weekly | monthly | off: the HTML report by email


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    from_: str = "oermonitor@example.org"
    security: str = "none"  # none | starttls | ssl
    username: str = ""
    password_env: str = ""  # name of the environment variable that holds the password
    timeout: float = 30.0
    allow_plaintext_login: bool = False  # log in even with security = "none"

    @property
    def password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


@dataclass(frozen=True)
class RunSettings:
    max_duration: float = 0.0  # seconds; 0 = no budget
    history_days: int = 400  # check history older than this is compacted
    extract_cpu_seconds: float = 5.0  # processor time to read one page; then it is an error
    log_file: Path | None = None


@dataclass(frozen=True)
class WebSettings:
    base_url: str = ""  # public address of `oermonitor serve`; empty = no links in emails
    secret_env: str = "OERMONITOR_SECRET"  # environment variable holding the signing secret
    link_days: int = 60  # a link in an email works this many days
    admins: tuple[str, ...] = ()  # may sign in to the coordinator pages and see every pilot
    session_days: int = 14  # a coordinator's sign-in lasts this many days

    @property
    def secret(self) -> str | None:
        """The signing secret from the environment; None when unset or empty."""
        if not self.secret_env:
            return None
        return os.environ.get(self.secret_env) or None


@dataclass(frozen=True)
class Settings:
    database: Path = Path("oermonitor.db")
    language: str = "nl"
    general: GeneralSettings = field(default_factory=GeneralSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    run: RunSettings = field(default_factory=RunSettings)
    web: WebSettings = field(default_factory=WebSettings)
    source: Path | None = None  # the file these came from, None for defaults
    warnings: tuple[str, ...] = ()

    @property
    def allow_private_networks(self) -> bool:
        env = os.environ.get("OERMONITOR_ALLOW_PRIVATE_NETWORKS", "").strip().lower()
        return self.fetch.allow_private_networks or env in ("1", "true", "yes")

    @property
    def zone(self) -> ZoneInfo:
        """The time zone people read times in (validated when the settings were loaded)."""
        return ZoneInfo(self.general.timezone)


_SECTIONS = {
    "general": GeneralSettings,
    "fetch": FetchSettings,
    "policy": PolicySettings,
    "notify": NotifySettings,
    "smtp": SmtpSettings,
    "run": RunSettings,
    "web": WebSettings,
}
# TOML key -> dataclass field where they differ (`from` is a Python keyword).
_RENAMED = {("smtp", "from"): "from_"}
_CHOICES = {
    ("", "language"): ("nl", "en"),
    ("smtp", "security"): ("none", "starttls", "ssl"),
    ("notify", "coordinator_report"): ("weekly", "monthly", "off"),
}
_POSITIVE = {
    ("fetch", "timeout"), ("fetch", "connect_timeout"), ("fetch", "total_timeout"),
    ("fetch", "concurrency"), ("fetch", "per_host_concurrency"), ("fetch", "max_bytes"),
    ("fetch", "max_tries"), ("policy", "failures_before_broken"),
    ("notify", "remind_every_days"), ("smtp", "timeout"), ("run", "history_days"),
    ("web", "link_days"), ("web", "session_days"),
}

# Upper bounds (and lower bounds above 0) of numbers: a value past them is a typo or
# an attack, and would stall or overflow the run. Every number must also be finite.
MAX_DAYS = 36_500  # a century
_RANGES = {
    ("fetch", "timeout"): (0, 3600), ("fetch", "connect_timeout"): (0, 600),
    ("fetch", "total_timeout"): (0, 3600), ("fetch", "concurrency"): (1, 256),
    ("fetch", "per_host_delay"): (0, 3600), ("fetch", "per_host_concurrency"): (1, 64),
    ("fetch", "max_bytes"): (1, 500_000_000), ("fetch", "max_redirects"): (0, 50),
    ("fetch", "max_tries"): (1, 20), ("fetch", "retry_after_cap"): (0, 3600),
    ("fetch", "backoff_base"): (0, 600),
    ("policy", "stale_after_days"): (0, MAX_DAYS), ("policy", "grace_days"): (0, MAX_DAYS),
    ("policy", "failures_before_broken"): (1, 1000),
    ("policy", "blocked_days_before_broken"): (0, MAX_DAYS),
    ("policy", "recheck_after_hours"): (0, 24 * MAX_DAYS),
    ("policy", "retry_failing_after_hours"): (0, 24 * MAX_DAYS),
    ("notify", "remind_every_days"): (1, MAX_DAYS),
    ("notify", "escalate_after_reminders"): (0, 1000),
    ("smtp", "port"): (1, 65535), ("smtp", "timeout"): (0, 3600),
    ("run", "max_duration"): (0, 7 * 86400), ("run", "history_days"): (1, MAX_DAYS),
    ("run", "extract_cpu_seconds"): (1, 600),
}
_MAX_NUMBER = 1e9  # any other number


def find_config(explicit: str | os.PathLike | None, cwd: Path | None = None) -> Path | None:
    """The settings file to use, or None for built-in defaults."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("OERMONITOR_CONFIG")
    if env:
        return Path(env)
    candidate = (cwd or Path.cwd()) / "config" / "oermonitor.toml"
    return candidate if candidate.is_file() else None


def load_settings(path: str | os.PathLike | None = None, *, cwd: Path | None = None) -> Settings:
    """Load and validate settings. `path` None means: look it up per the contract."""
    config = find_config(path, cwd)
    if config is None:
        return Settings()
    try:
        raw = config.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{config}: settings file not found") from None
    except OSError as exc:
        raise BadInput(f"{config}: cannot read settings file ({exc.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadInput(f"{config}: settings file is not UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{config}: invalid TOML: {exc}") from None
    return settings_from_dict(data, source=config)


def settings_from_dict(data: dict, *, source: Path | None = None) -> Settings:
    """Validate a parsed TOML document into `Settings` (paths relative to `source`)."""
    where = str(source) if source else "settings"
    base = source.resolve().parent if source else Path.cwd()
    warnings: list[str] = []
    top: dict = {}
    sections: dict = {}
    top_fields = {f.name: f for f in fields(Settings) if f.name not in _SECTIONS}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise BadInput(f"{where}: [{key}] must be a table")
            sections[key] = _build(_SECTIONS[key], key, value, where, base, warnings)
        elif key in top_fields and key not in ("source", "warnings"):
            top[key] = _coerce("", key, value, top_fields[key].type, where, base)
        else:
            warnings.append(f"{where}: unknown setting '{key}' ignored")
    return replace(Settings(), **top, **sections, source=source, warnings=tuple(warnings))


def _build(cls, section: str, values: dict, where: str, base: Path, warnings: list[str]):
    known = {f.name: f for f in fields(cls)}
    kwargs = {}
    for key, value in values.items():
        name = _RENAMED.get((section, key), key)
        if name not in known:
            warnings.append(f"{where}: unknown setting [{section}] {key} ignored")
            continue
        kwargs[name] = _coerce(section, key, value, known[name].type, where, base)
    return cls(**kwargs)


def _coerce(section: str, key: str, value, annotation: object, where: str, base: Path):
    label = f"[{section}] {key}" if section else key

    def bad(expected: str):
        return BadInput(f"{where}: {label}: expected {expected}, got {value!r}")

    kind = str(annotation)
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number")
        if not math.isfinite(value):
            raise bad("a finite number")
        if kind == "int" and not float(value).is_integer():
            raise bad("a whole number")
        if value < 0 or ((section, key) in _POSITIVE and value <= 0):
            raise bad("a positive number" if (section, key) in _POSITIVE else "a number >= 0")
        low, high = _RANGES.get((section, key), (0, _MAX_NUMBER))
        if not low <= value <= high:
            raise bad(f"a number from {low:g} to {high:g}")
        return int(value) if kind == "int" else float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise bad("a string")
        choices = _CHOICES.get((section, key))
        if choices and value not in choices:
            raise bad("one of " + ", ".join(choices))
        if (section, key) == ("general", "timezone") and not _zone_exists(value):
            raise bad('a time zone name such as "Europe/Amsterdam"')
        if (section, key) == ("smtp", "from"):
            _, addr = parseaddr(value)
            if email_problem(label, addr or value):
                raise bad('an email address, optionally with a name: "oermonitor <x@school.nl>"')
        if (section, key) == ("web", "base_url") and value:
            value = value.strip().rstrip("/")
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
                raise bad('the public web address, like "https://oermonitor.school.nl"')
        return value
    if "Path" in kind:
        if not isinstance(value, str) or not value.strip():
            raise bad("a path")
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if "tuple" in kind:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        if (section, key) == ("policy", "allowed_licences"):
            unknown = [v for v in value if not licences.is_allowed_entry(v)]
            if unknown:
                raise BadInput(f"{where}: {label}: {unknown[0]!r} is not a licence id or "
                               "family (for example CC-BY, CC-BY-SA, CC0, CC-BY-4.0)")
        if (section, key) == ("web", "admins"):
            problems = [email_problem(label, v) for v in value]
            if any(problems):
                raise BadInput(f"{where}: {next(p for p in problems if p)}")
            return tuple(v.strip().lower() for v in value)
        return tuple(value)
    raise AssertionError(f"unhandled setting type {kind}")  # pragma: no cover


def _zone_exists(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True

"""Settings: lookup order, defaults, relative paths, warnings and one-line errors."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.errors import BadInput
from oermonitor.settings import Settings, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_builtin_defaults(tmp_path):
    settings = load_settings(None, cwd=tmp_path)
    assert settings == Settings()
    assert settings.fetch.concurrency == 8
    assert settings.policy.failures_before_broken == 2
    assert settings.notify.remind_every_days == 14
    assert settings.smtp.port == 25 and settings.smtp.from_ == "oermonitor@example.org"


def test_lookup_order_explicit_then_env_then_cwd(tmp_path, monkeypatch):
    cwd_file = write(tmp_path / "config" / "oermonitor.toml", "language = 'en'\n")
    env_file = write(tmp_path / "env.toml", "[fetch]\nconcurrency = 3\n")
    explicit = write(tmp_path / "explicit.toml", "[fetch]\nconcurrency = 5\n")
    assert load_settings(None, cwd=tmp_path).source == cwd_file
    monkeypatch.setenv("OERMONITOR_CONFIG", str(env_file))
    assert load_settings(None, cwd=tmp_path).fetch.concurrency == 3
    assert load_settings(explicit, cwd=tmp_path).fetch.concurrency == 5


def test_relative_paths_are_relative_to_the_file(tmp_path):
    path = write(tmp_path / "etc" / "o.toml",
                 'database = "data/o.db"\n[notify]\noutbox = "mail"\n')
    settings = load_settings(path)
    assert settings.database == (tmp_path / "etc" / "data" / "o.db").resolve()
    assert settings.notify.outbox == (tmp_path / "etc" / "mail").resolve()


def test_full_contract_example_loads(tmp_path):
    path = write(tmp_path / "o.toml", """
database = "oermonitor.db"
language = "nl"
[fetch]
timeout = 20
concurrency = 8
per_host_delay = 1.0
allow_private_networks = false
respect_robots_txt = true
[policy]
stale_after_days = 365
failures_before_broken = 2
[notify]
remind_every_days = 14
[smtp]
host = "localhost"
port = 25
from = "oermonitor@example.org"
""")
    settings = load_settings(path)
    assert settings.warnings == ()
    assert settings.fetch.timeout == 20.0 and isinstance(settings.fetch.timeout, float)


def test_the_shipped_example_config_is_valid():
    example = Path(__file__).parent.parent / "config" / "oermonitor.toml"
    settings = load_settings(example)
    assert settings.warnings == ()
    assert settings.database.name == "oermonitor.db"


def test_unknown_keys_are_warnings(tmp_path):
    path = write(tmp_path / "o.toml", "colour = 'red'\n[fetch]\nspeed = 3\n")
    settings = load_settings(path)
    assert any("unknown setting 'colour'" in w for w in settings.warnings)
    assert any("[fetch] speed" in w for w in settings.warnings)


@pytest.mark.parametrize("text, message", [
    ("[fetch]\ntimeout = 'soon'\n", "[fetch] timeout: expected a number, got 'soon'"),
    ("[fetch]\nconcurrency = 0\n", "[fetch] concurrency: expected a positive number"),
    ("[fetch]\nconcurrency = 2.5\n", "[fetch] concurrency: expected a whole number"),
    ("[fetch]\nrespect_robots_txt = 'yes'\n", "[fetch] respect_robots_txt: expected true or false"),
    ("language = 'fr'\n", "language: expected one of nl, en"),
    ("[smtp]\nsecurity = 'tls'\n", "[smtp] security: expected one of none, starttls, ssl"),
    ("[policy]\nallowed_licences = 'CC-BY'\n", "[policy] allowed_licences: expected a list"),
    ("fetch = 3\n", "[fetch] must be a table"),
    ("[fetch\n", "invalid TOML"),
])
def test_bad_values_name_file_and_key(tmp_path, text, message):
    path = write(tmp_path / "o.toml", text)
    with pytest.raises(BadInput) as info:
        load_settings(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_cli_reports_bad_settings_in_one_line_exit_1(tmp_path):
    path = write(tmp_path / "o.toml", "[policy]\nstale_after_days = -1\n")
    result = CliRunner().invoke(main, ["--config", str(path), "import", "x.csv"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert "[policy] stale_after_days" in result.output
    assert "Traceback" not in result.output


def test_cli_missing_config_file(tmp_path):
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "nope.toml"), "import", "x.csv"])
    assert result.exit_code == 1
    assert "settings file not found" in result.output


def test_smtp_password_comes_from_the_named_environment_variable(tmp_path, monkeypatch):
    path = write(tmp_path / "o.toml", "[smtp]\npassword_env = 'MAIL_PW'\n")
    monkeypatch.setenv("MAIL_PW", "geheim")
    assert load_settings(path).smtp.password == "geheim"


def test_private_networks_switch_from_environment(monkeypatch):
    assert not Settings().allow_private_networks
    monkeypatch.setenv("OERMONITOR_ALLOW_PRIVATE_NETWORKS", "1")
    assert Settings().allow_private_networks


def test_allowed_licences_entries_are_checked(tmp_path):
    good = write(tmp_path / "good.toml",
                 "[policy]\nallowed_licences = ['CC-BY', 'cc0', 'CC-BY-SA-4.0', 'public-domain']\n")
    assert load_settings(good).policy.allowed_licences[1] == "cc0"
    bad = write(tmp_path / "bad.toml", "[policy]\nallowed_licences = ['CC-BY', 'open']\n")
    with pytest.raises(BadInput, match=r"\[policy\] allowed_licences: 'open' is not a licence"):
        load_settings(bad)


def test_the_example_config_names_every_setting():
    """config/oermonitor.toml documents every setting the code knows (commented or not)."""
    import dataclasses
    import re

    from oermonitor.settings import _SECTIONS

    text = (Path(__file__).parent.parent / "config" / "oermonitor.toml").read_text()
    missing = [f"[{section}] {field.name}" for section, cls in _SECTIONS.items()
               for field in dataclasses.fields(cls)
               if not re.search(rf"^#?\s*{'from' if field.name == 'from_' else field.name}\s*=",
                                text, re.M)]
    assert missing == []


@pytest.mark.parametrize("sender, ok", [
    ("oermonitor@school.nl", True), ("oermonitor <oermonitor@school.nl>", True),
    ("oermonitor", False), ("a..b@school.nl", False)])
def test_smtp_from_must_be_an_address(tmp_path, sender, ok):
    path = write(tmp_path / "o.toml", f'[smtp]\nfrom = "{sender}"\n')
    if ok:
        assert load_settings(path).smtp.from_ == sender
    else:
        with pytest.raises(BadInput, match=r"\[smtp\] from: expected an email address"):
            load_settings(path)


def test_web_settings_have_defaults_and_checked_values(tmp_path, monkeypatch):
    from oermonitor.settings import WebSettings

    assert Settings().web == WebSettings(base_url="", secret_env="OERMONITOR_SECRET",
                                         link_days=60, admins=(), session_days=14)
    path = write(tmp_path / "o.toml", '[web]\nbase_url = "https://oermonitor.school.nl/"\n'
                 'secret_env = "MY_SECRET"\nadmins = ["Ict@School.nl"]\nlink_days = 30\n')
    web = load_settings(path).web
    assert web.base_url == "https://oermonitor.school.nl" and web.admins == ("ict@school.nl",)
    assert web.link_days == 30 and web.secret is None  # the secret only in the environment
    monkeypatch.setenv("MY_SECRET", "s3cret-from-the-environment")
    assert web.secret == "s3cret-from-the-environment"
    for text, message in [("admins = ['nobody']", "[web] admins is not a valid email"),
                          ("link_days = 0", "[web] link_days: expected a positive number"),
                          ("base_url = 'oermonitor.school.nl'", "[web] base_url: expected")]:
        bad = write(tmp_path / "bad.toml", f"[web]\n{text}\n")
        with pytest.raises(BadInput, match=re.escape(message)):
            load_settings(bad)

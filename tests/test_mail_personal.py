"""The email a teacher gets is personal and recognisable: greeted by first name, told
which pilot and programme the material comes from, signed by the pilot's coordinator.
From a real spreadsheet import to a real SMTP server on loopback."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from oermonitor.cli import main
from oermonitor.mailer import build_message
from oermonitor.notify import compose_test, send_due
from oermonitor.settings import GeneralSettings, NotifySettings, Settings, SmtpSettings
from oermonitor.store import Store
from tests.test_notify import DAY, NOW, bodies, broken, check

HEADER = ("url;title;maintainer_email;maintainer_name;maintainer_first_name;pilot;"
          "pilot_end_date;coordinator_email;coordinator_name\n")


def import_sheet(tmp_path, rows: str):
    sheet = tmp_path / "materialen.csv"
    sheet.write_text(HEADER + rows, encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "oermonitor.db"), "import",
                                       str(sheet)])
    assert result.exit_code == 0, result.output
    return Store.open(tmp_path / "oermonitor.db")


def settings(tmp_path, port: int, programme: str = "Impuls Open Leermateriaal") -> Settings:
    return Settings(database=tmp_path / "oermonitor.db",
                    notify=NotifySettings(programme=programme),
                    smtp=SmtpSettings(host="127.0.0.1", port=port, timeout=5,
                                      from_="oermonitor@school.nl"))


def test_greeting_programme_and_signature_from_the_spreadsheet(tmp_path, smtp):
    store = import_sheet(tmp_path, (
        "https://maken.wikiwijs.nl/171003/Kommagetallen_oefenen;Kommagetallen oefenen;"
        "bram@school.nl;Bram Jansen;;Rekenen in de onderbouw;2025-04-09;coord@school.nl;"
        "Anna de Vries\n"
        "https://maken.wikiwijs.nl/171004/Meten;Meten en meetkunde;"
        "eva@school.nl;mevrouw E. Smit;Eva;Rekenen in de onderbouw;;;\n"))
    for material in store.materials():
        check(store, material["id"], DAY - timedelta(days=3))
        broken(store, material["id"], DAY)

    send_due(store, settings(tmp_path, smtp.port), DAY, NOW)

    bram = smtp.to("bram@school.nl")[0]
    text, html = bodies(bram)
    assert text.startswith("Beste Bram,\r\n")  # the first word of maintainer_name
    assert ("Je bent beheerder van lesmateriaal dat is gemaakt in de pilot Rekenen in de "
            "onderbouw (Impuls Open Leermateriaal).") in text
    assert text.rstrip().endswith("Met vriendelijke groet,\r\nAnna de Vries, pilot Rekenen in "
                                  "de onderbouw (automatisch bericht)")
    assert "oermonitor" not in text.split("Met vriendelijke groet")[1]
    assert "Beste Bram," in html and "Anna de Vries, pilot Rekenen in de onderbouw" in html
    assert str(bram["From"]) == "Anna de Vries via oermonitor <oermonitor@school.nl>"
    assert str(bram["Reply-To"]) == "coord@school.nl"
    assert 'style="overflow-wrap: anywhere;' in html  # long links wrap on a phone
    assert "Wat kun je doen? Kijk of het lesmateriaal" in text

    eva_text, _ = bodies(smtp.to("eva@school.nl")[0])
    assert eva_text.startswith("Beste Eva,\r\n")  # maintainer_first_name wins
    # one spreadsheet row named the coordinator: it holds for the whole pilot
    assert "Anna de Vries, pilot Rekenen in de onderbouw (automatisch bericht)" in eva_text

    coordinator_text, _ = bodies(smtp.to("coord@school.nl")[0])
    assert coordinator_text.startswith("Beste Anna,\r\n")


def test_without_names_or_programme_the_mail_still_says_who_sends_it(tmp_path, smtp):
    store = import_sheet(tmp_path, (
        "https://maken.wikiwijs.nl/1/Les;Les;anne@school.nl;;;Taal;;;\n"))
    material = next(store.materials())
    broken(store, material["id"], DAY)

    send_due(store, settings(tmp_path, smtp.port, programme=""), DAY, NOW)

    mail = smtp.to("anne@school.nl")[0]
    text, _ = bodies(mail)
    assert text.startswith("Beste collega,\r\n")
    assert "gemaakt in de pilot Taal. Elke nacht" in text
    assert "De coördinator van de pilot Taal (automatisch bericht)" in text
    assert str(mail["From"]) == "oermonitor <oermonitor@school.nl>"


def test_a_long_subject_folds_without_double_spaces(tmp_path, smtp):
    titles = ("Kommagetallen oefenen", "Breuken: één en twee", "Procenten")
    rows = "".join(f"https://maken.wikiwijs.nl/{n}/Les;{title};bram@school.nl;Bram;;Rekenen;;;\n"
                   for n, title in enumerate(titles, 1))
    store = import_sheet(tmp_path, rows)
    for material in store.materials():
        broken(store, material["id"], DAY)

    send_due(store, settings(tmp_path, smtp.port), DAY, NOW)

    subject = str(smtp.to("bram@school.nl")[0]["Subject"])
    assert subject == "3 lesmaterialen vragen je aandacht: Breuken: één en twee en 2 andere"
    assert "  " not in subject and "…" not in subject


def test_test_message_has_a_dutch_date_and_local_time():
    now = datetime(2026, 12, 2, 2, 5, tzinfo=UTC)  # 03:05 in Amsterdam (winter time)
    text = compose_test(Settings(), "ops@school.nl", now).get_content()
    assert "verstuurd op 2 december 2026 om 03:05." in text
    assert "Ontvang je dit bericht, dan werken de e-mailinstellingen" in text
    summer = compose_test(Settings(language="en", general=GeneralSettings(timezone="UTC")),
                          "ops@school.nl", datetime(2026, 6, 2, 2, 5, tzinfo=UTC))
    assert "sent on 2 June 2026 at 02:05." in summer.get_content()


@pytest.mark.parametrize("subject", [
    "Overzicht pilot Rekenen in de onderbouw: 4 lesmaterialen vragen aandacht",
    "2 lesmaterialen vragen je aandacht: Grafieken lezen en maken en 1 ander",
    "Herinnering: Wikiwijs-materiaal 'Breuken, procenten en verhoudingen in de brugklas' "
    "vraagt je aandacht",
    "Herinnering: Wikiwijs-materiaal 'Één keer anders: coördinaten en kommagetallen voor "
    "groep 8' vraagt je aandacht",
])
def test_subjects_survive_folding_exactly(subject):
    raw = build_message(sender="oermonitor@school.nl", to="bram@school.nl", to_name=None,
                        subject=subject, text="x", html=None, now=NOW).as_bytes()
    header = raw[raw.index(b"Subject:"):raw.index(b"\nDate:")].split(b"\n")
    assert all(len(line.rstrip(b"\r")) <= 78 for line in header)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert str(parsed["Subject"]) == subject  # no leading, doubled or lost spaces


def test_one_coordinator_name_per_pilot(tmp_path):
    sheet = tmp_path / "materialen.csv"
    sheet.write_text(HEADER + "https://example.org/a;A;a@school.nl;;;Taal;;;Anna de Vries\n"
                     "https://example.org/b;B;b@school.nl;;;Taal;;;Eva Smit\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "o.db"), "import", str(sheet)])
    assert result.exit_code == 1
    assert "materialen.csv:3: pilot 'Taal' has coordinator_name Eva Smit here but Anna de Vries" \
        in result.stderr

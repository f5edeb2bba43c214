"""Licence ids and grammar (oermonitor.licences), driven by the licence case table.

tests/data/licence_cases.json is our copy of the public case table: every row is
one parametrized case here, whatever its input kind.
"""

import json
from pathlib import Path

import pytest

from oermonitor import licences
from oermonitor.extract.licence import detect
from oermonitor.extract.page import Page

CASES = json.loads((Path(__file__).parent / "data" / "licence_cases.json").read_text("utf-8"))


def _none(value):
    return None if value == "unknown" else value


def _case_id(case):
    text = case["input"] if isinstance(case["input"], str) else json.dumps(case["input"])
    return f"{case['input_kind']}:{text[:60]}"


def test_table_has_every_kind():
    assert {c["input_kind"] for c in CASES} == {"url", "badge_url", "text", "html", "change"}
    assert len(CASES) >= 60


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_case_table(case):
    kind, given, expected = case["input_kind"], case["input"], _none(case["expected"])
    if kind == "url":
        assert licences.canonical_from_url(given) == expected
    elif kind == "badge_url":
        assert licences.canonical_from_badge(given) == expected
    elif kind == "text":
        assert licences.canonical_from_text(given) == expected
    elif kind == "html":
        result = detect(Page.parse(given, "https://example.nl/les"))
        assert result.id == expected
        if "expected_scope" in case:
            assert result.scope == case["expected_scope"]
        if "expected_all" in case:
            assert sorted(result.all_ids) == sorted(case["expected_all"])
        if expected is None:
            assert result.scope is None and result.all_ids == []
    else:
        before, after = given["before"], given["after"]
        change = licences.classify_change(
            _none(before["id"]), _none(after["id"]), old_scope=before["scope"],
            new_scope=after["scope"], served=200 <= after["http"] < 300)
        assert change.kind == expected


# ------------------------------------------------------------------ URLs and buttons

@pytest.mark.parametrize("url, expected", [
    ("https://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0"),
    ("https://creativecommons.org/licenses/by-nc-sa/2.0/uk/", "CC-BY-NC-SA-2.0-UK"),
    ("https://creativecommons.org/licenses/by/2.5/scotland/", "CC-BY-2.5-SCOTLAND"),
    ("https://creativecommons.org/licenses/by/4.0/nl/", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by-sa/3.0/nl/legalcode", "CC-BY-SA-3.0-NL"),
    ("https://creativecommons.org/licenses/by/4.0/legalcode.txt", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/rdf", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by/3.0/deed.pt_BR", "CC-BY-3.0"),
    ("https://www.creativecommons.org/licenses/by/4.0", "CC-BY-4.0"),
    ("https://creativecommons.org//licenses//by//4.0//", "CC-BY-4.0"),
    ("https://creativecommons.org/licenses/by/4.0/?a=1&amp;b=2", "CC-BY-4.0"),
    ("http://creativecommons.org/licenses/by-sa/4.0/.", "CC-BY-SA-4.0"),
    ("https://creativecommons.org/publicdomain/mark/1.0/deed.nl", "CC-PDM-1.0"),
    ("https://creativecommons.org/share-your-work/public-domain/pdm/", "CC-PDM-1.0"),
    ("https://creativecommons.org/licenses/publicdomain/", "public-domain"),
    ("https://creativecommons.org/licenses/nc/1.0/", "CC-NC-1.0"),
    ("https://creativecommons.org/licenses/nc-sampling+/1.0/", "CC-NC-SAMPLING-PLUS-1.0"),
    ("https://creativecommons.org/licenses/sampling%2B/1.0/", "CC-SAMPLING-PLUS-1.0"),
    ("https://creativecommons.org/licenses/nc/2.0/", None),  # no BY only existed at 1.0
    ("https://creativecommons.org/licenses/by-nd-sa/4.0/", None),  # impossible element set
    ("https://creativecommons.org/licenses/by/", None),
    ("https://creativecommons.org/about/cclicenses/", None),
    ("https://creativecommons.org/publicdomain/zero/2.0/", None),
    ("https://creativecommons.org.evil.example/licenses/by/4.0/", None),
    ("/licenses/by/4.0/", None),
    ("mailto:info@creativecommons.org", None),
    ("", None),
    (None, None),
])
def test_url_grammar(url, expected):
    assert licences.canonical_from_url(url) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://i.creativecommons.org/p/zero/1.0/88x31.png", "CC0-1.0"),
    ("//i.creativecommons.org/l/by-nd/3.0/igo/80x15.png", "CC-BY-ND-3.0-IGO"),
    ("https://licensebuttons.net/l/by-nc-nd/4.0/nl/88x31.png", "CC-BY-NC-ND-4.0"),
    ("https://i2.wp.com/licensebuttons.net/l/by-sa/3.0/nl/88x31.png", "CC-BY-SA-3.0-NL"),
    ("https://mirrors.creativecommons.org/presskit/buttons/88x31/png/by-nc-sa.png", "CC-BY-NC-SA"),
    ("https://mirrors.creativecommons.org/presskit/buttons/80x15/svg/by-nc-eu.svg", "CC-BY-NC"),
    ("https://mirrors.creativecommons.org/presskit/buttons/88x31/png/cc-zero.png", "CC0-1.0"),
    ("https://mirrors.creativecommons.org/presskit/icons/cc.svg", None),
    ("https://i.creativecommons.org/l/by/4.0/", None),  # not an image
    ("https://example.org/img/by-sa.png", None),
])
def test_badge_grammar(url, expected):
    assert licences.canonical_from_badge(url) == expected


# ------------------------------------------------------------------ text

@pytest.mark.parametrize("text, expected", [
    ("Naamsvermelding-NietCommercieel-GelijkDelen 3.0 Nederland", "CC-BY-NC-SA-3.0-NL"),
    ("Naamsvermelding-Niet-Commercieel-Geen Afgeleide Werken 3.0 Nederland",
     "CC-BY-NC-ND-3.0-NL"),
    ("CC Naamsvermelding-GelijkDelen 4.0 Internationale licentie", "CC-BY-SA-4.0"),
    ("Meer informatie over de CC Naamsvermelding 4.0 Internationale licentie.", "CC-BY-4.0"),
    ("Naamsvermelding-GelijkDelen 3.0", "CC-BY-SA-3.0"),  # no "Nederland": unported
    ("Attribution-NonCommercial-NoDerivs 3.0 Unported", "CC-BY-NC-ND-3.0"),
    ("Attribution-NoDerivatives 4.0 International", "CC-BY-ND-4.0"),
    ("Creative Commons Attribution License", "CC-BY"),
    ("Creative Commons BY-SA 3.0 Nederland", "CC-BY-SA-3.0-NL"),
    ("licentie: cc-by-nc-sa", "CC-BY-NC-SA"),
    ("CC BY-SA 3.0 IGO", "CC-BY-SA-3.0-IGO"),
    ("CC-BY-NC-ND-2.5-NL", "CC-BY-NC-ND-2.5-NL"),
    ("CC\u00a0BY\u00a04.0", "CC-BY-4.0"),
    ("CC0 1.0 Universeel", "CC0-1.0"),
    ("Vrijgegeven als CC Zero", "CC0-1.0"),
    ("CC-0", "CC0-1.0"),
    ("Dit werk is in het publiek domein", "public-domain"),
    ("This work is in the public domain.", "public-domain"),
    ("© 2020 Stichting X. All rights reserved.", "all-rights-reserved"),
    ("Alle rechten voorbehouden. Licentie: CC BY 4.0", "CC-BY-4.0"),
    ("zie https://creativecommons.org/licenses/by-nc/4.0/deed.nl voor de voorwaarden",
     "CC-BY-NC-4.0"),
    ("Naamsvermelding is verplicht bij hergebruik.", None),  # ordinary prose
    ("Attribution matters.", None),
    ("CC BYOD-beleid van de school", None),
    ("CC BY 5.0", None),
    ("Some rights reserved", None),
    ("Creative Commons", None),
    ("CC aan de mentor", None),
    ("", None),
])
def test_text_grammar(text, expected):
    assert licences.canonical_from_text(text) == expected


def test_text_finds_every_statement_in_order():
    found = licences.find_in_text("Licentie: CC BY-SA 4.0. Foto's: CC BY-NC 2.0.\nAlle rechten")
    assert [hit.id for hit in found] == ["CC-BY-SA-4.0", "CC-BY-NC-2.0"]
    assert found[0].text == "CC BY-SA 4.0"


def test_text_does_not_run_across_lines():
    assert licences.canonical_from_text("Licentie: CC BY\n4.0 punten") == "CC-BY"


# ------------------------------------------------------------------ ids and meaning

@pytest.mark.parametrize("licence_id", [
    "CC-BY-4.0", "CC-BY-NC-SA-4.0", "CC-BY-3.0-NL", "CC-BY-NC-ND-2.5-NL", "CC-BY-3.0-IGO",
    "CC-BY-SA", "CC-BY", "CC0-1.0", "CC-PDM-1.0", "CC-SAMPLING-PLUS-1.0", "CC-NC-1.0",
    "public-domain", "all-rights-reserved",
])
def test_canonical_ids(licence_id):
    assert licences.is_canonical(licence_id)


@pytest.mark.parametrize("licence_id", [
    "cc-by-4.0", "CC-BY-4.0-NL", "CC-BY-SA-NC-4.0", "CC-BY-ND-SA-4.0", "CC-BY-5.0", "CC0",
    "CC-PDM", "CC-BY-3.0-nl", "CC-NC-2.0", "unknown", "", None, "MIT",
])
def test_not_canonical(licence_id):
    assert not licences.is_canonical(licence_id)


@pytest.mark.parametrize("licence_id, expected", [
    ("CC-BY-SA-4.0", "CC-BY-SA-4.0"),
    ("CC-BY-NC-ND-1.0", "CC-BY-NC-ND-1.0"),
    ("CC-BY-3.0-NL", "CC-BY-3.0-NL"),
    ("CC0-1.0", "CC0-1.0"),
    ("CC-PDM-1.0", "CC-PDM-1.0"),
    ("CC-BY-SA-3.0-NL", "LicenseRef-CC-BY-SA-3.0-NL"),
    ("CC-BY-NC-3.0-NL", "LicenseRef-CC-BY-NC-3.0-NL"),
    ("CC-BY-SA", "LicenseRef-CC-BY-SA"),
    ("public-domain", "LicenseRef-public-domain"),
    ("CC-SAMPLING-PLUS-1.0", "LicenseRef-CC-SAMPLING-PLUS-1.0"),
    (None, None),
    ("nonsense", None),
])
def test_spdx(licence_id, expected):
    assert licences.spdx(licence_id) == expected


@pytest.mark.parametrize("licence_id, expected", [
    ("CC-BY-4.0", "open"), ("CC-BY-SA-3.0-NL", "open"), ("CC-BY-SA", "open"),
    ("CC0-1.0", "open"), ("CC-PDM-1.0", "open"), ("public-domain", "open"),
    ("CC-BY-NC-4.0", "restricted"), ("CC-BY-ND-3.0-NL", "restricted"),
    ("CC-BY-NC-SA", "restricted"), ("CC-SAMPLING-PLUS-1.0", "restricted"),
    ("all-rights-reserved", "closed"), (None, "unknown"), ("garbage", "unknown"),
])
def test_openness(licence_id, expected):
    assert licences.openness(licence_id) == expected


OPEN = ("CC-BY", "CC-BY-SA", "CC0", "CC-PDM", "public-domain")


@pytest.mark.parametrize("licence_id, allowed, expected", [
    ("CC-BY-4.0", OPEN, True),
    ("CC-BY-3.0-NL", OPEN, True),
    ("CC-BY-SA", OPEN, True),
    ("CC0-1.0", OPEN, True),
    ("CC-PDM-1.0", OPEN, True),
    ("public-domain", OPEN, True),
    ("CC-BY-NC-4.0", OPEN, False),
    ("all-rights-reserved", OPEN, False),
    (None, OPEN, False),
    ("CC-BY-SA-4.0", ("CC-BY",), False),  # a family is its own element set only
    ("CC-BY-SA-4.0", ("CC-BY-SA-4.0",), True),
    ("CC-BY-SA-3.0", ("CC-BY-SA-4.0",), False),
    ("CC-BY-NC-4.0", ("cc-by-nc",), True),
    ("CC-BY-4.0", (), False),
])
def test_is_allowed(licence_id, allowed, expected):
    assert licences.is_allowed(licence_id, allowed) is expected


def test_settings_default_allows_the_open_families():
    from oermonitor.settings import PolicySettings
    allowed = PolicySettings().allowed_licences
    for licence_id in ("CC-BY-4.0", "CC-BY-SA-3.0-NL", "CC0-1.0", "CC-PDM-1.0", "public-domain"):
        assert licences.is_allowed(licence_id, allowed)
    assert not licences.is_allowed("CC-BY-NC-SA-4.0", allowed)


# ------------------------------------------------------------------ change

@pytest.mark.parametrize("old, new, kind, down", [
    ("CC-BY-4.0", "CC-BY-4.0", "unchanged", False),
    (None, None, "unchanged", False),
    (None, "CC-BY-4.0", "appeared", False),
    ("CC-BY-4.0", None, "disappeared", False),
    ("CC-BY-SA", "CC-BY-SA-4.0", "refined", False),
    ("CC-BY-3.0", "CC-BY-3.0-NL", "refined", False),
    ("CC-BY-3.0-NL", "CC-BY-3.0", "refined", False),  # detail lost, same licence
    ("public-domain", "CC0-1.0", "refined", False),
    ("CC-BY-SA-3.0", "CC-BY-SA-4.0", "changed", False),
    ("CC-BY-SA-4.0", "CC-BY-NC-SA-4.0", "changed", True),
    ("CC-BY-NC-4.0", "CC-BY-4.0", "changed", False),
    ("CC-BY-4.0", "all-rights-reserved", "changed", True),
    ("CC-BY", "CC-BY-SA-4.0", "changed", False),
])
def test_classify_change(old, new, kind, down):
    change = licences.classify_change(old, new)
    assert (change.kind, change.openness_down) == (kind, down)


def test_site_scope_counts_as_no_material_licence():
    change = licences.classify_change("CC-BY-4.0", "CC-BY-4.0", new_scope="site")
    assert change.kind == "disappeared"
    assert licences.classify_change("CC-BY-4.0", "CC-BY-4.0", old_scope="site").kind == "appeared"
    assert licences.classify_change("CC-BY-4.0", "CC-BY-SA-4.0", old_scope="site",
                                    new_scope="site").kind == "unchanged"


def test_failed_fetch_is_never_a_change():
    assert licences.classify_change("CC-BY-4.0", None, served=False).kind == "fetch_failed"


@pytest.mark.parametrize("url, expected", [
    ("https://creativecommons.org/licenses/nc/1.0/nl/", "CC-NC-1.0-NL"),
    ("http://creativecommons.org/licenses/nd-nc/1.0/fi/deed.fi", "CC-NC-ND-1.0-FI"),
    ("https://creativecommons.org/licenses/nc-sa/2.0/jp/", "CC-NC-SA-2.0-JP"),
    ("https://creativecommons.org/licenses/sa/2.0/jp/", "CC-SA-2.0-JP"),
    ("https://creativecommons.org/licenses/nc/2.0/nl/", None),  # no such port
    ("https://web.archive.org/web/20081231/http://creativecommons.org/licenses/by/3.0/nl/",
     "CC-BY-3.0-NL"),
    ("http://web.archive.org/web/2012id_/https://creativecommons.org/licenses/by-sa/4.0/",
     "CC-BY-SA-4.0"),
    ("https://web.archive.org/web/2012/https://example.org/licenses/by/4.0/", None),
])
def test_retired_ports_and_archived_links(url, expected):
    assert licences.canonical_from_url(url) == expected


def test_retired_ports_are_canonical_restricted_and_licenseref():
    for licence_id in ("CC-NC-1.0-NL", "CC-NC-SA-2.0-JP"):
        assert licences.is_canonical(licence_id)
        assert licences.openness(licence_id) == "restricted"
        assert licences.spdx(licence_id) == f"LicenseRef-{licence_id}"
    assert not licences.is_canonical("CC-NC-2.0-NL")


# Licence statements of every kind `licences._TEXT` reads, and what may stand before
# them: the look-ahead it tests first must admit the start of each one.
_STATEMENTS = [
    "CC BY-SA 4.0", "cc-by-nc-nd 3.0 NL", "Creative Commons BY 4.0", "CC Naamsvermelding 4.0",
    "Naamsvermelding-GelijkDelen 4.0 Internationaal licentie", "Attribution-ShareAlike License 4.0",
    "Namensnennung 4.0 Lizenz", "CC0", "CC Zero", "Public Domain Mark", "Publiek Domein Merk",
    "Merk Publiek Domein", "Publiek Domein", "public domain", "Alle rechten voorbehouden",
    "All rights are reserved", "Alle Rechte vorbehalten", "Alle Rechte beim Autor",
    "https://creativecommons.org/licenses/by/4.0/", "http://www.creativecommons.org/publicdomain/zero/1.0/",
    "//creativecommons.org/licenses/by-sa/3.0/nl/", "www.creativecommons.org/licenses/by/2.0",
    "creativecommons.org/licenses/by-nd/4.0",
]
_AROUND = ["", " ", "x", "é", "(", "/", ":", "\n", "\u2013", "\u0130", "\u0131", "\u017f",
           "\u212a", "\u00a0", "©", "h", "w", "c", "a"]


def test_text_scan_finds_what_the_alternatives_alone_find():
    import random
    import re

    bare = re.compile(licences._TEXT_ALTERNATIVES, re.I)
    rnd = random.Random(19)
    texts = [c["input"] for c in CASES if isinstance(c["input"], str)]
    for statement in _STATEMENTS:
        for variant in (statement, statement.upper(), statement.lower()):
            texts += [rnd.choice(_AROUND) + variant + rnd.choice(_AROUND) for _ in range(20)]
    texts += [" ".join(rnd.sample(_STATEMENTS, 3)) for _ in range(200)]
    for text in texts:
        expected = [(m.span(), m.groupdict()) for m in bare.finditer(text)]
        assert [(m.span(), m.groupdict()) for m in licences._TEXT.finditer(text)] == expected, text

"""The pages' languages: the choice from the cookie and Accept-Language, the catalogs (every text
the templates and scripts ask for, in every language, with the same placeholders), Babel's dates
and numbers, and where `/language` may send the browser back to."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from hut_availability_pipeline.web import i18n, views

WEB = Path(i18n.__file__).parent


@pytest.mark.parametrize(
    ("cookie", "header", "language"),
    [
        (None, "de-CH,de;q=0.9,en;q=0.8", "de"),
        (None, "en-GB,en;q=0.9,fr;q=0.8", "en"),
        (None, "es-ES,it;q=0.5,fr;q=0.7", "fr"),  # the best of ours by q
        (None, "fr;q=0,it", "it"),  # q=0: not accepted
        (None, "es, pt", "en"),  # none of ours: English
        (None, None, "en"),
        (None, "de;q=abc", "en"),  # a bad q counts as 0
        ("it", "de", "it"),  # the chosen one wins
        ("xx", "fr", "fr"),  # an unknown cookie is ignored
    ],
)
def test_the_language_of_a_request(cookie, header, language):
    assert i18n.choose(cookie, header) == language


def _texts_asked() -> set[str]:
    asked: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), WEB / "planner.py", WEB / "views.py", WEB / "pages.py"]:
        text = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r'_\(\s*"((?:[^"\\]|\\.)*)"\s*\)', text))
        asked |= set(re.findall(r"_\(\s*'((?:[^'\\]|\\.)*)'\s*\)", text))
    return asked


def test_every_text_is_translated_with_its_placeholders():
    asked = _texts_asked() | set(views.STATE_LABELS.values())
    assert len(asked) > 40
    for language in ("de", "fr", "it"):
        catalog = json.loads((WEB / "locales" / f"{language}.json").read_text(encoding="utf-8"))
        assert sorted(asked - catalog.keys()) == [], language
        assert sorted(catalog.keys() - asked) == [], f"{language}: texts no page asks for"
        for english, translated in catalog.items():
            assert re.findall(r"\{\w+\}", english) == re.findall(r"\{\w+\}", translated), (language, english)
            assert (translated.strip() and translated != english) or english in (
                "Start",
                "free",
                "Status",
                "Source",
                "Trend",
                "Trends",
            ), (language, english)


def test_dates_and_numbers_are_formatted_for_the_language():
    day = dt.date(2027, 7, 10)
    assert i18n.texts("en").date(day, "weekday") == "Sat 10 Jul 2027"
    assert i18n.texts("de").date(day, "weekday") == "Sa. 10 Juli 2027"
    assert i18n.texts("de").date(day, "full") == "Samstag, 10. Juli 2027"
    assert i18n.texts("fr").date(day, "full") == "samedi 10 juillet 2027"
    assert i18n.texts("it").date(day, "full") == "sabato 10 luglio 2027"
    assert [i18n.texts(c).number(12345) for c in ("en", "de", "fr", "it")] == [
        "12,345",
        "12.345",
        "12\u202f345",
        "12.345",
    ]
    assert i18n.texts("xx").language == "en"


@pytest.mark.parametrize(
    ("path", "back"),
    [("/huts/x?date=2027-07-01", "/huts/x?date=2027-07-01"), ("//evil.example/", "/"),
     ("https://evil.example/", "/"), ("/\\evil.example", "/"), (None, "/"), ("", "/")],
)  # fmt: skip
def test_the_language_switch_goes_back_only_to_this_site(path, back):
    assert i18n.safe_next(path) == back

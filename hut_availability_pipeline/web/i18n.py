"""The pages' languages: English (the texts in the templates), German, French and Italian (the
Alps' languages; catalogs in `locales/<code>.json`, keyed by the English text). The language of a
request is the one chosen with `/language` (a cookie), else the best of the browser's
`Accept-Language`, else English. Dates and numbers are formatted for it by Babel."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.dates import format_date, get_day_names
from babel.numbers import format_decimal

LANGUAGES = ("en", "de", "fr", "it")
DEFAULT = "en"
NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "it": "Italiano"}
COOKIE = "lang"
LOCALES = Path(__file__).parent / "locales"


@cache
def catalog(language: str) -> dict[str, str]:
    """The translations of one language (English: none, the texts are the keys)."""
    if language == DEFAULT:
        return {}
    messages: dict[str, str] = json.loads((LOCALES / f"{language}.json").read_text(encoding="utf-8"))
    return messages


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages in an `Accept-Language` header by its q-values ("de-CH,de;q=0.9,
    en;q=0.8" → "de"); None when none of them is accepted."""
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            choices.append((-quality, i, primary))
    return min(choices)[2] if choices else None


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the chosen one (cookie), else the browser's, else English."""
    if cookie in LANGUAGES:
        return str(cookie)
    return from_accept_language(accept_language) or DEFAULT


@dataclass(frozen=True)
class Texts:
    """What a page needs in one language: `_` translates an English text, `date` and `number`
    format for the language (Babel)."""

    language: str

    def _(self, text: str) -> str:
        return catalog(self.language).get(text, text)

    def date(self, day: dt.date, form: str = "medium") -> str:
        """A date for the language ("Fri, 10 Jul 2026", "Fr., 10. Juli 2026" with form "full" …)."""
        if form == "weekday":
            return format_date(day, "EEE d MMM yyyy", locale=self.language)
        return format_date(day, form, locale=self.language)

    def number(self, value: float | int) -> str:
        """A number for the language (1,234 / 1’234 / 1 234 / 1.234)."""
        return format_decimal(value, locale=self.language)

    def weekdays(self) -> list[str]:
        """The short names of the weekdays, Monday first ("Mo", "Tu", … / "Mo", "Di", …)."""
        names = get_day_names("short", locale=self.language)
        return [str(names[i]) for i in range(7)]

    @property
    def gettext(self) -> Callable[[str], str]:
        return self._


def texts(language: str) -> Texts:
    return Texts(language if language in LANGUAGES else DEFAULT)


def safe_next(path: str | None) -> str:
    """Where to go back after choosing a language: a path of this site only ("/x?y"), never
    another host ("//evil", "https://…"); "/" otherwise."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path

"""Dated events and quantities mentioned in text, with their char offsets, for timelines and comparisons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DAY_MONTH = re.compile(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}\b", re.IGNORECASE)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+{_DAY}{_YEAR}\b", re.IGNORECASE)

_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_UNIT = (
    r"(square\s+miles|sq\.?\s+miles|square\s+kilomet(?:re|er)s|sq\.?\s+km|km²|km2|kilomet(?:re|er)s|km|miles?|"
    r"per\s*cent|percent|%|million|billion|[a-z]{3,}(?:\s+[a-z]{3,})?)"
)
_QUANTITY = re.compile(rf"(?<![\w.,]){_NUMBER}\s*{_UNIT}", re.IGNORECASE)
UNIT_FAMILIES = {
    "mile": "distance",
    "miles": "distance",
    "km": "distance",
    "kilometres": "distance",
    "kilometers": "distance",
    "square miles": "area",
    "sq miles": "area",
    "square kilometres": "area",
    "square kilometers": "area",
    "sq km": "area",
    "km²": "area",
    "km2": "area",
    "%": "percent",
    "percent": "percent",
    "per cent": "percent",
}
_NOT_UNITS = {"and", "the", "of", "to", "in", "on", "at", "for", "with", "from", "by", "or"}
_SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9}
_CURRENCY_SIGNS = {"$": "USD", "£": "GBP", "€": "EUR"}
_UNIT_NAMES = {"%": "%", "percent": "%", "per cent": "%", "mile": "mile", "miles": "mile", "km": "km"}
_UNIT_NAMES |= {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP", "pounds": "GBP"}
_UNIT_NAMES |= {u: "km" for u in ("kilometre", "kilometres", "kilometer", "kilometers")}
_UNIT_NAMES |= {u: "square mile" for u in ("square mile", "square miles", "sq mile", "sq miles")}
_UNIT_NAMES |= {u: "km²" for u in ("square kilometres", "square kilometers", "sq km", "km²", "km2")}
_UNIT_WORDS = "|".join(
    re.escape(u).replace(r"\ ", r"\s+").replace("sq", r"sq\.?") for u in sorted(_UNIT_NAMES, key=len, reverse=True)
)
_AMOUNT = re.compile(
    rf"(?<![\w.,:$£€])(?P<sign>[$£€])?\s?(?P<number>{_NUMBER[1:-1]})"
    rf"(?:\s*(?P<scale>{'|'.join(_SCALES)})\b)?(?:\s*(?P<unit>{_UNIT_WORDS})(?!\w))?(?![\w%]|:\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Amount:
    """A figure normalised: ``value`` with its scale applied ("2 million" is 2,000,000) and ``unit`` a currency
    code, "%", a unit of length or area, or "" for a plain count."""

    value: float
    unit: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DateMention:
    day: date
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Quantity:
    value: float
    unit: str
    text: str
    start: int
    end: int

    @property
    def family(self) -> str:
        return UNIT_FAMILIES.get(self.unit, self.unit)


def date_mentions(text: str, default_year: int) -> Iterator[DateMention]:
    """Explicit calendar dates ("6 September", "Sept. 10, 2022"); the year defaults to ``default_year``."""
    for pattern, day_group, month_group in ((_DAY_MONTH, 1, 2), (_MONTH_DAY, 2, 1)):
        for match in pattern.finditer(text):
            month = MONTHS[match.group(month_group).lower().rstrip(".")]
            year = int(match.group(3)) if match.group(3) else default_year
            try:
                yield DateMention(date(year, month, int(match.group(day_group))), match.start(), match.end())
            except ValueError:
                continue


def quantities(text: str) -> Iterator[Quantity]:
    """Numbers with the unit or noun that follows them ("12 miles", "24 tanks", "1,000 square miles")."""
    dates = [(d.start, d.end) for d in date_mentions(text, 2000)]
    for match in _QUANTITY.finditer(text):
        if any(start <= match.start() < end for start, end in dates):
            continue
        phrase = re.sub(r"\s+", " ", match.group(2).lower()).rstrip(".")
        words = phrase.split()
        if words[0] in _NOT_UNITS or words[0] in MONTHS:
            continue
        unit = phrase if phrase in UNIT_FAMILIES else words[0]
        end = match.end() if unit == phrase else match.start(2) + len(words[0])
        if unit not in UNIT_FAMILIES and unit.endswith("s") and len(unit) > 3:
            unit = unit[:-1]
        value = float(match.group(1).replace(",", ""))
        yield Quantity(value, unit, text[match.start() : end], match.start(), end)


def amounts(text: str) -> Iterator[Amount]:
    """Figures with their currency, scale and unit ("$750", "33.1%", "2 million", "$1.5 billion", "12 miles");
    calendar dates and bare years (1800-2100) are not figures."""
    dates = [(d.start, d.end) for d in date_mentions(text, 2000)]
    for match in _AMOUNT.finditer(text):
        if any(start <= match.start() < end for start, end in dates):
            continue
        sign, number, scale, unit = match.group("sign", "number", "scale", "unit")
        value = float(number.replace(",", ""))
        if not (sign or scale or unit) and re.fullmatch(r"\d{4}", number) and 1800 <= value <= 2100:
            continue
        unit = _CURRENCY_SIGNS.get(sign or "") or _UNIT_NAMES.get(re.sub(r"[\s.]+", " ", (unit or "").lower()), "")
        yield Amount(value * _SCALES.get((scale or "").lower(), 1.0), unit, match.group(0), match.start(), match.end())


def sentence_containing(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence around ``text[start:end]``."""
    left = max(text.rfind(mark, 0, start) for mark in (". ", "! ", "? ", "\n"))
    left = 0 if left < 0 else left + 1
    while left < len(text) and text[left].isspace():
        left += 1
    right = min((i for i in (text.find(mark, end) for mark in (". ", "! ", "? ", "\n")) if i >= 0), default=len(text))
    right = right + 1 if right < len(text) and text[right] in ".!?" else right
    return left, right

"""The one Dutch formatter: numbers, percentages, distances, counts and dates as a Dutch reader expects them.

Decimal comma, thousands dot, a real minus sign (−) and no negative zero, "–" for a
missing value, and
times in Dutch with their zone, e.g. "2 december 2026, 14:05 (CET)". Every
text, table, tooltip and legend uses these functions.

Examples
--------
>>> number(12345.678, 1), number(-0.004, 2), number(-1234.5, 1), number(None)
('12.345,7', '0,00', '−1.234,5', '–')
>>> percent(0.6149), number(6.62, 1, "%"), km(2.345), signed(-2.26, 1)
('61%', '6,6%', '2,3 km', '−2,3')
>>> count(1, "wijk", "wijken"), count(3, "wijk", "wijken")
('1 wijk', '3 wijken')
>>> name("Warffum"), name(None), name("<NA>"), km(3.0, 0)
('Warffum', '–', '–', '3 km')
>>> measure(36.24, "%"), measure(193.04, "x 1.000 euro"), measure(21.46, "per 1.000 inwoners"), fraction(0.2)
('36,2%', '€ 193.000', '21,5 per 1.000 inwoners', '1/5')

Units are added here and only here: a unit passed in text is never repeated
("3 km", never "3 km km"), and a missing name is "–", never "<NA>" or "nan".
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pandas as pd

from mgg_geo import settings

MISSING = "–"
ZONE = settings.TIMEZONE
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def number(value, decimals: int = 0, unit: str = "") -> str:
    """A number with a decimal comma and a thousands dot; ``unit`` is appended after a space when given."""
    if _missing(value):
        return MISSING
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    text = f"{abs(rounded):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    text = ("−" if rounded < 0 else "") + text  # a real minus sign
    if unit == "%":
        return text + "%"  # "6,6%", like percent()
    return f"{text} {unit}" if unit else text


def signed(value, decimals: int = 0, unit: str = "") -> str:
    """A difference with its sign: "+2,3", "−1,0" (a real minus sign), "0"."""
    if _missing(value):
        return MISSING
    text = number(abs(float(value)), decimals, unit)
    if round(float(value), decimals) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def percent(share, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: "61%"."""
    return MISSING if _missing(share) else number(100 * float(share), decimals) + "%"


def percentage(value, decimals: int = 1) -> str:
    """A value already in percent: "12,3%"."""
    return MISSING if _missing(value) else number(value, decimals) + "%"


def km(value, decimals: int = 1) -> str:
    """A distance in kilometres: "2,3 km"."""
    return number(value, decimals, "km")


#: What pandas, numpy and str() make of a missing text value.
_MISSING_TEXT = {"", "<na>", "nan", "none", "nat", "null"}


def name(value, missing: str = MISSING) -> str:
    """A place or initiative name as text; ``missing`` ("–") for None, NaN, ``pd.NA`` and their str() forms."""
    if _missing(value):
        return missing
    text = str(value).strip()
    return missing if text.casefold() in _MISSING_TEXT else text


def measure(value, unit: str, decimals: int = 1) -> str:
    """An indicator value with its catalogue unit: "36,2%", "€ 193.000" (``x 1.000 euro``), "21,5 per 1.000
    inwoners"; "–" when missing."""
    if _missing(value):
        return MISSING
    if unit == "%":
        return number(value, decimals) + "%"
    if unit.replace(".", "").replace(" ", "").lower() in ("x1000euro", "x1000"):
        return "€ " + number(round(float(value)) * 1000, 0)  # CBS publishes thousands of euros
    return number(value, decimals, unit)


def fraction(share: float) -> str:
    """A weight as a simple fraction: 1 -> "1", 0.2 -> "1/5", 0.04 -> "1/25"."""
    f = Fraction(float(share)).limit_denominator(1000)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def count(n: int, singular: str, plural: str) -> str:
    """"1 wijk", "3 wijken"."""
    return f"{number(n)} {singular if n == 1 else plural}"


def listing(items: list[str], conjunction: str = "en") -> str:
    """"A", "A en B", "A, B en C"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def when(value: str | dt.datetime | None = None) -> str:
    """A moment in Dutch with its zone: "2 december 2026, 14:05 (CET)"; default: now."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value or dt.datetime.now(dt.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(ZONE)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} ({local.tzname()})"


def date(value: str | dt.date | None) -> str:
    """A date in Dutch: "27 maart 2025"; "–" when unknown."""
    if not value:
        return MISSING
    day = dt.date.fromisoformat(str(value)[:10]) if not isinstance(value, dt.date) else value
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def partial_date(value: str | None, missing: str = MISSING) -> str:
    """A date known to the year, month or day: "2020", "mei 2020", "10 april 2025"; ``missing`` when unknown.

    >>> partial_date("2020"), partial_date("2020-05"), partial_date("2025-04-10"), partial_date(None)
    ('2020', 'mei 2020', '10 april 2025', '–')
    """
    text = "" if _missing(value) else str(value).strip()
    if len(text) == 4 and text.isdigit():
        return text
    if len(text) == 7 and text[4] == "-":
        return f"{MONTHS[int(text[5:7]) - 1]} {text[:4]}"
    return date(text) if text else missing

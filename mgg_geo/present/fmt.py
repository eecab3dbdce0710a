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
>>> radius(3000.0), radius(2500), radii([1000.0, 3000.0, 5000.0]), percent_range(1 / 3, 2 / 3), share_words(2 / 3)
('3 km', '2,5 km', '1, 3 en 5 km', '33–67%', 'twee derde')
>>> share_span(1 / 3, 2 / 3), share_span(0.25, 0.5)
('een tot twee derde', 'een kwart tot de helft')
>>> measure(36.24, "%"), measure(193.04, "x 1.000 euro"), measure(21.46, "per 1.000 inwoners"), fraction(0.2)
('36,2%', '€ 193.000', '21,5 per 1.000 inwoners', '1/5')

Units are added here and only here: a unit passed in text is never repeated
("3 km", never "3 km km"), and a missing name is "–", never "<NA>" or "nan".
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction

from mgg_geo import settings
from mgg_geo.text import MISSING, cell, is_missing

ZONE = settings.TIMEZONE
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


#: A place or initiative name (any text cell) as text; "–" for None, NaN, ``pd.NA`` and their str() forms
#: (:func:`mgg_geo.text.cell`, the one rule for a missing value).
name = cell


def rounded(value, decimals: int = 0, scale: int = 1) -> float:
    """``value`` times ``scale`` rounded as a reader rounds: half away from zero, on the number as written (62,5 ->
    63 and 2,675 -> 2,68, where Python's ``round`` gives 62 and 2,67; a share 0,575 with ``scale=100`` is 58, where
    57,49999... gives 57). Every figure a report prints is rounded here; an infinite value stays as it is."""
    number = float(value)
    if not math.isfinite(number):
        return number * scale
    with localcontext(Context(prec=60)):
        exact = Decimal(repr(number)) * scale
        return float(exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def number(value, decimals: int = 0, unit: str = "") -> str:
    """A number with a decimal comma and a thousands dot; ``unit`` is appended after a space when given."""
    if is_missing(value):
        return MISSING
    rounded_ = rounded(value, decimals)
    if rounded_ == 0:
        rounded_ = 0.0  # no "-0"
    text = f"{abs(rounded_):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    text = ("−" if rounded_ < 0 else "") + text  # a real minus sign
    if unit == "%":
        return text + "%"  # "6,6%", like percent()
    return f"{text} {unit}" if unit else text


def signed(value, decimals: int = 0, unit: str = "") -> str:
    """A difference with its sign: "+2,3", "−1,0" (a real minus sign), "0"."""
    if is_missing(value):
        return MISSING
    text = number(abs(float(value)), decimals, unit)
    if rounded(value, decimals) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def percent(share, decimals: int = 0) -> str:
    """A share (0-1) as a percentage: "61%" (rounded on the share as written: 23/40 is 58%)."""
    return MISSING if is_missing(share) else number(rounded(share, decimals, scale=100), decimals) + "%"


def percentage(value, decimals: int = 1) -> str:
    """A value already in percent: "12,3%"."""
    return MISSING if is_missing(value) else number(value, decimals) + "%"


def km(value, decimals: int = 1) -> str:
    """A distance in kilometres: "2,3 km"."""
    return number(value, decimals, "km")


def _km_decimals(value: float) -> int:
    """The fewest decimals (0-2) that write a distance in km exactly: 3 -> 0, 2.5 -> 1."""
    return next((d for d in (0, 1) if round(value, d) == round(value, 2)), 2)


def radius(metres, unit: bool = True) -> str:
    """A distance given in metres (a rule such as :data:`mgg_geo.rules.REACH_M`) in kilometres, with the decimals it
    needs: 3000 -> "3 km", 2500 -> "2,5 km" (``unit=False``: "2,5")."""
    if is_missing(metres):
        return MISSING
    value = float(metres) / 1000
    return number(value, _km_decimals(value), "km" if unit else "")


def radii(metres) -> str:
    """Several distances given in metres, the unit once: [1000, 3000, 5000] -> "1, 3 en 5 km"."""
    return listing([radius(m, unit=False) for m in metres]) + " km"


def percent_range(low, high) -> str:
    """A range of shares (0-1) in percent, the sign once: (1/3, 2/3) -> "33–67%"."""
    return f"{number(100 * float(low))}–{percent(high)}"


#: Dutch words for the numerator and denominator of a simple fraction ("twee derde", "drie kwart").
_NUMERATORS = ("", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen")
_DENOMINATORS = {2: "helft", 3: "derde", 4: "kwart", 5: "vijfde", 6: "zesde", 8: "achtste", 10: "tiende"}


def share_words(share) -> str:
    """A share (0-1) as a Dutch fraction in words: 1/3 -> "een derde", 2/3 -> "twee derde", 1/4 -> "een kwart",
    1/2 -> "de helft"; a share with no simple fraction as a percentage.

    >>> share_words(1 / 3), share_words(0.25), share_words(0.5), share_words(0.37)
    ('een derde', 'een kwart', 'de helft', '37%')
    """
    if is_missing(share):
        return MISSING
    f = Fraction(float(share)).limit_denominator(10)
    if abs(float(f) - float(share)) > 1e-9 or f.denominator not in _DENOMINATORS or not 0 < f.numerator < 10:
        return percent(share)
    if f.denominator == 2:
        return "de helft"
    return f"{_NUMERATORS[f.numerator]} {_DENOMINATORS[f.denominator]}"


def share_span(low, high) -> str:
    """From one share to another in words, the common denominator once: (1/3, 2/3) -> "een tot twee derde"."""
    a, b = share_words(low), share_words(high)
    if a.split()[-1] == b.split()[-1] and len(a.split()) == 2 and len(b.split()) == 2:
        a = a.split()[0]
    return f"{a} tot {b}"


def measure(value, unit: str, decimals: int = 1) -> str:
    """An indicator value with its catalogue unit: "36,2%", "€ 193.000" (``x 1.000 euro``), "21,5 per 1.000
    inwoners"; "–" when missing."""
    if is_missing(value):
        return MISSING
    if unit == "%":
        return number(value, decimals) + "%"
    if unit.replace(".", "").replace(" ", "").lower() in ("x1000euro", "x1000"):
        return "€ " + number(rounded(value) * 1000, 0)  # CBS publishes thousands of euros
    return number(value, decimals, unit)


def fraction(share: float) -> str:
    """A weight as a simple fraction: 1 -> "1", 0.2 -> "1/5", 0.04 -> "1/25"."""
    f = Fraction(float(share)).limit_denominator(1000)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


#: Small whole numbers in words, as Dutch prose writes them.
_WORDS = ("nul", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf", "twaalf")


def word(n: int) -> str:
    """A small whole number in words, a larger one in digits: 3 -> "drie", 1000 -> "1.000".

    >>> word(3), word(12), word(1000)
    ('drie', 'twaalf', '1.000')
    """
    return _WORDS[int(n)] if 0 <= int(n) < len(_WORDS) and int(n) == n else number(n)


def count(n: int, singular: str, plural: str) -> str:
    """"1 wijk", "3 wijken"."""
    return f"{number(n)} {singular if n == 1 else plural}"


def listing(items: list[str], conjunction: str = "en") -> str:
    """"A", "A en B", "A, B en C"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def places(joined, most: int) -> str:
    """Places joined by "; " (an area's, :func:`mgg_geo.analysis.chain.numbered_places`) in running text: at most
    ``most``, "e.a." where there are more (a list with "en" reads as complete): "Ezinge, Feerwerd en Garnwerd",
    "Oldehove, Niehove, Saaksum e.a."; '' for none."""
    where = [n for n in str(joined).split("; ") if n and n != "nan"] if not is_missing(joined) else []
    shown = [name(n) for n in where[:most]]
    return listing(shown) if len(where) <= most else ", ".join(shown) + " e.a."


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
    text = "" if is_missing(value) else str(value).strip()
    if len(text) == 4 and text.isdigit():
        return text
    if len(text) == 7 and text[4] == "-":
        return f"{MONTHS[int(text[5:7]) - 1]} {text[:4]}"
    return date(text) if text else missing

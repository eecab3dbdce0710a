"""Validation of values a user supplies (options, notebook parameters), defined once.

Every check returns the clean value or raises :class:`~mgg_geo.errors.ParameterError`
with a message that names the parameter as the command line spells it and
says what is allowed. The layers use these checks for every user value
(:mod:`mgg_geo.analysis.parameters` gathers them into one object).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path

from mgg_geo.errors import ParameterError


def option(name: str) -> str:
    """The command-line spelling of parameter ``name`` (``--name-with-dashes``), used in every message."""
    return "--" + name.replace("_", "-")


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int within bounds, else a :class:`ParameterError` naming ``name``."""
    try:
        number = int(value)
        if isinstance(value, float) and not value.is_integer() or isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise ParameterError(f"{option(name)}: {value!r} is not a whole number.") from None
    if minimum is not None and number < minimum or maximum is not None and number > maximum:
        bounds = f"of at least {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ParameterError(f"{option(name)}: {number} is not allowed; give a whole number {bounds}.")
    return number


def check_float(name: str, value, *, minimum: float = 0.0) -> float:
    """``value`` as a finite float of at least ``minimum``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{option(name)}: {value!r} is not a number.") from None
    if not math.isfinite(number) or number < minimum:
        raise ParameterError(f"{option(name)}: {value!r} is not allowed; give a number of at least {minimum:g}.")
    return number


def check_choice(name: str, value, choices) -> str:
    """``value`` when it is one of ``choices``."""
    text = str(value).strip().lower()
    if text not in choices:
        raise ParameterError(f"{option(name)}: {value!r} is not allowed; choose one of {', '.join(choices)}.")
    return text


def check_date(name: str, value) -> dt.date | None:
    """A ``YYYY-MM-DD`` date (None or empty: None)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ParameterError(f"{option(name)}: {value!r} is not a date; write it as YYYY-MM-DD, "
                             "e.g. 2026-01-01.") from None


def check_year(name: str, value, known=None) -> int | None:
    """A year (None, 0 or empty: None); with ``known``, one of those."""
    if value is None or value == "" or value == 0:
        return None
    year = check_int(name, value, minimum=2000, maximum=2100)
    if known is not None and year not in known:
        raise ParameterError(f"{option(name)}: {year} is not available; choose one of "
                             f"{', '.join(map(str, sorted(known)))}.")
    return year


def check_file(name: str, value) -> Path | None:
    """An existing file as an absolute path, taken literally and resolved against the current folder
    (None or empty: None).

    Nothing in the text is expanded but a leading ``~``: the path means the same to every process that
    receives it (a notebook kernel runs in another folder).
    """
    if value is None or str(value).strip() == "":
        return None
    path = absolute(value)
    if not path.is_file():
        raise ParameterError(f"{option(name)}: {path} is not a file.")
    return path


def absolute(value) -> Path:
    """``value`` as an absolute path: ``~`` expanded, relative paths taken from the current folder, nothing
    else interpreted (no placeholders, no variables)."""
    return Path(os.path.abspath(Path(value).expanduser()))

"""Municipalities of the province of Groningen and CBS area codes.

CBS area codes have the form ``GMgggg`` (gemeente), ``WKggggww`` (wijk) and
``BUggggwwbb`` (buurt); characters 3-6 are the municipality number, and since
2023 ``ww`` and ``bb`` may contain letters. CBS pads codes with spaces to ten
characters (``"GM0014    "``); :func:`normalise_code` strips them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

from mgg_geo.checks import check_choice
from mgg_geo.errors import RegionError
from mgg_geo.text import cell

#: The 10 municipalities of the province (indeling 2021-2025). GM1950 is
#: Westerwolde and GM1969 Westerkwartier: do not swap them.
MUNICIPALITIES: dict[str, str] = {
    "GM0014": "Groningen",
    "GM0037": "Stadskanaal",
    "GM0047": "Veendam",
    "GM0765": "Pekela",
    "GM1895": "Oldambt",
    "GM1950": "Westerwolde",
    "GM1952": "Midden-Groningen",
    "GM1966": "Het Hogeland",
    "GM1969": "Westerkwartier",
    "GM1979": "Eemsdelta",
}

#: The first year of the current indeling of :data:`MUNICIPALITIES`.
MUNICIPALITIES_SINCE = 2021
#: Municipal mergers in the province, the one table of them: ``{year: {new code: {old code: old name}}}``;
#: the new municipality exists from 1 January of ``year``. Earlier mergers (2018-2019) predate every
#: indeling of the tables mgg_geo reads (the oldest is the RIVM indeling 2020), so they are not listed.
MERGERS: dict[int, dict[str, dict[str, str]]] = {
    2021: {"GM1979": {"GM0003": "Appingedam", "GM0010": "Delfzijl", "GM0024": "Loppersum"}},
}
#: Municipalities that no longer exist, with their names (derived from :data:`MERGERS`).
FORMER_MUNICIPALITIES: dict[str, str] = {old: name for merged in MERGERS.values() for olds in merged.values()
                                         for old, name in olds.items()}

PROVINCE_CODE = "PV20"
PROVINCE_NAME = "Groningen (provincie)"
#: Reference rows kept next to the province's own areas when they occur in a source.
REFERENCE_CODES: dict[str, str] = {"NL01": "Nederland", "NL00": "Nederland", "GG0111": "GGD Groningen"}

#: Levels of CBS areas (boundaries and figures).
LEVELS = ("gemeente", "wijk", "buurt")
#: Levels an analysis runs at.
ANALYSIS_LEVELS = ("wijk", "buurt")
_PREFIX_LEVEL = {"GM": "gemeente", "WK": "wijk", "BU": "buurt", "NL": "land", "GG": "ggd", "PV": "provincie"}
_CODE_RE = re.compile(r"^(GM\d{4}|WK\d{4}[0-9A-Z]{2}|BU\d{4}[0-9A-Z]{4}|NL\d{2}|GG\d{4}|PV\d{2})$")


def check_level(level: str, levels: tuple[str, ...] = LEVELS) -> str:
    """``level`` when it is one of ``levels``, else a :class:`~mgg_geo.errors.ParameterError` naming them.

    The one level check of the library (boundaries, figures, analyses).
    """
    return check_choice("level", level, levels)


def normalise_code(code: object) -> str:
    """Return a CBS area code stripped of padding and in upper case.

    Parameters
    ----------
    code
        A code as CBS publishes it, e.g. ``"GM0014    "`` or ``" wk001400"``.

    Returns
    -------
    str
        The bare code, e.g. ``"GM0014"``; an empty string for missing input.

    Examples
    --------
    >>> normalise_code("WK001400  ")
    'WK001400'
    """
    return cell(code, "").upper()


def is_area_code(code: object) -> bool:
    """True when ``code`` (after :func:`normalise_code`) is a well-formed CBS region code."""
    return bool(_CODE_RE.match(normalise_code(code)))


def level_of(code: object) -> str:
    """Return the level of a code: gemeente, wijk, buurt (or land, ggd, provincie).

    Raises
    ------
    RegionError
        When the code is not a CBS region code.
    """
    c = normalise_code(code)
    if not _CODE_RE.match(c):
        raise RegionError(
            f"{code!r} is not a CBS area code; expected GMgggg, WKggggww or BUggggwwbb "
            "(e.g. GM0014, WK001400, BU00140000)."
        )
    return _PREFIX_LEVEL[c[:2]]


def municipality_of(code: object) -> str:
    """Return the GM code of the municipality a GM, WK or BU code lies in.

    Examples
    --------
    >>> municipality_of("BU19500300")
    'GM1950'
    """
    c = normalise_code(code)
    if level_of(c) not in LEVELS:
        raise RegionError(f"{code!r} is not a gemeente, wijk or buurt code, so it has no municipality.")
    return "GM" + c[2:6]


def municipalities(indeling: int) -> dict[str, str]:
    """The province's municipalities (GM code -> name) in the indeling of year ``indeling``.

    Examples
    --------
    >>> sorted(set(municipalities(2020)) - set(municipalities(2024)))
    ['GM0003', 'GM0010', 'GM0024']
    """
    out = dict(MUNICIPALITIES)
    for year in sorted(MERGERS, reverse=True):
        if indeling < year:
            for new, olds in MERGERS[year].items():
                out.pop(new, None)
                out.update(olds)
    return dict(sorted(out.items()))


def predecessors(code: str, source: int, target: int) -> list[str]:
    """The municipalities of indeling ``source`` that together form ``code`` of indeling ``target``.

    Examples
    --------
    >>> predecessors("GM1979", 2020, 2024)
    ['GM0003', 'GM0010', 'GM0024']
    >>> predecessors("GM0014", 2020, 2024)
    ['GM0014']
    """
    found = [code]
    for year in sorted(MERGERS, reverse=True):
        if source < year <= target:
            found = [old for c in found for old in (MERGERS[year].get(c) or [c])]
    return sorted(found)


def successor(code: str, target: int) -> str:
    """The municipality of indeling ``target`` that municipality ``code`` (of an earlier indeling) is part of.

    The inverse of :func:`predecessors`.

    Examples
    --------
    >>> successor("GM0010", 2024)
    'GM1979'
    >>> successor("GM0010", 2020)
    'GM0010'
    """
    found = code
    for year in sorted(MERGERS):
        if year <= target:
            found = next((new for new, olds in MERGERS[year].items() if found in olds), found)
    return found


def in_province(code: object, *, include_former: bool = True) -> bool:
    """True when a GM/WK/BU code lies in the province (optionally incl. the 2020 indeling)."""
    c = normalise_code(code)
    if not _CODE_RE.match(c) or _PREFIX_LEVEL[c[:2]] not in LEVELS:
        return False
    gm = "GM" + c[2:6]
    return gm in MUNICIPALITIES or (include_former and gm in FORMER_MUNICIPALITIES)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def resolve_municipality(value: str) -> str:
    """Return the GM code for a municipality given by code or name.

    Accepts ``"GM0014"``, ``"0014"``, ``"14"``, ``"Groningen"`` or
    ``"midden groningen"`` (case, accents, spaces and hyphens are ignored).

    Raises
    ------
    RegionError
        For anything else; the message lists the valid municipalities and the
        closest match.
    """
    text = str(value).strip()
    code = normalise_code(text)
    if code in MUNICIPALITIES:
        return code
    if code.isdigit() and f"GM{int(code):04d}" in MUNICIPALITIES:
        return f"GM{int(code):04d}"
    folded = {_fold(name): c for c, name in MUNICIPALITIES.items()}
    if _fold(text) in folded:
        return folded[_fold(text)]
    candidates = list(MUNICIPALITIES) + list(MUNICIPALITIES.values())
    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.5) or difflib.get_close_matches(
        text.upper(), list(MUNICIPALITIES), n=1, cutoff=0.5
    )
    hint = ""
    if close:
        match = close[0]
        gm = match if match in MUNICIPALITIES else folded[_fold(match)]
        hint = f" Did you mean {gm} {MUNICIPALITIES[gm]}?"
    if code in FORMER_MUNICIPALITIES:
        hint = f" {code} {FORMER_MUNICIPALITIES[code]} merged into GM1979 Eemsdelta in 2021."
    valid = ", ".join(f"{c} {n}" for c, n in MUNICIPALITIES.items())
    raise RegionError(f"Unknown municipality {value!r}.{hint} Valid municipalities of the province: {valid}.")


def resolve_municipalities(values: str | Iterable[str] | None) -> list[str]:
    """Resolve ``None``/``"all"`` to all 10 municipalities, else each value in turn."""
    if values is None:
        return list(MUNICIPALITIES)
    if isinstance(values, str):
        values = [values]
    values = [v for v in values if str(v).strip()]
    if not values or any(str(v).strip().lower() in {"all", "alle", PROVINCE_CODE.lower()} for v in values):
        return list(MUNICIPALITIES)
    out: list[str] = []
    for value in values:
        code = resolve_municipality(value)
        if code not in out:
            out.append(code)
    return out

"""The rules for text, for every layer: a missing value as text, and the characters a user's file may carry
(:func:`visible`).

A value is missing when it is None, NaN, ``pd.NA`` or ``NaT``, or text that
pandas, numpy or ``str()`` make of one ("", "nan", "<NA>", "None", "NaT",
"null"; but in a user's file such text is a name). :func:`cell` writes any
value as text and a missing one as the caller's word for it: "–" in what a
reader sees (:mod:`mgg_geo.present.fmt` uses it as ``fmt.name``), "" in a
command-line table, None where a reader of a file keeps "no value". CBS's own markers of a suppressed figure ("." and
the like) are a matter of the tables (:mod:`mgg_geo.data.tables`), not of
this module.

Examples
--------
>>> cell("Warffum "), cell(None), cell(float("nan")), cell("<NA>"), cell(3.5)
('Warffum', '–', '–', '–', '3.5')
>>> cell("  Oude   Pekela ", None, squeeze=True), cell("nan", None), cell("NULL", None, literal=True), cell(" ", "")
('Oude Pekela', None, 'NULL', '')
>>> is_missing(pd.NA), is_missing(pd.NaT), is_missing(0), is_missing("")
(True, True, False, False)
"""

from __future__ import annotations

import re

import pandas as pd

#: The text of a missing value in what a reader sees (an en dash).
MISSING = "–"
#: What pandas, numpy and str() make of a missing value, case-folded.
MISSING_TEXT = frozenset({"", "<na>", "nan", "none", "nat", "null"})


def is_missing(value) -> bool:
    """True for None, NaN, ``pd.NA`` and ``NaT`` (a missing value, not yet text); False for anything else, including
    a list or an array."""
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.api.types.is_scalar(value) and pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell(value, missing: str | None = MISSING, *, squeeze: bool = False, literal: bool = False) -> str | None:
    """``value`` as text without surrounding white space (``squeeze``: every run of white space one space), or
    ``missing`` when it is missing (:func:`is_missing`) or its text is that of a missing value (:data:`MISSING_TEXT`).

    ``literal``: text is what it says and only empty text is missing, for a user's file, where a name may read
    "NULL" or "nan".
    """
    if is_missing(value):
        return missing
    text = str(value).strip()
    if squeeze:
        text = re.sub(r"\s+", " ", text)
    return missing if not text or (not literal and text.casefold() in MISSING_TEXT) else text


#: Characters that never belong in text read from a user's file, removed on reading
#: (:func:`mgg_geo.data.files.visible_frame`): the C0 and C1 control characters but tab and line feed (a vertical
#: tab broke the workbook, an escape sequence rewrote the terminal), the bidirectional controls (one U+202E turned
#: the rest of a report line around: "62%" read "%26"), and the invisible ones (zero-width spaces and joiners, the
#: word joiner, the byte-order mark, the soft hyphen, tag characters: "STO\u200bRM" looked like STORM and was not),
#: and every other code point Unicode calls default-ignorable (drawn as nothing: the combining grapheme joiner, the
#: variation selectors, the Hangul fillers; "STO\u034fRM" still passed as a programme that looked like STORM).
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5"
                       "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
                       "\uffa0\ufff0-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]")
#: The line and paragraph separators, read as a space.
_SEPARATORS = re.compile("[\u2028\u2029]")


def visible(text: str) -> str:
    """``text`` without :data:`INVISIBLE` (the line and paragraph separators as a space).

    >>> visible("Club P.kel\u202e"), visible("STO\u200bRM"), visible("a\u2028b")
    ('Club P.kel', 'STORM', 'a b')
    """
    return INVISIBLE.sub("", _SEPARATORS.sub(" ", text))


def has_invisible(text) -> bool:
    """Whether :func:`visible` would change ``text`` (a str)."""
    return isinstance(text, str) and bool(INVISIBLE.search(text) or _SEPARATORS.search(text))


"""Dutch words for everything a policy advisor reads: the one vocabulary of reports, maps and exports.

The analysis works with codes (relation ``renumbered``, cause
``cbs_boundary_changed``, ...); this module turns them into Dutch. Nothing
here computes a figure.
"""

from __future__ import annotations

import pandas as pd

#: Relations between areas of two indelingen (see :mod:`mgg_geo.vintages`).
RELATIONS: dict[str, str] = {
    "same": "ongewijzigd",
    "renamed": "andere naam",
    "renumbered": "andere code",
    "split": "gesplitst",
    "merged": "samengevoegd",
    "reshaped": "grens gewijzigd",
}

#: Why an area has no figures from a source table (keys of :data:`mgg_geo.vintages.CAUSES`).
CAUSES: dict[str, str] = {
    "cbs_code_changed": "CBS gaf het gebied een nieuwe code en er zijn geen cijfers om de oude code te herkennen",
    "cbs_boundary_changed": "CBS wijzigde de grens van het gebied; de oude cijfers zijn niet te verdelen",
    "no_match": "geen gebied uit het bronjaar heeft een passende oppervlakte en een passend inwonertal",
    "no_source_figures": "er zijn geen cijfers per gebied uit het bronjaar om het mee te vergelijken",
    "no_overlap": "geen gebied uit het bronjaar overlapt het",
    "no_evidence": "grenzen of kerncijfers van het bronjaar ontbreken",
    "merged_municipality": "de gemeente is gefuseerd; alleen de gemeente als geheel is bruikbaar",
    "not_linked": "geen gebied uit het bronjaar sluit erop aan",
}


def relation_text(relation: str, from_codes: str, exact: bool) -> str:
    """e.g. "andere code (was WK196600)" or "gesplitst (uit WK196605; schatting)"."""
    word = RELATIONS.get(relation, relation)
    if relation == "merged" and from_codes and from_codes.startswith("GM"):
        return f"voormalige gemeenten samen ({from_codes}; schatting)"
    preposition = "uit" if relation in ("split", "merged") else "was"
    return f"{word} ({preposition} {from_codes}{'' if exact else '; schatting'})"


def figures_origin(vintages: pd.DataFrame) -> pd.Series:
    """Per area code, how its figures were obtained where not directly, e.g.
    "KWB 2021: andere code (was WK196600); RIVM 2020: geen cijfers"; areas whose every source gave its own
    figures are absent."""
    parts: dict[str, list[str]] = {}
    for row in vintages.itertuples():
        if row.relation == "same":
            continue
        if isinstance(row.relation, str):
            text = relation_text(row.relation, row.from_codes, bool(row.exact))
        else:
            text = "geen cijfers (indelingswijziging)"
        parts.setdefault(row.code, []).append(f"{row.source}: {text}")
    return pd.Series({code: "; ".join(texts) for code, texts in parts.items()}, dtype="object")


def quality_issue(row) -> str:
    """One data-quality row (see :func:`mgg_geo.areas.quality_table`) as a Dutch sentence."""
    if row.problem in ("converted", "estimated"):
        verb = "omgezet" if row.problem == "converted" else "geschat"
        return f"cijfers {verb}: {relation_text(row.relation, row.from_codes, row.problem == 'converted')}"
    if row.problem == "missing":
        return f"geen cijfers: {CAUSES.get(row.cause, 'geen betrouwbare koppeling')}"
    if row.problem == "unused":
        return f"cijfers van deze code niet gebruikt: {CAUSES.get(row.cause, 'geen betrouwbare koppeling')}"
    return f"de gebieden tellen niet op tot het CBS-totaal van de gemeente ({row.detail})"


#: Verdicts on a change between vintages (see :mod:`mgg_geo.trends`).
VERDICTS: dict[str, str] = {"up": "gestegen", "down": "gedaald", "none": "geen duidelijke verandering"}
#: Colours of those verdicts in charts (rise: orange, fall: blue, no clear change: grey).
VERDICT_COLOURS: dict[str, str] = {"up": "#b35806", "down": "#2166ac", "none": "#9a9a9a"}

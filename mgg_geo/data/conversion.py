"""Moving figures from one indeling onto another through a crosswalk (:mod:`mgg_geo.data.crosswalks`).

Counts are divided over the target areas and summed; rates (percentages,
averages) are weighted by the source areas' residents (or area) and inherited
by every target of a link group (:func:`rule_of` says which a concept is).
Exact links move figures unchanged. Where a merged municipality's area is
linked by nothing, it takes the merged municipality's rate
(:func:`fill_from_municipality`), marked as such; as a check, areas' residents
are compared with CBS's own municipality rows (:func:`check_totals`).
:func:`to_indeling` does it all for one table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mgg_geo.data import catalogue, regions
from mgg_geo.data.crosswalks import Crosswalk, unmatched_frame
from mgg_geo.data.vintages import crosswalk


def convert(frame: pd.DataFrame, crosswalk: Crosswalk, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move figures of ``crosswalk.source`` onto the codes of ``crosswalk.target``.

    Parameters
    ----------
    frame
        Figures indexed by source code (one level), with ``<column>__suppressed`` flags.
    columns
        Concept keys to convert; their :class:`~mgg_geo.data.catalogue.Concept`
        decides the rule: extensive (counts, ha) by ``count_weight``,
        categorical only through exact links, the rest by ``rate_weight``.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The figures indexed by target code (every linked target), and per
        target ``relation``, ``from_codes``, ``exact``, ``tier`` and
        ``evidence``. A target whose sources include a missing value is
        missing (suppressed when a source was suppressed): a part never stands
        for the whole.
    """
    links = crosswalk.links
    targets = pd.Index(sorted(set(links["to_code"])), name="code")
    sources_ = pd.Index(sorted(set(links["from_code"])))
    i = sources_.get_indexer(links["from_code"])
    j = targets.get_indexer(links["to_code"])
    shape = (len(sources_), len(targets))
    from scipy import sparse  # here, not on top: report kernels need no scipy
    weights = {
        "count": sparse.csr_matrix((links["count_weight"].to_numpy(), (i, j)), shape=shape),
        "rate": sparse.csr_matrix((links["rate_weight"].to_numpy(), (i, j)), shape=shape),
    }
    exact = links["exact"].to_numpy()
    weights["category"] = sparse.csr_matrix((np.ones(exact.sum()), (i[exact], j[exact])), shape=shape)
    touches = sparse.csr_matrix((np.ones(len(links)), (i, j)), shape=shape)
    aligned = frame.reindex(sources_)
    out = pd.DataFrame(index=targets)
    for column in columns:
        rule = rule_of(column)
        x = pd.to_numeric(aligned[column], errors="coerce").to_numpy(dtype="float64") if column in aligned \
            else np.full(len(sources_), np.nan)
        flag = aligned[f"{column}__suppressed"].fillna(False).to_numpy(dtype=bool) \
            if f"{column}__suppressed" in aligned else np.zeros(len(sources_), bool)
        w = weights[rule]
        value = w.T @ np.nan_to_num(x)
        missing = (touches.T @ np.isnan(x).astype("float64")) > 0
        if rule == "category":
            missing |= (weights["category"].T @ np.ones(len(sources_))) == 0
        value = np.where(missing, np.nan, value)
        out[column] = value
        out[f"{column}__suppressed"] = ((touches.T @ flag.astype("float64")) > 0) & np.isnan(value)
    return out, crosswalk.relation_of().reindex(targets)


def rule_of(column: str) -> str:
    """How a concept moves between areas: ``count`` (extensive), ``category`` (codes) or ``rate``."""
    concept = catalogue.CONCEPTS.get(column)
    return "category" if concept is not None and concept.categorical else \
        "count" if concept is not None and concept.extensive else "rate"


def check_totals(frame: pd.DataFrame, column: str | list[str] = "population", *, level: str = "wijk") -> pd.DataFrame:
    """Compare each municipality's ``level`` rows with its gemeente row (CBS rounds counts to 5).

    Parameters
    ----------
    frame
        A tidy table with ``code``, ``level``, ``gemeente_code`` and ``column``.
    column
        A count, or counts summed (a target group's age bands: each rounded on its own).

    Returns
    -------
    pandas.DataFrame
        Per municipality: ``gemeente`` (the gemeente row), ``areas`` (the sum
        over areas), ``n`` (areas), ``difference`` and ``ok``: within
        ``2.5 * n * k + 1`` for ``k`` counts summed (each area's count rounded to 5 persons).
    """
    columns = [column] if isinstance(column, str) else list(column)
    values = frame[columns].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(columns))
    gm = frame.loc[frame["level"] == "gemeente"].assign(v=values).drop_duplicates("code").set_index("code")["v"]
    parts = frame.loc[frame["level"] == level].assign(v=values).drop_duplicates("code").groupby("gemeente_code")["v"]
    out = pd.DataFrame({"gemeente": gm, "areas": parts.sum(min_count=1), "n": parts.size()}).dropna(subset=["gemeente"])
    out["n"] = out["n"].fillna(0).astype(int)
    out["difference"] = out["areas"] - out["gemeente"]
    out["ok"] = out["difference"].abs() <= rounding_margin(out["n"], len(columns))
    return out


def rounding_margin(n, counts: int = 1):
    """How far a sum over ``n`` areas of ``counts`` counts each may lie from CBS's own municipality figure (persons):
    CBS rounds every count of every area to 5, so each is off by 2,5 at most (plus 1 for the municipality's)."""
    return 2.5 * n * counts + 1


def fill_from_municipality(converted: pd.DataFrame, provenance: pd.DataFrame, municipal: pd.DataFrame,
                           targets: list[str], columns: list[str], *, source: int, target: int) -> tuple:
    """Give areas of a merged municipality the merged municipality's rates (the last resort; counts stay missing).

    When a municipality was formed by a merger after the source indeling and
    nothing links an area inside it, the finest checked correspondence is the
    municipality itself: the former municipalities together
    (:data:`mgg_geo.data.regions.MERGERS`, moved onto the merged one like any
    gemeente). Rates are inherited from that merged, population-weighted
    figure, relation ``average``; counts cannot be divided and stay missing.

    Parameters
    ----------
    municipal
        The source figures converted to the target indeling at gemeente level
        (index: GM code of the target indeling).
    targets
        The unmatched target codes.
    """
    extra, notes = [], {}
    for code in targets:
        gm = regions.municipality_of(code)
        olds = regions.predecessors(gm, source, target)
        if olds == [gm] or gm not in municipal.index:
            continue
        row = {}
        for column in columns:
            keep = rule_of(column) == "rate"
            row[column] = municipal.at[gm, column] if keep else np.nan
            flag = f"{column}__suppressed"
            row[flag] = bool(municipal.at[gm, flag]) if keep and flag in municipal else False
        extra.append(pd.Series(row, name=code))
        notes[code] = {"relation": "average", "from_codes": ", ".join(olds), "exact": False, "tier": "average",
                       "evidence": f"{gm} formed from {', '.join(olds)}: their average, weighted by residents"}
    if not extra:
        return converted, provenance
    converted = pd.concat([converted, pd.DataFrame(extra)])
    provenance = pd.concat([provenance, pd.DataFrame.from_dict(notes, orient="index")])
    return converted, provenance


# --------------------------------------------------------------------------- evidence at hand


def to_indeling(frame: pd.DataFrame, *, level: str, source: int, target: int, columns: list[str],
                offline: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, Crosswalk]:
    """Figures of one table at ``level`` moved from indeling ``source`` onto ``target``.

    Parameters
    ----------
    frame
        A tidy source table (``code``, ``level``, ``gemeente_code``, concept
        columns with ``__suppressed`` flags), e.g. one age group of a health table.
    columns
        Concept keys to move.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, Crosswalk)
        The figures per target code; per target code ``relation``,
        ``from_codes``, ``exact``, ``tier``, ``evidence`` and, for targets the
        crosswalk could not reach, ``reason`` and ``cause``; and the crosswalk used.
    """
    rows = frame[frame["level"] == level].drop_duplicates("code").set_index("code")
    cw = crosswalk(level, source, target, offline=offline, source_codes=rows.index)
    converted, provenance = convert(rows, cw, columns)
    lost = cw.unmatched[cw.unmatched["side"] == "to"].drop_duplicates("code")
    if level != "gemeente" and len(lost) and any(
            regions.predecessors(regions.municipality_of(c), source, target) != [regions.municipality_of(c)]
            for c in lost["code"]):
        municipal, _, _ = to_indeling(frame, level="gemeente", source=source, target=target, columns=columns,
                                      offline=offline)
        converted, provenance = fill_from_municipality(converted, provenance, municipal, list(lost["code"]), columns,
                                                       source=source, target=target)
    linked = set(cw.links["from_code"])
    dropped = [c for c in rows.index if c not in linked and c not in set(cw.unmatched["code"])]
    if dropped:
        extra = []
        for code in dropped:
            gm = regions.municipality_of(code) if regions.is_area_code(code) else ""
            merged = gm in regions.FORMER_MUNICIPALITIES
            extra.append({"code": code, "side": "from", "name": str(rows.at[code, "name"]) if "name" in rows else "",
                          "cause": "merged_municipality" if merged else "not_linked",
                          "reason": f"{gm} merged after {source}: only the municipality as a whole is used"
                          if merged else f"no {target} {level} links to it"})
        cw = Crosswalk(cw.level, cw.source, cw.target, cw.method, cw.links,
                       pd.concat([cw.unmatched, unmatched_frame(extra)], ignore_index=True), cw.source_names,
                       cw.target_names, cw.inputs)
    lost = lost.set_index("code")
    provenance = provenance.reindex(provenance.index.union(lost.index))
    for column in ("reason", "cause"):
        provenance[column] = lost[column].reindex(provenance.index)
        provenance.loc[provenance["relation"].notna(), column] = np.nan
    provenance.index.name = "code"
    return converted, provenance, cw

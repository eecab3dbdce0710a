"""Coverage gaps: need x coverage classes and the priority list (new sites: :mod:`mgg_geo.analysis.whatif`).

Bivariate classes
-----------------
**Need** (``need_index``) is cut into terciles among the *ranked* areas of
the analysis region: class 1 (laag), 2 (midden), 3 (hoog); equal values share
a class (:data:`mgg_geo.rules.NEED_QUANTILES`). **Coverage** is the fixed class
of the one coverage measure, the share of the target population within reach
(:data:`mgg_geo.rules.REACH_M`) of a physical site
(:func:`mgg_geo.analysis.coverage.coverage_class`: under 1/3 laag, under 2/3 midden,
else hoog), so the same colour means the same in every municipality. The 3x3
class ``gap_class`` is ``"<need>-<coverage>"``; :data:`mgg_geo.rules.TARGET_CLASS`
(``"3-1"``: hoge behoefte, lage dekking) is the target cell.

Ranked areas
------------
An area is ranked when it has a need index and at least ``min_population``
residents (default :data:`mgg_geo.rules.MIN_POPULATION`). Smaller areas stay on the maps but
get no class and no priority; ``unranked`` says why (``small`` or
``insufficient``).

Partial data
------------
An area with a need index but more than ``max_missing_share`` (default
:data:`mgg_geo.rules.MAX_MISSING_SHARE`, a quarter) of its need indicators missing has
``partial_data``: it keeps its index, class and priority, and every table,
tooltip and legend that shows it says "onvolledige gegevens".

``gap_score`` is a transparent additive benchmark in the HPSA style: the need
percentile among ranked areas (0-100) minus the coverage in percent (0-100);
higher means a larger gap.

Priority
--------
Within each municipality, among ranked areas: by need class (high first),
then coverage class (low first), then need index (high first).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mgg_geo import rules


def tercile_breaks(values: pd.Series) -> tuple[float, float] | None:
    """The :data:`mgg_geo.rules.NEED_QUANTILES` (1/3 and 2/3) of the present values (None when there are none)."""
    present = pd.to_numeric(values, errors="coerce").dropna()
    return None if present.empty else tuple(np.quantile(present, list(rules.NEED_QUANTILES)))


def terciles(values: pd.Series, breaks: tuple[float, float] | None = None) -> pd.Series:
    """Classes 1-3 by tercile breaks (default: of ``values``); ties share a class; NaN stays NaN."""
    x = pd.to_numeric(values, errors="coerce")
    breaks = breaks if breaks is not None else tercile_breaks(x)
    if breaks is None:
        return pd.Series(np.nan, index=values.index)
    lo, hi = breaks
    classes = np.where(x <= lo, 1, np.where(x <= hi, 2, 3)).astype("float64")
    return pd.Series(np.where(x.isna(), np.nan, classes), index=values.index)


def ranked(frame: pd.DataFrame, min_population: float | None = None) -> tuple[pd.Series, pd.Series]:
    """Which areas are ranked, and why the others are not (``small`` or ``insufficient``); ``min_population``
    (persons) defaults to :data:`mgg_geo.rules.MIN_POPULATION`."""
    min_population = rules.MIN_POPULATION if min_population is None else min_population
    population = pd.to_numeric(frame.get("population"), errors="coerce")
    small = ~(population >= min_population)
    insufficient = pd.to_numeric(frame["need_index"], errors="coerce").isna()
    reason = pd.Series(np.where(small, "small", np.where(insufficient, "insufficient", None)), index=frame.index,
                       dtype="string")
    return ~(small | insufficient), reason


def partial_data(frame: pd.DataFrame, max_missing_share: float | None = None) -> pd.Series:
    """True for areas with a need index but more than ``max_missing_share`` (0-1; default
    :data:`mgg_geo.rules.MAX_MISSING_SHARE`) of their need indicators missing."""
    max_missing_share = rules.MAX_MISSING_SHARE if max_missing_share is None else max_missing_share
    missing = 1.0 - pd.to_numeric(frame["share_present"], errors="coerce")
    has_index = pd.to_numeric(frame["need_index"], errors="coerce").notna()
    return (has_index & (missing > max_missing_share + 1e-12)).astype(bool)


def classify(need: pd.Series, coverage_class: pd.Series, reach: pd.Series, is_ranked: pd.Series, *,
             groups: pd.Series | None = None) -> pd.DataFrame:
    """Need class, bivariate class and the additive gap score of the ranked areas (see the module docstring).

    Need terciles are taken over all ranked areas, or within each group of ``groups`` (e.g. the
    municipality code) when given.
    """
    ranked_need = need.where(is_ranked)
    out = pd.DataFrame(index=need.index)
    if groups is None:
        out["need_class"] = terciles(ranked_need)
    else:
        out["need_class"] = pd.concat([terciles(part) for _, part in ranked_need.groupby(groups)]
                                      ).reindex(need.index)
    both = out["need_class"].notna() & coverage_class.notna()
    out["gap_class"] = np.where(both, out["need_class"].fillna(0).astype(int).astype(str) + "-"
                                + coverage_class.fillna(0).astype(int).astype(str), "")
    need_pct = ranked_need.rank(pct=True) * 100
    out["gap_score"] = (need_pct - 100 * pd.to_numeric(reach, errors="coerce")).where(both)
    return out


def class_span(frame: pd.DataFrame, *, groups: pd.Series | None = None) -> pd.DataFrame:
    """The need classes an area's rank interval (``rank_p05``-``rank_p95``, from the need draws) reaches:
    ``need_class_high`` at its best rank, ``need_class_low`` at its worst. Where they differ from ``need_class`` the
    interval crosses a border between classes, and the class (and so the place in the priorities) could fall the
    other way.

    A rank's class is the class of the ranked areas up to that rank (in the province: 3 up to rank 40 of 120, 2 up
    to 80): in every draw the class follows the rank, so the interval's ends give the classes it reaches. With
    classes per municipality (``groups``: the municipality per area) the ranks are those within the municipality
    in the draws (``group_rank_p05``, ``group_rank_p95`` of :func:`mgg_geo.analysis.need.rank_interval`) against
    its own classes (review: the province's ranks flagged 44 of 120 areas wrongly, and before that none was).
    """
    out = pd.DataFrame({"need_class_high": frame["need_class"], "need_class_low": frame["need_class"]},
                       index=frame.index)
    best, worst = ("group_rank_p05", "group_rank_p95") if groups is not None else ("rank_p05", "rank_p95")
    if best not in frame:
        return out
    ranked = frame[frame["need_class"].notna() & frame["need_rank"].notna() & frame[best].notna()]
    if ranked.empty:
        return out
    by = groups.reindex(ranked.index) if groups is not None else pd.Series("", index=ranked.index)
    for _, part in ranked.groupby(by, sort=False):
        rank = part["need_index"].rank(ascending=False, method="min") if groups is not None else part["need_rank"]
        last = rank.groupby(part["need_class"]).max().sort_index(ascending=False)  # class 3 first

        def at(r: float, last=last) -> float:
            return next((c for c, top in last.items() if r <= top), last.index[-1])

        out.loc[part.index, "need_class_high"] = [at(r) for r in part[best]]
        out.loc[part.index, "need_class_low"] = [at(r) for r in part[worst]]
    return out


def priority(frame: pd.DataFrame, *, by: str = "gemeente_code") -> pd.Series:
    """Priority within each municipality among ranked areas (1 = first); NaN for unranked areas."""
    ok = frame["gap_class"] != ""
    key = pd.DataFrame({
        "g": frame[by],
        "n": -frame["need_class"],
        "c": frame["coverage_class"],
        "i": -frame["need_index"],
    }, index=frame.index)[ok]
    ordered = key.sort_values(["g", "n", "c", "i"], kind="stable")
    ranks = ordered.groupby("g").cumcount() + 1
    return ranks.reindex(frame.index).astype("float64")

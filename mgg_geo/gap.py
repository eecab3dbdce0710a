"""Coverage gaps: need x coverage classes, the priority list, and where new sites help most.

Bivariate classes
-----------------
Need (``need_index``) and coverage (``access_norm`` by default) are each cut
into terciles *within the analysis region*: class 1 (laag), 2 (midden),
3 (hoog). Tercile breaks are the 1/3 and 2/3 quantiles of the present
values, and equal values always share a class (so when many areas have no
initiative within 5 km, all of them are "laag" coverage). The 3x3 class
``gap_class`` is ``"<need>-<coverage>"``; ``"3-1"`` (hoge behoefte, lage
dekking) is the target cell. Areas without a need index stay unclassified.

``gap_score`` is a transparent additive benchmark in the HPSA style: the need
percentile minus the coverage percentile (both 0-100); higher means a larger gap.

Priority
--------
Within each municipality: by need class (high first), then coverage class
(low first), then need index (high first). Areas without a need index come last.

What-if
-------
:func:`what_if` chooses ``k`` new sites greedily among candidate points (by
default the representative points of the areas) to maximise the
need-weighted target population newly within ``distance`` of a site. The
weight of an area is its need percentile (0-1; 0 without a need index).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from . import coverage as cov
from . import settings
from .errors import DataError

NEED_LABELS = {1: "lage behoefte", 2: "middelmatige behoefte", 3: "hoge behoefte"}
COVERAGE_LABELS = {1: "lage dekking", 2: "middelmatige dekking", 3: "hoge dekking"}
TARGET_CLASS = "3-1"


def tercile_breaks(values: pd.Series) -> tuple[float, float] | None:
    """The 1/3 and 2/3 quantiles of the present values (None when there are none)."""
    present = pd.to_numeric(values, errors="coerce").dropna()
    return None if present.empty else tuple(np.quantile(present, [1 / 3, 2 / 3]))


def terciles(values: pd.Series, breaks: tuple[float, float] | None = None) -> pd.Series:
    """Classes 1-3 by tercile breaks (default: of ``values``); ties share a class; NaN stays NaN."""
    x = pd.to_numeric(values, errors="coerce")
    breaks = breaks if breaks is not None else tercile_breaks(x)
    if breaks is None:
        return pd.Series(np.nan, index=values.index)
    lo, hi = breaks
    classes = np.where(x <= lo, 1, np.where(x <= hi, 2, 3)).astype("float64")
    return pd.Series(np.where(x.isna(), np.nan, classes), index=values.index)


def gap_label(need_class: float, coverage_class: float) -> str:
    if np.isnan(need_class) or np.isnan(coverage_class):
        return "geen klasse (onvoldoende gegevens)"
    label = f"{NEED_LABELS[int(need_class)]}, {COVERAGE_LABELS[int(coverage_class)]}"
    return label[0].upper() + label[1:]


def classify(need: pd.Series, coverage: pd.Series, coverage_breaks: tuple[float, float] | None = None) -> pd.DataFrame:
    """Need class, coverage class, bivariate class and label, and the additive gap score."""
    need_class = terciles(need)
    coverage_class = terciles(coverage, coverage_breaks)
    out = pd.DataFrame(index=need.index)
    out["need_class"] = need_class
    out["coverage_class"] = coverage_class.where(need_class.notna())
    both = out["need_class"].notna() & out["coverage_class"].notna()
    out["gap_class"] = np.where(both, out["need_class"].fillna(0).astype(int).astype(str) + "-"
                                + out["coverage_class"].fillna(0).astype(int).astype(str), "")
    out["gap_label"] = [gap_label(n, c) for n, c in zip(out["need_class"], out["coverage_class"])]
    need_pct = need.rank(pct=True) * 100
    cov_pct = pd.to_numeric(coverage, errors="coerce").rank(pct=True) * 100
    out["gap_score"] = (need_pct - cov_pct).where(both)
    return out


def priority(frame: pd.DataFrame, *, by: str = "gemeente_code") -> pd.Series:
    """Priority within each municipality (1 = first): high need, low coverage, high need index."""
    key = pd.DataFrame({
        "g": frame[by],
        "n": -frame["need_class"].fillna(-1),
        "c": frame["coverage_class"].fillna(9),
        "i": -frame["need_index"].fillna(-np.inf),
    }, index=frame.index)
    ordered = key.sort_values(["g", "n", "c", "i"], kind="stable")
    ranks = ordered.groupby("g").cumcount() + 1
    return ranks.reindex(frame.index)


# --------------------------------------------------------------------------- what-if


@dataclass
class WhatIf:
    """Result of :func:`what_if`.

    Attributes
    ----------
    chosen
        GeoDataFrame (EPSG:28992) of the chosen places in order: ``step``,
        ``code``, ``name``, ``gemeente_code``, ``new_population`` (target
        population newly within reach), ``new_weighted`` (need-weighted).
    before, after
        Figures before and after adding the sites: target population within
        ``distance``, its share, and the number of areas in the target cell.
    """

    chosen: gpd.GeoDataFrame
    before: dict
    after: dict
    distance_m: float


def what_if(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, k: int = 3, distance_m: float = 3000.0,
            candidates: gpd.GeoDataFrame | None = None, scope=None, demand=cov.DEMAND,
            offer_areas=None) -> WhatIf:
    """Greedy choice of ``k`` new sites (see the module docstring).

    Parameters
    ----------
    areas
        Areas with ``need_index`` (and, if present, ``need_class``) and the demand
        columns (EPSG:28992): the whole region, so coverage is computed as in the analysis.
    sites
        Existing active initiatives (EPSG:28992).
    candidates
        Candidate points with ``code`` and ``name``; default: the representative
        points of the areas in ``scope``.
    scope
        Boolean mask over ``areas`` (e.g. one municipality): only these areas count
        for the gain and the before/after figures. Default: all.
    """
    if k < 1:
        raise DataError("k must be at least 1.")
    area_xy = cov.representative_points(areas)
    in_scope = np.ones(len(areas), bool) if scope is None else np.asarray(scope, dtype=bool)
    pop = cov.target_population(areas, demand).to_numpy()
    weight = np.nan_to_num(pd.to_numeric(areas["need_index"], errors="coerce").rank(pct=True).to_numpy())
    need_class = areas["need_class"] if "need_class" in areas else terciles(areas["need_index"])
    before = cov.coverage(areas, sites, demand=demand, offer_areas=offer_areas)
    covered = np.nan_to_num(before["nearest_km"].to_numpy(), nan=np.inf) * 1000.0 <= distance_m
    if candidates is None:
        pts = area_xy[in_scope]
        candidates = gpd.GeoDataFrame({"code": areas.index[in_scope], "name": areas["name"].to_numpy()[in_scope],
                                       "gemeente_code": areas["gemeente_code"].to_numpy()[in_scope]},
                                      geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=settings.CRS_ANALYSIS)
    cand_xy = np.column_stack([candidates.geometry.x.to_numpy(), candidates.geometry.y.to_numpy()])
    reach = cKDTree(cand_xy).sparse_distance_matrix(cKDTree(area_xy), distance_m, output_type="coo_matrix")
    # explicit zero distances count as in reach
    reach = sparse.csr_matrix((np.ones(len(reach.data)), (reach.row, reach.col)), shape=(len(cand_xy), len(area_xy)))
    value = pop * weight * in_scope
    steps = []
    now = covered.copy()
    for step in range(1, k + 1):
        gain_w = reach @ ((~now) * value)
        if gain_w.max(initial=0) <= 0:
            break
        best = int(np.argmax(gain_w))
        newly = (reach[best].toarray().ravel() > 0) & ~now
        steps.append({"step": step, "candidate": best, "new_population": float(pop[newly & in_scope].sum()),
                      "new_weighted": float(gain_w[best]), "areas_reached": int((newly & in_scope).sum())})
        now |= newly
    chosen = candidates.iloc[[s["candidate"] for s in steps]].copy()
    for col in ("step", "new_population", "new_weighted", "areas_reached"):
        chosen[col] = [s[col] for s in steps]
    chosen = chosen.reset_index(drop=True)
    breaks = tercile_breaks(before["access"])

    def figures(reached: np.ndarray, access: pd.Series) -> dict:
        coverage_class = terciles(access, breaks)  # the 'before' breaks, for a fair comparison
        target = (need_class == 3) & (coverage_class == 1)
        total = pop[in_scope].sum()
        return {"population_within": float(pop[reached & in_scope].sum()),
                "share_within": float(pop[reached & in_scope].sum() / total) if total else np.nan,
                "areas_high_need_low_coverage": int(target[in_scope].sum())}

    new_sites = gpd.GeoDataFrame({"name": chosen.get("name"), "programme": "nieuw", "capacity": 1.0,
                                  "area_wide": False, "active": True}, geometry=chosen.geometry.values,
                                 crs=settings.CRS_ANALYSIS)
    extended = pd.concat([sites, new_sites], ignore_index=True) if len(sites) else new_sites
    after = cov.coverage(areas, extended, demand=demand, offer_areas=offer_areas)
    return WhatIf(chosen=chosen, before=figures(covered, before["access"]), after=figures(now, after["access"]),
                  distance_m=distance_m)

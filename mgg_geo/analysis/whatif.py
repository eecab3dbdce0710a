"""Where new sites help most: a greedy what-if within one municipality.

:func:`what_if` places ``k`` new sites greedily within one municipality, each
at the population-weighted point (a buurt) that brings the most
need-weighted target population newly within reach (3 km, the coverage
measure's reach). Partial reach counts: a wijk gains reach buurt by buurt.
The weight of a point is its target population times its area's need
percentile (0-1; 0 for unranked areas).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from mgg_geo import settings
from mgg_geo.analysis import coverage as cov
from mgg_geo.errors import ParameterError


@dataclass
class WhatIf:
    """Result of :func:`what_if` for one municipality.

    Attributes
    ----------
    sites
        GeoDataFrame (EPSG:28992) of the new sites in order: ``step``,
        ``code`` and ``name`` of the buurt (or area) it stands in, ``area``
        and ``area_name`` of the area, ``new_population`` (target population
        newly within reach), ``areas_reached`` (areas whose reach grows).
    areas
        Per area of the municipality: ``reach_before``, ``reach_after``,
        ``class_before``, ``class_after``.
    before, after
        Target population within reach, its share, and the number of areas in
        the target cell (hoge behoefte, lage dekking).
    reason
        Why fewer than ``k`` sites were placed (``covered``, ``no_ranked``,
        ``no_population``), or None.
    """

    sites: gpd.GeoDataFrame
    areas: pd.DataFrame
    before: dict
    after: dict
    reason: str | None
    reach_m: float


def what_if(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, scope, points: cov.Points | None = None,
            k: int = 3, reach_m: float = cov.REACH_M, demand=cov.DEMAND) -> WhatIf:
    """Greedy choice of ``k`` new sites within ``scope`` (see the module docstring).

    Parameters
    ----------
    areas
        The region's areas (EPSG:28992) with ``need_index``, ``need_class``,
        ``gap_class``, ``coverage_class`` and the demand columns; sites across
        the municipal border count for coverage.
    sites
        Existing selected initiatives; only physical sites give reach.
    scope
        Boolean mask over ``areas``: the municipality. Only its points are
        candidates and only its target population counts.
    points
        Population-weighted points (default: one per area).
    """
    if k < 1:
        raise ParameterError("k: the number of new sites must be at least 1.")
    pts = points if points is not None else cov.population_points(areas)
    idx = areas.index.get_indexer(pts.area)
    in_scope_area = np.asarray(scope, dtype=bool)
    in_scope = in_scope_area[idx]
    pop = pts.share * cov.target_population(areas, demand).to_numpy()[idx]
    is_ranked = (areas["gap_class"] != "").to_numpy()
    need_pct = pd.to_numeric(areas["need_index"], errors="coerce").where(is_ranked).rank(pct=True).fillna(0.0)
    value = pop * need_pct.to_numpy()[idx] * in_scope
    physical = sites[~cov.is_area_wide(sites)]
    covered = cov.point_distances(pts.xy, physical) <= reach_m
    cand = np.flatnonzero(in_scope)
    reach = cKDTree(pts.xy[cand]).sparse_distance_matrix(cKDTree(pts.xy), reach_m, output_type="coo_matrix")
    reach = sparse.csr_matrix((np.ones(len(reach.data)), (reach.row, reach.col)), shape=(len(cand), len(pts.xy)))
    reach = reach + sparse.csr_matrix((np.ones(len(cand)), (np.arange(len(cand)), cand)), shape=reach.shape)
    reach.data[:] = 1.0  # a candidate reaches its own point
    steps, now, reason = [], covered.copy(), None
    for step in range(1, k + 1):
        gain = reach @ ((~now) * value)
        if len(gain) == 0 or gain.max(initial=0) <= 0:
            if not (in_scope & is_ranked[idx]).any():
                reason = "no_ranked"
            elif ((~now) & in_scope & (pop > 0) & is_ranked[idx]).any():
                reason = "no_population"
            else:
                reason = "covered"
            break
        best = int(np.argmax(gain))
        newly = (reach[best].toarray().ravel() > 0) & ~now
        p = cand[best]
        steps.append({"step": step, "code": pts.code[p], "name": pts.name[p], "area": pts.area[p],
                      "new_population": float(pop[newly & in_scope].sum()),
                      "areas_reached": int(len(set(pts.area[newly & in_scope]))), "x": pts.xy[p, 0],
                      "y": pts.xy[p, 1]})
        now |= newly
    chosen = gpd.GeoDataFrame(pd.DataFrame(steps, columns=["step", "code", "name", "area", "new_population",
                                                           "areas_reached", "x", "y"]),
                              geometry=gpd.points_from_xy([s["x"] for s in steps], [s["y"] for s in steps]),
                              crs=settings.CRS_ANALYSIS).drop(columns=["x", "y"])
    chosen["area_name"] = chosen["area"].map(areas["name"])

    def per_area(flags: np.ndarray) -> pd.Series:
        return pd.Series(np.bincount(idx, weights=pts.share * flags, minlength=len(areas)), index=areas.index)

    result = pd.DataFrame({"reach_before": per_area(covered.astype(float)), "reach_after": per_area(now.astype(float))})
    result["class_before"] = cov.coverage_class(result["reach_before"])
    result["class_after"] = cov.coverage_class(result["reach_after"])
    result = result[in_scope_area]
    need_class = areas.loc[result.index, "need_class"]

    def figures(flags: np.ndarray, classes: pd.Series) -> dict:
        total = pop[in_scope].sum()
        within = float(pop[flags & in_scope].sum())
        return {"population_within": within, "share_within": within / total if total else np.nan,
                "areas_high_need_low_coverage": int(((need_class == 3) & (classes == 1)).sum())}

    return WhatIf(chosen, result, figures(covered, result["class_before"]), figures(now, result["class_after"]),
                  reason, reach_m)

"""Where new sites help most: a greedy what-if within one municipality.

Objective
---------
:func:`what_if` places ``k`` new sites one at a time within one
municipality, each at the population-weighted point (a buurt) that brings
the most **need-weighted target population** newly within reach (the
coverage measure's reach, :data:`mgg_geo.rules.REACH_M`). Every person of the target group counts with the
weight of the need class of the area they live in
(:data:`mgg_geo.rules.NEED_WEIGHTS`): a young person in a high-need area counts 1, in a
middle-need area 1/5 and in a low-need area 1/25; areas without a need class
(too small, or too few figures) count 0. So a site that reaches high-need
areas wins unless another reaches at least five times as many young people
in middle-need areas; once every high-need area is reached, the middle-need
areas lead. Partial reach counts: a wijk gains reach buurt by buurt.

``objective="people"`` is the plain alternative: every person of the target
group counts 1, whatever the need. Reports show both side by side.

Each step records what it gains: the target population newly within reach
(in all areas, in high-need areas, need-weighted), the areas it reaches
(:attr:`WhatIf.gains`), and, when it gains nobody in high-need areas,
whether any candidate could have (``best_high_need``): that tells a report
whether high-need areas were all reached already or were outweighed.

Candidates are the municipality's population points (buurten) by default.
Given :class:`Candidates` (e.g. the schools where a school-based programme
could start, :mod:`mgg_geo.analysis.nextschool`), each step chooses among
those instead, with the same objective.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import rules, settings
from mgg_geo.analysis import coverage as cov
from mgg_geo.analysis import gap
from mgg_geo.errors import ParameterError

#: The objectives of :func:`what_if`: need-weighted target population, or plain target population.
OBJECTIVES = ("need", "people")
#: Columns of :attr:`WhatIf.sites` besides the geometry.
STEP_COLUMNS = ["step", "code", "name", "area", "new_population", "new_high_need", "new_weighted", "value",
                "areas_reached", "high_need_left", "best_high_need", "best_high_need_value", "best_high_need_code",
                "best_high_need_name", "best_high_need_area", "equal_names", "equal_by", "across_border",
                "across_border_in", "across_border_areas", "new_also", "also_places"]
#: What put a step's place before another that brings as much (``equal_by`` of a step, per name of
#: ``equal_names``), in the order :func:`what_if` tries them; "order": equal on all three, the choice is arbitrary.
TIE_RULES = ("served", "border", "lies", "order")
#: Two candidates whose gains differ by less than this share of the best are equally good (``equal_names``).
EQUAL_GAIN = 1e-9


@dataclass(frozen=True)
class Candidates:
    """Places a new site may go instead of the population points (e.g. schools).

    Attributes
    ----------
    xy
        (n, 2) coordinates in EPSG:28992 (m).
    code, name
        What each candidate is called in the result (``code`` and ``name`` of a step).
    area
        The area each candidate lies in (None outside the areas).
    """

    xy: np.ndarray
    code: np.ndarray
    name: np.ndarray
    area: np.ndarray


@dataclass
class WhatIf:
    """Result of :func:`what_if` for one municipality.

    Attributes
    ----------
    sites
        GeoDataFrame (EPSG:28992) of the new sites in order: ``step``,
        ``code`` and ``name`` of the buurt (or area) it stands in, ``area``
        and ``area_name`` of the area; what it gains: ``new_population``
        (target population newly within reach), ``new_high_need`` (of whom in
        high-need areas), ``new_weighted`` (need-weighted), ``value`` (what the
        objective counts: ``new_weighted`` or ``new_population``),
        ``areas_reached`` (areas whose reach grows); before the step,
        ``high_need_left`` (target population in high-need areas still out of
        reach) and the most of them any candidate could reach,
        ``best_high_need``, with that candidate's ``best_high_need_value`` and
        place (``best_high_need_code``, ``_name``, ``_area``); ``equal_names`` (the other places that bring as
        much) and ``equal_by``, per name what put this one before it (:data:`TIE_RULES`: whom it serves, what it
        brings over the border, where it lies, or only the order; "; "-joined), and over the municipal border,
        not counted: ``across_border`` (target population newly within reach there), ``across_border_in`` (those
        municipalities' codes, "; "-joined) and
        ``across_border_areas`` (per area, most first: "WK076501=395.000; ..."). Between places that
        bring as much, the one that reaches someone in the area first in priority wins (whom a place serves),
        then the one that brings the most over the border (weighted as the objective counts), then the one
        lying in the area first in priority, then the first in order.
    gains
        Per step and area reached: ``step``, ``area``, ``gained`` (target
        population newly within reach) and ``need_class``.
    areas
        Per area of the municipality: ``reach_before``, ``reach_after``,
        ``class_before``, ``class_after``.
    before, after
        Target population within reach and its share, of whom in high-need
        areas (``high_need_within``, out of ``high_need_total``) and in
        middle-need areas (``middle_need_within``, ``middle_need_total``), and the number
        of areas in the target cell (hoge behoefte, lage dekking).
    reason
        Why fewer than ``k`` sites were placed, or None: ``covered`` (everyone
        counted lives within reach), ``no_ranked``, ``no_population``; with
        :class:`Candidates` also ``no_candidates`` (none given), ``all_chosen``
        (every candidate chosen) and ``no_gain`` (people remain out of reach,
        but no candidate reaches them).
    objective
        ``need`` or ``people`` (:data:`OBJECTIVES`).
    """

    sites: gpd.GeoDataFrame
    gains: pd.DataFrame
    areas: pd.DataFrame
    before: dict
    after: dict
    reason: str | None
    reach_m: float
    objective: str = "need"


def need_weights(areas: pd.DataFrame) -> pd.Series:
    """The weight of one person of the target group per area: :data:`mgg_geo.rules.NEED_WEIGHTS` by ``need_class``
    (0 for areas without a class)."""
    classes = np.trunc(pd.to_numeric(areas["need_class"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    weights = np.zeros(len(classes))
    for cls, weight in rules.NEED_WEIGHTS.items():
        weights[classes == cls] = weight
    return pd.Series(weights, index=areas.index, dtype="float64", name="need_class")


def _tie_rank(areas: pd.DataFrame, codes) -> np.ndarray:
    """Per area code of ``codes`` (the area a candidate lies in, or of a population point), its priority
    (``priority``: 1 first; unranked, unknown or without priorities: last), to break ties between candidates that
    bring as much."""
    if "priority" not in areas:
        return np.full(len(codes), np.inf)
    priority = pd.to_numeric(areas["priority"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    at = areas.index.get_indexer(pd.Index(list(codes), dtype=object))
    rank = np.where(at >= 0, priority[at], np.nan)
    return np.where(np.isnan(rank), np.inf, rank)


def _served_rank(reach, rows: np.ndarray, gaining: np.ndarray, point_rank: np.ndarray) -> np.ndarray:
    """Per candidate of ``rows``, the best priority (:func:`_tie_rank` of the points' areas) among the population
    points it would newly bring within reach with a gain (``gaining``): whom the place serves, not where it lies
    (Veendam's third step lay in Veendam-kern, priority 1, and reached only Veendam-buitengebied, priority 3)."""
    out = np.full(len(rows), np.inf)
    for i, row in enumerate(rows):
        cols = reach.indices[reach.indptr[row]:reach.indptr[row + 1]]
        cols = cols[gaining[cols]]
        if len(cols):
            out[i] = point_rank[cols].min()
    return out


def what_if(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, scope, points: cov.Points | None = None,
            k: int = rules.NEW_SITES, reach_m: float | None = None, demand=cov.DEMAND, objective: str = "need",
            candidates: Candidates | None = None, also: np.ndarray | None = None) -> WhatIf:
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
    k, reach_m
        New sites to place, and the reach (m) a site gives (default :data:`mgg_geo.rules.REACH_M`).
    objective
        ``need`` (default: need-weighted target population) or ``people``.
    candidates
        Where a new site may go (default: the population points of ``scope``;
        a population point also reaches itself).
    also
        Places that do not count (x, y in EPSG:28992, metres; the initiatives without an age range): per step
        ``new_also``, the target population it brings that lives within the reach of one of them too, and
        ``also_places``, which (their positions in ``also``, "; "-joined; review: Midden-Groningen's step 2 brings
        young people who live by Veendam's Break! too, unsaid).
    """
    if k < 1:
        raise ParameterError("k: the number of new sites must be at least 1.")
    if objective not in OBJECTIVES:
        raise ParameterError(f"objective: {objective!r} is not one of {', '.join(OBJECTIVES)}.")
    reach_m = rules.REACH_M if reach_m is None else reach_m
    pts = points if points is not None else cov.population_points(areas)
    idx = areas.index.get_indexer(pts.area)
    in_scope_area = np.asarray(scope, dtype=bool)
    in_scope = in_scope_area[idx]
    everyone = pts.share * cov.target_population(areas, demand).to_numpy()[idx]
    pop = everyone * in_scope
    need_class = pd.to_numeric(areas["need_class"], errors="coerce").to_numpy()
    is_ranked = (areas["gap_class"] != "").to_numpy()
    high, middle = (need_class == 3)[idx], (need_class == 2)[idx]
    weight = need_weights(areas).to_numpy()[idx]  # per point, the need weight of its area
    weighted = pop * weight
    value = weighted if objective == "need" else pop
    # over the border: not counted, but between places that bring as much, the one that brings more there wins
    outside = everyone * ~in_scope
    value_outside = outside * weight if objective == "need" else outside
    municipality = areas["gemeente_code"].to_numpy(dtype=object)[idx] if "gemeente_code" in areas \
        else np.full(len(idx), None, dtype=object)
    covered = cov.nearest_distances(pts.xy, cov.site_xy(sites)[~cov.is_area_wide(sites)]) <= reach_m
    if candidates is None:
        cand = np.flatnonzero(in_scope)
        c_xy, c_code, c_name, c_area = pts.xy[cand], pts.code[cand], pts.name[cand], pts.area[cand]
    else:
        c_xy = np.asarray(candidates.xy, dtype=float).reshape(-1, 2)
        c_code, c_name, c_area = (np.asarray(v, dtype=object) for v in (candidates.code, candidates.name,
                                                                          candidates.area))
    from scipy import sparse  # here, not on top: report kernels need no scipy
    from scipy.spatial import cKDTree

    reach = cKDTree(c_xy).sparse_distance_matrix(cKDTree(pts.xy), reach_m, output_type="coo_matrix")
    reach = sparse.csr_matrix((np.ones(len(reach.data)), (reach.row, reach.col)), shape=(len(c_xy), len(pts.xy)))
    if candidates is None:
        reach = reach + sparse.csr_matrix((np.ones(len(cand)), (np.arange(len(cand)), cand)), shape=reach.shape)
    reach.data[:] = 1.0  # a population point reaches itself
    tie_rank, point_rank = _tie_rank(areas, c_area), _tie_rank(areas, pts.area)
    also_reach = cov.within_reach(np.empty((0, 2)) if also is None else also, pts.xy, reach_m)
    near_also = also_reach.any(axis=0)
    steps, gains, now, reason = [], [], covered.copy(), None
    for step in range(1, k + 1):
        gain = reach @ ((~now) * value)
        if len(gain) == 0 or gain.max(initial=0) <= 0:
            reason = "no_candidates" if len(c_xy) == 0 else _reason(objective, in_scope, is_ranked[idx], now, pop)
            if candidates is not None and reason == "covered" and \
                    ((in_scope & is_ranked[idx] if objective == "need" else in_scope) & ~now & (pop > 0)).any():
                reason = "all_chosen" if len(steps) == len(c_xy) else "no_gain"  # people left, out of every reach
            break
        best = int(np.argmax(gain))
        # the candidates that bring as much: the one reaching someone in the area first in priority first (whom
        # it serves), then the one that brings the most over the border, weighted as the objective counts (not
        # counted, but not nothing: Stadskanaal Noord also reaches 395 in Pekela's high-need Boven-Pekela,
        # Landskant 290 in Veendam's middle-need Bareveld, 58 weighted), then the one lying in the area first in
        # priority (Groningen's third step went to Grunobuurt in fully covered Oud-Zuid while places of
        # Zuidwest, which it served, brought as much), then in order; only the areas of the analysis (the
        # province) are seen over the border
        equal = np.flatnonzero(np.abs(gain - gain[best]) <= EQUAL_GAIN * gain[best])
        served = _served_rank(reach, equal, ~now & (value > 0), point_rank)
        beyond = reach[equal] @ ((~now) * value_outside)
        beyond = np.where(beyond > EQUAL_GAIN * max(gain[best], 1.0), beyond, 0.0)
        order = np.lexsort((equal, tie_rank[equal], -beyond, served))
        keys = np.column_stack([served, -beyond, tie_rank[equal]])[order]
        by = [next((rule for rule, a, b in zip(TIE_RULES, keys[0], key, strict=False) if a != b), "order")
              for key in keys]  # per place, what put the chosen one before it
        equal = equal[order]
        best = int(equal[0])
        high_gain = reach @ ((~now) * pop * high)
        top = int(np.argmax(high_gain))
        newly = (reach[best].toarray().ravel() > 0) & ~now
        p, q = best, top
        others = {}  # per other name (a name once: several points of a buurt), what put the chosen one before it
        for e, rule in zip(equal, by, strict=True):
            if e != best and c_name[e] != c_name[p]:
                others.setdefault(str(c_name[e]), rule)
        steps.append({"step": step, "code": c_code[p], "name": c_name[p], "area": c_area[p],
                      "new_population": float(pop[newly].sum()), "new_high_need": float((pop * high)[newly].sum()),
                      "new_weighted": float(weighted[newly].sum()), "value": float(gain[best]),
                      "areas_reached": int(len(set(pts.area[newly & (pop > 0)]))),
                      "high_need_left": float((pop * high)[~now].sum()), "best_high_need": float(high_gain[top]),
                      "best_high_need_value": float(gain[top]) if high_gain[top] > 0 else np.nan,
                      "best_high_need_code": c_code[q] if high_gain[top] > 0 else None,
                      "best_high_need_name": c_name[q] if high_gain[top] > 0 else None,
                      "best_high_need_area": c_area[q] if high_gain[top] > 0 else None,
                      "equal_names": "; ".join(others), "equal_by": "; ".join(others.values()),
                      "across_border": float(outside[newly].sum()),
                      "across_border_in": "; ".join(sorted({str(m) for m in municipality[newly & (outside > 0)]
                                                            if m is not None})),
                      "across_border_areas": _per_area(outside, newly, pts.area),
                      "new_also": float(pop[newly & near_also].sum()) if also is not None else np.nan,
                      "also_places": "; ".join(str(j) for j in np.flatnonzero(
                          also_reach[:, newly & (pop > 0)].any(axis=1))),
                      "x": c_xy[p, 0], "y": c_xy[p, 1]})
        gains += [{"step": step, "area": a, "gained": float(v), "need_class": need_class[areas.index.get_loc(a)]}
                  for a, v in _sum_per_area(pop, newly, pts.area).sort_values(ascending=False).items() if v > 0]
        now |= newly
    chosen = pd.DataFrame([[s[c] for c in STEP_COLUMNS] for s in steps], columns=STEP_COLUMNS)
    chosen["geometry"] = gpd.points_from_xy([s["x"] for s in steps], [s["y"] for s in steps], crs=settings.CRS_ANALYSIS)
    chosen = gpd.GeoDataFrame(chosen, geometry="geometry")
    chosen["area_name"] = chosen["area"].map(areas["name"])
    gained = pd.DataFrame(gains, columns=["step", "area", "gained", "need_class"])

    def per_area(flags: np.ndarray) -> np.ndarray:
        return np.bincount(idx, weights=pts.share * flags, minlength=len(areas))[in_scope_area]

    before, after = per_area(covered.astype(float)), per_area(now.astype(float))
    result = pd.DataFrame({"reach_before": before, "reach_after": after, "class_before": cov.coverage_classes(before),
                           "class_after": cov.coverage_classes(after)}, index=areas.index[in_scope_area])
    classes = areas["need_class"].to_numpy()[in_scope_area]

    def figures(flags: np.ndarray, coverage_classes: np.ndarray) -> dict:
        total = pop.sum()
        within = float(pop[flags].sum())
        return {"population_within": within, "share_within": within / total if total else np.nan,
                "high_need_within": float((pop * high)[flags].sum()), "high_need_total": float((pop * high).sum()),
                "middle_need_within": float((pop * middle)[flags].sum()),
                "middle_need_total": float((pop * middle).sum()),
                "areas_high_need_low_coverage": int(((classes == 3) & (coverage_classes == 1)).sum())}

    return WhatIf(chosen, gained, result, figures(covered, result["class_before"].to_numpy()),
                  figures(now, result["class_after"].to_numpy()), reason, reach_m, objective)


def first_if_counted(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, extra: pd.DataFrame, *, scope,
                     outcome: WhatIf, points: cov.Points, demand=cov.DEMAND,
                     candidates: Candidates | None = None, prefix: str = "uncounted",
                     require: np.ndarray | None = None) -> dict:
    """Where the first step of ``outcome`` (a :func:`what_if` within ``scope``) would go if the places of ``extra``
    that could change it counted as sites, as if they reached the whole target group: the initiatives left out for
    want of an age range (:func:`mgg_geo.analysis.chain.excluded_sites`: ``name``, ``point_x``, ``point_y``
    (EPSG:28992, m) and ``adds_reach``), with the coverage and priorities that counting them gives. Those that could
    change it: within twice the reach of the first step's place (one farther reaches none of the people it reaches),
    then within twice the reach of where it would go instead, until none is added, and bringing someone within
    reach if counted. ``candidates`` as the outcome had them (schools). Veendam's first
    site, by Jongerencentrum Break!, would go elsewhere; a place 3,4 km from Midden-Groningen's moved it (attack:
    the reach alone missed it); Veendam's only candidate school would bring no one.

    Returns ``uncounted_first`` (True when some could change it), ``uncounted_first_names`` (those counted,
    "; "-joined), ``uncounted_first_via`` (those added near where the first step would go instead, with that place's
    buurt, as JSON ``[[place, buurt], ...]``; '' for none), ``uncounted_first_code``, ``uncounted_first_name``,
    ``uncounted_first_area`` (None when no step would be taken), ``uncounted_first_new`` and
    ``uncounted_first_high`` (target population newly within reach,
    of whom in high-need areas), ``uncounted_first_equal`` (the places as good, "; "-joined),
    ``uncounted_first_reason`` (:attr:`WhatIf.reason` when no step would be taken) and ``uncounted_high_within``
    of ``uncounted_high_total``: the target population in high-need areas already within reach with them counted
    (Veendam: all 5.150). ``prefix`` replaces ``uncounted`` in these names: the same for the places the register
    keeps out for their status (``status``: :func:`mgg_geo.analysis.chain.status_sites`). ``require`` (a flag per
    row of ``extra``): only when one of those lies within twice the reach of the first step (the status what-if
    counts the places without an age range too; without a status place near it would repeat theirs: Veendam).
    """
    found = {"first": False, "first_names": "", "first_via": "", "first_code": None, "first_name": None,
             "first_area": None,
             "first_new": np.nan, "first_high": np.nan, "first_equal": "", "first_reason": None,
             "high_within": np.nan, "high_total": np.nan}

    def named(values: dict) -> dict:
        return {f"{prefix}_{k}": v for k, v in values.items()}

    if not len(outcome.sites) or "point_x" not in extra:
        return named(found)
    keep = countable(extra)
    placed = extra[keep]
    required = np.ones(len(placed), bool) if require is None else np.asarray(require, dtype=bool)[keep]
    xy = placed[["point_x", "point_y"]].to_numpy(dtype=float)

    def near(point: gpd.GeoSeries) -> np.ndarray:
        return cov.within_reach(cov.xy_of(point), xy, 2 * outcome.reach_m)[0]

    def counting(mask: np.ndarray) -> WhatIf:
        """The first step with the places of ``mask`` counted, with the coverage and so the priorities that break
        ties that counting them gives (need stays), as a run that counts them."""
        as_sites = gpd.GeoDataFrame(placed[mask], geometry=gpd.points_from_xy(xy[mask, 0], xy[mask, 1]),
                                    crs=settings.CRS_ANALYSIS).to_crs(sites.crs)
        both = gpd.GeoDataFrame(pd.concat([sites, as_sites]), crs=sites.crs)
        counted = cov.reach(areas, both, points=points, demand=demand, reach_m=outcome.reach_m)
        classified = areas.assign(reach=counted, coverage_class=cov.coverage_class(counted))
        classified["priority"] = gap.priority(classified)
        return what_if(classified, both, scope=scope, points=points, k=1, demand=demand, reach_m=outcome.reach_m,
                       candidates=candidates)

    mask = near(outcome.sites.geometry.iloc[:1])
    if not (mask & required).any():
        return named(found)
    # then also those that could change where it goes instead, until none is added (an attack: a place 8,7 km from
    # Pekela's first site stood on the alternative, left out)
    via = []  # per place added near an alternative: [place, the alternative's buurt name] (the report names both)
    while True:
        alternative = counting(mask)
        more = near(alternative.sites.geometry.iloc[:1]) & ~mask if len(alternative.sites) else np.zeros_like(mask)
        if not more.any():
            break
        via += [[str(placed["name"].iloc[j]), str(alternative.sites.iloc[0]["name"])] for j in np.flatnonzero(more)]
        mask = mask | more
    found.update(first=True, first_names="; ".join(str(n) for n in placed.loc[mask, "name"]),
                 first_via=json.dumps(via) if via else "",
                 high_within=float(alternative.before["high_need_within"]),
                 high_total=float(alternative.before["high_need_total"]))
    if len(alternative.sites):
        first = alternative.sites.iloc[0]
        found.update(first_code=str(first["code"]), first_name=str(first["name"]),
                     first_area=None if first["area"] is None else str(first["area"]),
                     first_new=float(first["new_population"]), first_high=float(first["new_high_need"]),
                     first_equal=str(first["equal_names"] or ""))
    else:
        found["first_reason"] = alternative.reason
    return named(found)


def firsts_if_counted(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
                      kept_out: dict[str, tuple[pd.DataFrame, np.ndarray | None]] | None, **kwargs) -> dict:
    """:func:`first_if_counted` for each kind of place kept out (``kept_out``: per ``prefix`` the places and their
    ``require``), the columns of all together; ``kwargs`` as :func:`first_if_counted` takes them."""
    return {k: v for prefix, (extra, require) in (kept_out or {}).items()
            for k, v in first_if_counted(areas, sites, extra, prefix=prefix, require=require, **kwargs).items()}


def countable(extra: pd.DataFrame) -> np.ndarray:
    """Per place that does not count (``point_x``, ``point_y``, ``adds_reach`` as
    :func:`mgg_geo.analysis.chain.excluded_sites` gives them), whether counting it could change a what-if: it is
    placed and would bring someone newly within reach (``adds_reach``; any, without that column)."""
    if "point_x" not in extra:
        return np.zeros(len(extra), bool)
    adds = extra["adds_reach"].astype(bool) if "adds_reach" in extra else True
    return (extra["point_x"].notna() & adds).to_numpy(dtype=bool)


def _per_area(people: np.ndarray, newly: np.ndarray, area: np.ndarray) -> str:
    """The people newly reached per area, most first, as "WK076501=395.0; WK003701=12.5" ('' for none)."""
    per = _sum_per_area(people, newly & (people > 0), area).sort_values(ascending=False, kind="stable")
    return "; ".join(f"{a}={v:.3f}" for a, v in per.items())


def _sum_per_area(people: np.ndarray, mask: np.ndarray, area: np.ndarray) -> pd.Series:
    """``people`` where ``mask`` summed per area code of ``area`` (one per point), by code."""
    codes, at = np.unique(np.asarray(area, dtype=object)[mask], return_inverse=True)
    return pd.Series(np.bincount(at, weights=people[mask], minlength=len(codes)), index=codes)


def _reason(objective: str, in_scope: np.ndarray, ranked: np.ndarray, now: np.ndarray, pop: np.ndarray) -> str:
    """Why no further site adds anything (see :attr:`WhatIf.reason`)."""
    counted = in_scope & ranked if objective == "need" else in_scope
    if objective == "need" and not counted.any():
        return "no_ranked"
    if not (counted & (pop > 0)).any():
        return "no_population"
    return "covered"

"""Coverage: how well is each area reached by prevention initiatives?

Two kinds of supply, kept apart everywhere
------------------------------------------
**Physical sites** (a school, a youth centre, a walk-in): points in
EPSG:28992. Every distance, count and accessibility figure below uses these
only.

**Area-wide offers** (a programme open to every resident of a municipality
or region, e.g. KoPPeLing in the municipality of Groningen): they have no
location, so they never become a distance. Each area lists the offers it lies
in (``area_wide_offers``: programme names; ``n_area_wide``: their number).

Where the target group lives
----------------------------
Distances are measured from **population-weighted points** inside each area
(:func:`population_points`): at wijk level the representative points of its
buurten, each weighted by the buurt's share of the wijk's target population
(buurt figures of the same indeling where known, else equal shares); at buurt
level the buurt's own representative point. A wijk is therefore partly
reached when some of its buurten lie within reach. Distances are straight
lines in metres (reported in km); travel distances are longer.

Measures per area (physical sites only)
---------------------------------------
``reach`` — **the coverage measure** ("dekking")
    The share (0-1) of the area's target population living within
    the reach :data:`mgg_geo.rules.REACH_M` of a site (NaN for an area
    without target population). It drives the coverage
    classes, the coverage map, the priority list and the what-if.
``coverage_class``
    1 (laag) when ``reach`` is under the first bound of
    :data:`mgg_geo.rules.COVERAGE_BREAKS`, 2 (midden) under the second, 3 (hoog)
    otherwise. So no area is labelled high
    coverage unless most of its target population lives within reach of a site.
``nearest_km``
    Mean distance from the target population to the nearest site (km).
``n_1km``, ``n_3km``, ``n_5km``
    Mean number of sites within each radius of :data:`mgg_geo.rules.RADII_M`
    of the target population, as the CBS Nabijheidsstatistiek counts (the
    reach is always one of the counts; :func:`mgg_geo.rules.radius_column`
    names them).
``access``, ``access_norm``
    E2SFCA accessibility (Luo & Qi 2009), shown as "bereikbaarheid": with
    distance-decay weights ``W(d)`` per zone (:data:`mgg_geo.rules.DEFAULT_ZONES`:
    weight 1.0 up to the first radius, 0.68 up to the second, 0.22 up to the
    third), each site's ratio ``R_j = S_j / Σ_p W(d_pj) P_p``
    (capacity ``S_j``, default 1; target population ``P_p`` at point ``p``)
    and per point ``A_p = Σ_j W(d_pj) R_j``; per area the population-weighted
    mean. ``access_norm`` divides by the population-weighted mean over all
    areas (1.0 = average; Saxon et al. 2022).

Everything is vectorised with ``scipy.spatial.cKDTree`` and sparse matrices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mgg_geo import rules, settings
from mgg_geo.data import catalogue
from mgg_geo.errors import DataError

#: Default demand columns: those of the default target group (:data:`mgg_geo.data.catalogue.TARGET_GROUPS`).
DEMAND = catalogue.target_group(None).demand


@dataclass(frozen=True)
class Points:
    """Where the target population of each area lives.

    Attributes
    ----------
    area
        Area code per point.
    xy
        (n, 2) coordinates in EPSG:28992 (m).
    share
        Share of the area's target population at the point (sums to 1 per area).
    code, name
        The buurt (or area) each point stands for.
    weighting
        ``buurt`` (buurt populations), ``buurt_equal`` (equal shares: no buurt
        populations known) or ``area`` (one point per area).
    """

    area: np.ndarray
    xy: np.ndarray
    share: np.ndarray
    code: np.ndarray
    name: np.ndarray
    weighting: str


def _check_crs(frame: gpd.GeoDataFrame, what: str) -> None:
    if frame.crs is None or frame.crs.to_epsg() != 28992:
        raise DataError(f"{what} must be in EPSG:28992 (got {frame.crs}); use .to_crs('{settings.CRS_ANALYSIS}').")


def representative_points(areas: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) array of representative points of the areas (EPSG:28992), inside each polygon."""
    _check_crs(areas, "areas")
    pts = areas.geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def population_points(areas: gpd.GeoDataFrame, buurten: gpd.GeoDataFrame | None = None,
                      weights: pd.Series | None = None) -> Points:
    """Population-weighted points of the areas (see the module docstring).

    Parameters
    ----------
    areas
        The areas (EPSG:28992), index: code.
    buurten
        Finer areas of the same indeling (index: code, with ``name``); each is
        assigned to the area that holds its representative point. None: one
        point per area.
    weights
        Target population per buurt (index: buurt code); missing or all-zero
        within an area: equal shares.
    """
    own = representative_points(areas)
    if buurten is None or buurten.empty:
        return Points(areas.index.to_numpy(), own, np.ones(len(areas)), areas.index.to_numpy(),
                      areas["name"].astype(str).to_numpy() if "name" in areas else areas.index.to_numpy(), "area")
    _check_crs(buurten, "buurten")
    pts = gpd.GeoDataFrame({"code": buurten.index.to_numpy(), "name": buurten["name"].astype(str).to_numpy()},
                           geometry=buurten.geometry.representative_point().to_numpy(), crs=buurten.crs)
    joined = gpd.sjoin(pts, areas[["geometry"]].rename_axis("area").reset_index(), predicate="within", how="inner")
    joined = joined.drop_duplicates("code")
    w = pd.to_numeric(weights.reindex(joined["code"]), errors="coerce").to_numpy() if weights is not None \
        else np.full(len(joined), np.nan)
    frame = pd.DataFrame({"area": joined["area"].to_numpy(), "w": w})
    known = frame.groupby("area")["w"].transform(lambda v: v.notna().all()).astype(bool)
    usable = known & frame.groupby("area")["w"].transform("sum").gt(0)  # all zero: nobody to place, equal shares
    frame["w"] = frame["w"].where(usable, 1.0)
    share = (frame["w"] / frame.groupby("area")["w"].transform("sum")).to_numpy()
    xy = np.column_stack([joined.geometry.x.to_numpy(), joined.geometry.y.to_numpy()])
    missing = ~areas.index.isin(joined["area"])
    area = np.concatenate([joined["area"].to_numpy(), areas.index[missing].to_numpy()])
    names = areas["name"].astype(str).to_numpy() if "name" in areas else areas.index.to_numpy()
    weighting = "buurt" if known.all() and weights is not None else "buurt_equal"
    return Points(area, np.vstack([xy, own[missing]]), np.concatenate([share, np.ones(missing.sum())]),
                  np.concatenate([joined["code"].to_numpy(), areas.index[missing].to_numpy()]),
                  np.concatenate([joined["name"].to_numpy(), names[missing]]), weighting)


def select_sites(sites: gpd.GeoDataFrame, *, programme: str | None = None,
                 ages: tuple[float, float] | None = None, include_unknown_ages: bool = False,
                 active_only: bool = True) -> gpd.GeoDataFrame:
    """Initiatives of one programme and/or whose age range meets ``ages``.

    An initiative whose age range does not say whether it meets ``ages`` (:func:`unknown_ages`: none, or one bound
    outside ``ages``) is left out unless ``include_unknown_ages`` (then it counts as meeting any target group).
    """
    out = sites
    if active_only and "active" in out:
        out = out[out["active"].astype(bool)]
    if programme is not None:
        out = out[out["programme"].str.casefold() == programme.casefold()]
    if ages is not None and len(out):
        lo = pd.to_numeric(out.get("age_min"), errors="coerce")
        hi = pd.to_numeric(out.get("age_max"), errors="coerce")
        unknown = unknown_ages(out, ages)
        meets = (lo.fillna(-np.inf) <= ages[1]) & (hi.fillna(np.inf) >= ages[0])
        out = out[(meets & ~unknown) | (unknown & include_unknown_ages)]
    return out


def unknown_ages(sites: gpd.GeoDataFrame, ages: tuple[float, float] | None = None) -> pd.Series:
    """True for initiatives whose age range does not say whether they serve the target group ``ages`` (years):
    those without any age bound and, given ``ages``, those with one bound that lies outside it. A missing bound is
    not known, never open: a youth club "vanaf 10 jaar" serves young people (10 lies in 0-25), but whether it serves
    people of 65 and over is not known (review: it was all of Groningen's coverage for older people). One bound past
    the far end of ``ages`` (from 30, for 0-25) meets it in no case: not unknown."""
    lo = pd.to_numeric(sites.get("age_min"), errors="coerce")
    hi = pd.to_numeric(sites.get("age_max"), errors="coerce")
    none = lo.isna() & hi.isna()
    if ages is None:
        return none
    return none | (hi.isna() & (lo < ages[0])) | (lo.isna() & (hi > ages[1]))


def is_area_wide(sites: gpd.GeoDataFrame) -> np.ndarray:
    """True for area-wide offers (no physical location)."""
    if "area_wide" not in sites:
        return np.zeros(len(sites), bool)
    return sites["area_wide"].fillna(False).astype(bool).to_numpy()


def target_population(areas: pd.DataFrame, demand: str | Sequence[str] = DEMAND) -> pd.Series:
    """Target population per area (persons): the ``demand`` column(s) summed; missing counts as 0."""
    cols = [demand] if isinstance(demand, str) else list(demand)
    total = np.zeros(len(areas))
    for col in cols:  # column by column (a frame-wide apply cost a what-if a tenth of its time)
        if col in areas:
            values = pd.to_numeric(areas[col], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):  # inf + -inf: not a count, 0 as a missing one
                total += np.where(np.isnan(values), 0.0, values)
    return pd.Series(np.where(np.isnan(total), 0.0, total), index=areas.index, dtype="float64")


def coverage_classes(reach: np.ndarray) -> np.ndarray:
    """:func:`coverage_class` of an array of reach shares (float; NaN stays NaN)."""
    x = np.asarray(reach, dtype="float64")
    lo, hi = rules.COVERAGE_BREAKS
    return np.where(np.isnan(x), np.nan, np.where(x < lo, 1.0, np.where(x < hi, 2.0, 3.0)))


def coverage_class(reach: pd.Series) -> pd.Series:
    """Coverage class per area from ``reach``: 1 laag, 2 midden, 3 hoog (:data:`mgg_geo.rules.COVERAGE_BREAKS`);
    NaN stays NaN."""
    x = pd.to_numeric(reach, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return pd.Series(coverage_classes(x), index=reach.index)


def site_xy(sites: gpd.GeoDataFrame) -> np.ndarray:
    """The x, y (m, EPSG:28992) of each site's point, an ``(n, 2)`` array."""
    if not len(sites):
        return np.empty((0, 2))
    points = sites.geometry.to_numpy()
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def nearest_distances(xy: np.ndarray, places: np.ndarray) -> np.ndarray:
    """Distance (m) from each point of ``xy`` to the nearest of ``places`` (both ``(n, 2)`` x, y in EPSG:28992;
    inf when there is none)."""
    if len(places) == 0 or len(xy) == 0:
        return np.full(len(xy), np.inf)
    from scipy.spatial import cKDTree  # here, not on top: report kernels need no scipy

    return cKDTree(places).query(xy)[0]


def point_distances(xy: np.ndarray, sites: gpd.GeoDataFrame) -> np.ndarray:
    """Distance (m) from each point to the nearest physical site (inf when there is none)."""
    return nearest_distances(xy, site_xy(sites))


def within_reach(origins: np.ndarray, places: np.ndarray, reach_m: float) -> np.ndarray:
    """Which ``places`` lie within ``reach_m`` (m, inclusive, as the coverage counts) of each of ``origins``: a
    boolean matrix, one row per origin. Both are ``(n, 2)`` arrays of x, y in metres (EPSG:28992). For the short
    lists of places that the reports name near a point; the coverage itself uses a tree (:func:`coverage`)."""
    origins = np.asarray(origins, dtype=float).reshape(-1, 2)
    places = np.asarray(places, dtype=float).reshape(-1, 2)
    return np.hypot(origins[:, None, 0] - places[None, :, 0], origins[:, None, 1] - places[None, :, 1]) <= reach_m


def xy_of(points: gpd.GeoSeries) -> np.ndarray:
    """The x, y (m, EPSG:28992) of ``points``, an ``(n, 2)`` array."""
    rd = points.to_crs(settings.CRS_ANALYSIS) if points.crs is not None else points
    return np.column_stack([rd.x.to_numpy(), rd.y.to_numpy()]) if len(rd) else np.empty((0, 2))


def area_wide_offers(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> pd.Series:
    """Per area, the names of the area-wide offers it lies in ("; "-separated, empty when none).

    An area lies in an offer when its representative point lies in the offer's
    polygon (the register's ``area`` column).
    """
    wide = sites[is_area_wide(sites)]
    out = pd.Series("", index=areas.index, dtype="object")
    if wide.empty:
        return out
    if "area" not in wide:
        raise DataError("Area-wide offers need their polygon in column 'area' (see mgg_geo.supply.initiatives.load).")
    points = gpd.GeoSeries(gpd.points_from_xy(*representative_points(areas).T), index=areas.index,
                           crs=settings.CRS_ANALYSIS)
    found: dict[str, list[str]] = {code: [] for code in areas.index}
    for _, offer in wide.iterrows():
        polygon = offer["area"]
        if polygon is None or (isinstance(polygon, float) and np.isnan(polygon)):
            raise DataError(f"Area-wide offer {offer['name']!r}: no polygon for area code {offer.get('area_code')}.")
        for code in points.index[points.within(polygon).to_numpy()]:
            found[code].append(str(offer["programme"]))
    return pd.Series({c: "; ".join(sorted(set(v))) for c, v in found.items()}, dtype="object").reindex(areas.index)


def _measured(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, points: Points | None,
              demand: str | Sequence[str]) -> tuple[gpd.GeoDataFrame, Points, np.ndarray, np.ndarray]:
    """The physical sites, the population points (default: one per area), each point's position in ``areas`` and
    the target population per area, checked (EPSG:28992, points of these areas)."""
    _check_crs(areas, "areas")
    physical = sites[~is_area_wide(sites)]
    if len(physical):
        _check_crs(physical, "sites")
    pts = points if points is not None else population_points(areas)
    idx = areas.index.get_indexer(pts.area)
    if (idx < 0).any():
        raise DataError("points refer to areas that are not in the frame")
    return physical, pts, idx, target_population(areas, demand).to_numpy()


def _within(nearest: np.ndarray, reach_m: float, pts: Points, idx: np.ndarray, pop_area: np.ndarray) -> np.ndarray:
    """Per area, the share of its target population whose point lies within ``reach_m`` (m) of a site (``nearest``
    per point); a share of nobody is no share: NaN where the area has no target population (not 0%)."""
    within = np.bincount(idx, weights=pts.share * (nearest <= reach_m), minlength=len(pop_area))
    return np.where(pop_area > 0, within, np.nan)


def reach(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, points: Points | None = None,
          demand: str | Sequence[str] = DEMAND, reach_m: float | None = None) -> pd.Series:
    """``reach`` of :func:`coverage` alone (the share of each area's target population within ``reach_m``, m, of a
    physical site), for the what-ifs that count other sites and need nothing else."""
    physical, pts, idx, pop_area = _measured(areas, sites, points, demand)
    nearest = nearest_distances(pts.xy, site_xy(physical))
    return pd.Series(_within(nearest, rules.REACH_M if reach_m is None else reach_m, pts, idx, pop_area),
                     index=areas.index, name="reach")


def coverage(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, points: Points | None = None,
             demand: str | Sequence[str] = DEMAND, capacity: str = "capacity", zones=None, radii=None,
             reach_m: float | None = None) -> pd.DataFrame:
    """Coverage measures for every area (see the module docstring).

    Parameters
    ----------
    areas
        Areas in EPSG:28992 (index: code) with the demand column(s).
    sites
        Initiatives in EPSG:28992, already selected (:func:`select_sites`);
        area-wide offers among them are only listed, never measured.
    points
        Population-weighted points (:func:`population_points`); default: one
        representative point per area.
    demand
        Column(s) with the target population (persons); missing counts as 0.
    zones, radii, reach_m
        The E2SFCA zones, the radii of the site counts and the reach (m); default the rules
        :data:`mgg_geo.rules.DEFAULT_ZONES`, :data:`~mgg_geo.rules.RADII_M` and :data:`~mgg_geo.rules.REACH_M`.

    Returns
    -------
    pandas.DataFrame
        ``reach``, ``coverage_class``, ``nearest_km``, the site counts ``n_1km``, ``n_3km``, ``n_5km``
        (:func:`mgg_geo.rules.count_columns`, the reach's among them), ``access``, ``access_norm``,
        ``n_sites_physical`` (sites within the area), ``n_area_wide`` and ``area_wide_offers``.
    """
    zones = rules.DEFAULT_ZONES if zones is None else zones
    reach_m = rules.REACH_M if reach_m is None else reach_m
    radii = sorted({*(rules.RADII_M if radii is None else radii), reach_m})
    physical, pts, idx, pop_area = _measured(areas, sites, points, demand)
    n_areas = len(areas)
    pop = pts.share * pop_area[idx]

    def per_area(values: np.ndarray) -> np.ndarray:
        return np.bincount(idx, weights=pts.share * values, minlength=n_areas)

    places = site_xy(physical)
    nearest = nearest_distances(pts.xy, places)
    out = pd.DataFrame(index=areas.index)
    out["reach"] = _within(nearest, reach_m, pts, idx, pop_area)
    out["coverage_class"] = coverage_class(out["reach"])
    out["nearest_km"] = np.where(len(physical) > 0, per_area(np.where(np.isfinite(nearest), nearest, 0.0)) / 1000.0,
                                 np.nan)
    from scipy import sparse
    from scipy.spatial import cKDTree

    max_d = max(max(radii), zones[-1][0])
    if len(places):
        near = cKDTree(pts.xy).sparse_distance_matrix(cKDTree(places), max_d, output_type="coo_matrix")
        # explicit zeros (a site exactly on a point) are kept by the coo output
        rows, cols, dist = near.row, near.col, near.data
    else:
        rows, cols, dist = (np.array([], int),) * 2 + (np.array([]),)
    for r in radii:
        hit = dist <= r
        out[rules.radius_column(r)] = per_area(np.bincount(rows[hit], minlength=len(pop)).astype(float))
    weight = np.select([dist <= upper for upper, _ in zones], [w for _, w in zones], default=0.0)
    wmat = sparse.csr_matrix((weight, (rows, cols)), shape=(len(pop), len(places)))
    supply = pd.to_numeric(physical[capacity], errors="coerce").fillna(1.0).to_numpy() if capacity in physical \
        else np.ones(len(places))
    demand_j = wmat.T @ pop
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(demand_j > 0, supply / demand_j, 0.0)
    out["access"] = per_area(wmat @ ratio)
    mean = np.average(out["access"], weights=pop_area) if pop_area.sum() > 0 else np.nan
    out["access_norm"] = out["access"] / mean if mean and np.isfinite(mean) and mean > 0 else np.nan
    inside = gpd.sjoin(physical[["geometry"]], areas[["geometry"]].rename_axis("area").reset_index(),
                       predicate="within", how="inner") if len(physical) else pd.DataFrame({"area": []})
    out["n_sites_physical"] = inside["area"].value_counts().reindex(areas.index).fillna(0).astype(int)
    offers = area_wide_offers(areas, sites)
    out["area_wide_offers"] = offers
    out["n_area_wide"] = offers.map(lambda t: len(t.split("; ")) if t else 0).astype(int)
    return out


def coverage_by_programme(areas, sites, programmes: Sequence[str], **kwargs) -> pd.DataFrame:
    """Physical coverage per programme; columns suffixed ``__<programme>`` (e.g. ``reach__STORM``): the reach, the
    distance, the site count within the reach (``n_3km``) and the accessibility; none for a programme without a
    physical site, whose offer has no place to be near (KoPPeLing: area-wide only), never 0."""
    parts = []
    count = rules.radius_column(rules.REACH_M if kwargs.get("reach_m") is None else kwargs["reach_m"])
    for name in programmes:
        chosen = select_sites(sites, programme=name, active_only=False)
        if is_area_wide(chosen).all():
            continue
        part = coverage(areas, chosen, **kwargs)[["reach", "nearest_km", count, "access"]]
        parts.append(part.add_suffix(f"__{name}"))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=areas.index)


def median_distance_km(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, points: Points | None = None,
                       demand: str | Sequence[str] = DEMAND, by: str = "gemeente_code") -> pd.Series:
    """Per group of areas (column ``by``, e.g. per municipality): the straight-line distance (km) to the nearest
    physical site within which half of the group's target population lives.

    The population-weighted median over the points of :func:`population_points` (EPSG:28992), so it agrees with
    ``reach``: it is at most the reach exactly when at least half of the group's target population lives within
    the reach. Not the median of the areas' ``nearest_km`` (a mean per area, each area counted once).

    Parameters
    ----------
    areas
        Areas in EPSG:28992 (index: code) with the demand column(s) and ``by``.
    sites
        Initiatives in EPSG:28992 (:func:`select_sites`); area-wide offers are left out.
    points
        Population-weighted points; default: one representative point per area.
    demand
        Column(s) with the target population (persons).
    by
        The column that groups the areas.

    Returns
    -------
    pandas.Series
        km per value of ``by``; NaN without a physical site or without target population.
    """
    pts = points if points is not None else population_points(areas)
    idx = areas.index.get_indexer(pts.area)
    keep = idx >= 0
    weight = pts.share[keep] * target_population(areas, demand).to_numpy()[idx[keep]]
    distance = point_distances(pts.xy[keep], sites[~is_area_wide(sites)])
    group = areas[by].to_numpy()[idx[keep]]
    out = {}
    for name in pd.unique(areas[by]):
        w, d = weight[group == name], distance[group == name]
        if not w.sum() > 0 or not np.isfinite(d).all():
            out[name] = np.nan
            continue
        order = np.argsort(d, kind="stable")
        cumulative = np.cumsum(w[order])
        out[name] = float(d[order][np.searchsorted(cumulative, cumulative[-1] / 2)]) / 1000.0
    return pd.Series(out, name="median_nearest_km", dtype="float64")

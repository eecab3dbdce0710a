"""Coverage: how well is each area reached by prevention initiatives?

All distances are straight-line distances in EPSG:28992 (metres; reported in
km), from each area's **representative point** (shapely
``representative_point``: a point guaranteed inside the polygon; CBS
Nabijheidsstatistiek averages road distances over addresses, which the open
data here cannot reproduce, so results are a lower bound on travel distance).

Measures per area
-----------------
``nearest_km``
    Distance to the nearest initiative (0 inside an area-wide offer).
``n_1km``, ``n_3km``, ``n_5km``
    Number of initiatives within 1, 3 and 5 km, as the CBS Nabijheidsstatistiek counts.
``access``
    E2SFCA accessibility (Luo & Qi 2009). With distance-decay weights
    ``W(d)`` per zone (default 0-1 km: 1.0, 1-3 km: 0.68, 3-5 km: 0.22;
    none beyond 5 km), each site's supply ratio is
    ``R_j = S_j / sum_k W(d_kj) P_k`` (``S_j`` capacity, default 1 where
    unknown; ``P_k`` target population), and ``A_i = sum_j W(d_ij) R_j``:
    places per resident of the target group.
``access_norm``
    ``access`` divided by its population-weighted mean (1.0 = average of the
    region; Saxon et al. 2022, PySAL ``access`` ``normalize=True``).

Area-wide offers (``area_wide``) cover every area whose representative point
lies inside their area (the register's ``area`` polygon, else ``offer_areas``
by ``area_code``), at distance 0; they take no part in point distances
elsewhere. Everything is vectorised with ``scipy.spatial.cKDTree`` and sparse
matrices: there is no Python loop over area-site pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from . import settings
from .errors import DataError

RADII_M = (1000.0, 3000.0, 5000.0)
#: E2SFCA zones: (upper bound in metres, weight).
DEFAULT_ZONES: tuple[tuple[float, float], ...] = ((1000.0, 1.0), (3000.0, 0.68), (5000.0, 0.22))


def representative_points(areas: gpd.GeoDataFrame) -> np.ndarray:
    """(n, 2) array of representative points of the areas (EPSG:28992)."""
    _check_crs(areas, "areas")
    pts = areas.geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def _check_crs(frame: gpd.GeoDataFrame, what: str) -> None:
    if frame.crs is None or frame.crs.to_epsg() != 28992:
        raise DataError(f"{what} must be in EPSG:28992 (got {frame.crs}); use .to_crs('{settings.CRS_ANALYSIS}').")


def select_sites(sites: gpd.GeoDataFrame, *, programme: str | None = None,
                 ages: tuple[float, float] | None = None, active_only: bool = True) -> gpd.GeoDataFrame:
    """Initiatives of one programme and/or whose age range meets ``ages`` (unknown ages are kept)."""
    out = sites
    if active_only and "active" in out:
        out = out[out["active"].astype(bool)]
    if programme is not None:
        out = out[out["programme"].str.casefold() == programme.casefold()]
    if ages is not None and len(out):
        lo = pd.to_numeric(out.get("age_min"), errors="coerce").fillna(-np.inf)
        hi = pd.to_numeric(out.get("age_max"), errors="coerce").fillna(np.inf)
        out = out[(lo <= ages[1]) & (hi >= ages[0])]
    return out


def _pairs(area_xy: np.ndarray, site_xy: np.ndarray, max_d: float) -> sparse.coo_matrix:
    if len(area_xy) == 0 or len(site_xy) == 0:
        return sparse.coo_matrix((len(area_xy), len(site_xy)))
    return cKDTree(area_xy).sparse_distance_matrix(cKDTree(site_xy), max_d, output_type="coo_matrix")


def _area_wide_pairs(areas: gpd.GeoDataFrame, area_xy, sites: gpd.GeoDataFrame, offer_areas) -> tuple:
    rows, cols = [], []
    wide = np.flatnonzero(sites["area_wide"].fillna(False).astype(bool).to_numpy()) if "area_wide" in sites else []
    if len(wide) == 0:
        return np.array([], int), np.array([], int)
    points = gpd.GeoSeries(gpd.points_from_xy(area_xy[:, 0], area_xy[:, 1]), crs=settings.CRS_ANALYSIS)
    for j in wide:
        polygon = sites["area"].iloc[j] if "area" in sites else None  # the register carries it
        if polygon is None or (isinstance(polygon, float) and np.isnan(polygon)):
            code = sites["area_code"].iloc[j]
            if offer_areas is None or code not in offer_areas.index:
                raise DataError(f"Area-wide offer {sites['name'].iloc[j]!r}: no polygon for area code {code}; "
                                "pass offer_areas={code: polygon} (e.g. from mgg_geo.initiatives.boundary_layers).")
            polygon = offer_areas.loc[code]
        inside = np.flatnonzero(points.within(polygon).to_numpy())
        rows.append(inside)
        cols.append(np.full(len(inside), j))
    return np.concatenate(rows), np.concatenate(cols)


#: Default target population: youth 0-14 and 15-24 (KWB counts).
DEMAND = ("youth_0_14", "youth_15_24")


def target_population(areas: pd.DataFrame, demand: str | Sequence[str] = DEMAND) -> pd.Series:
    """Target population per area (persons): the ``demand`` column(s) summed; missing counts as 0."""
    cols = [demand] if isinstance(demand, str) else list(demand)
    counts = areas.reindex(columns=cols).apply(pd.to_numeric, errors="coerce")
    return counts.sum(axis=1, min_count=1).fillna(0.0).astype("float64")


def coverage(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, demand: str | Sequence[str] = DEMAND,
             capacity: str = "capacity", zones=DEFAULT_ZONES, radii=RADII_M,
             offer_areas: gpd.GeoSeries | None = None) -> pd.DataFrame:
    """Coverage measures for every area (see the module docstring).

    Parameters
    ----------
    areas
        Areas in EPSG:28992 with the demand column(s).
    sites
        Initiatives in EPSG:28992 (point geometry), optionally with
        ``capacity``, ``area_wide`` and ``area_code``; already filtered (see
        :func:`select_sites`).
    demand
        Column (or columns, summed) with the target population; missing counts as 0.
    offer_areas
        GeoSeries of area polygons indexed by code, for area-wide offers.

    Returns
    -------
    pandas.DataFrame
        ``nearest_km``, ``n_1km``, ``n_3km``, ``n_5km``, ``access``,
        ``access_norm`` (same index as ``areas``).
    """
    _check_crs(areas, "areas")
    if len(sites):
        _check_crs(sites, "sites")
    area_xy = representative_points(areas)
    pop = target_population(areas, demand).to_numpy()
    wide = sites["area_wide"].fillna(False).astype(bool).to_numpy() if "area_wide" in sites else \
        np.zeros(len(sites), bool)
    point_idx = np.flatnonzero(~wide)
    site_xy = np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()]) if len(sites) else \
        np.empty((0, 2))
    supply = pd.to_numeric(sites[capacity], errors="coerce").fillna(1.0).to_numpy() if capacity in sites else \
        np.ones(len(sites))
    max_d = max(max(radii), zones[-1][0])
    # (area, site, distance) pairs within max_d, plus area-wide pairs at distance 0
    near = _pairs(area_xy, site_xy[point_idx], max_d)
    wr, wc = _area_wide_pairs(areas, area_xy, sites, offer_areas)
    rows = np.concatenate([near.row, wr]).astype(int)
    colsj = np.concatenate([point_idx[near.col], wc]).astype(int)
    dist = np.concatenate([near.data, np.zeros(len(wr))])
    n_areas, n_sites = len(areas), len(sites)

    out = pd.DataFrame(index=areas.index)
    if len(point_idx):
        nearest, _ = cKDTree(site_xy[point_idx]).query(area_xy)
    else:
        nearest = np.full(n_areas, np.inf)
    if len(wr):
        nearest[np.unique(wr)] = 0.0
    out["nearest_km"] = np.where(np.isfinite(nearest), nearest / 1000.0, np.nan)
    for r in radii:
        hit = dist <= r
        out[f"n_{int(r / 1000)}km"] = np.bincount(rows[hit], minlength=n_areas)
    weight = np.select([dist <= upper for upper, _ in zones], [w for _, w in zones], default=0.0)
    wmat = sparse.csr_matrix((weight, (rows, colsj)), shape=(n_areas, n_sites))
    demand_j = wmat.T @ pop  # sum_k W(d_kj) P_k
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(demand_j > 0, supply / demand_j, 0.0)
    access = wmat @ ratio
    out["access"] = access
    mean = np.average(access, weights=pop) if pop.sum() > 0 else np.nan
    out["access_norm"] = access / mean if mean and np.isfinite(mean) and mean > 0 else np.nan
    return out


def coverage_by_programme(areas, sites, programmes: Sequence[str], **kwargs) -> pd.DataFrame:
    """Coverage per programme; columns suffixed ``__<programme>`` (e.g. ``nearest_km__STORM``)."""
    parts = []
    for name in programmes:
        part = coverage(areas, select_sites(sites, programme=name, active_only=False), **kwargs)
        parts.append(part.add_suffix(f"__{name}"))
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=areas.index)

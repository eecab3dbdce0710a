"""The whole chain for a municipality or the province: areas -> need -> coverage -> gap -> what-if.

Coverage is computed on the whole province (so initiatives just across a
municipal border count), need and gap classes within the analysis region
(the requested municipalities), priorities within each municipality.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import areas as areas_mod
from . import cache, catalogue, coverage, gap, initiatives, labels, need, regions, settings, trends
from .errors import DataError

#: Columns shown on the municipality report maps (their class breaks are computed once per run).
MAPPED_COLUMNS = ("need_index", "nearest_km")
#: Target ages of the youth focus (matches the target population 0-24).
TARGET_AGES = (0.0, 24.0)


@dataclass
class Analysis:
    """Everything one analysis produced.

    Attributes
    ----------
    areas
        GeoDataFrame (EPSG:28992), one row per area of the analysis region, with
        indicators, need index, rank interval, coverage measures, gap class,
        label and priority (column names: README, "Analysis output").
    register
        The initiative register used (all rows, with ``active``).
    whatif
        The suggested new sites and before/after figures.
    quality
        The data-quality table of the area frame (:func:`mgg_geo.areas.quality_table`).
    sources
        Manifests of the source tables, each with its ``indeling``.
    vintages
        Per area and source table: how its figures were obtained
        (:attr:`mgg_geo.areas.AreaFrame.vintages`).
    totals
        Per municipality: the areas' residents against CBS's municipality row.
    changes, series
        Change per area between the latest two vintages of each followed
        indicator, and every vintage's value per area (:func:`mgg_geo.trends.changes`).
    parameters
        The settings of this run.
    """

    areas: gpd.GeoDataFrame
    register: initiatives.Register
    whatif: gap.WhatIf
    quality: pd.DataFrame
    sources: dict
    parameters: dict = field(default_factory=dict)
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: ``{(gemeente code, column): class bounds}`` from mapclassify for the report maps
    #: (computed once per run, so every report of a batch uses the same, reproducible classes).
    map_breaks: dict = field(default_factory=dict)

    def priorities(self, gemeente: str | None = None, top: int | None = None) -> gpd.GeoDataFrame:
        """Areas by priority (1 first), optionally of one municipality and only the top ``top``."""
        frame = self.areas
        if gemeente is not None:
            frame = frame[frame["gemeente_code"] == regions.resolve_municipality(gemeente)]
        frame = frame.sort_values(["gemeente_code", "priority"])
        return frame if top is None else frame.groupby("gemeente_code", group_keys=False).head(top)


def run(level: str = "wijk", municipalities=None, *, weights: dict[str, float] | None = None,
        method: str = "zscore", draws: int = 1000, seed: int = 20231105, register_path: str | Path | None = None,
        reference_date: dt.date | str | None = None, k: int = 3, distance_m: float = 3000.0,
        ages: tuple[float, float] = TARGET_AGES, kwb_year: int | None = None, health_year: int | None = None,
        boundary_year: int | None = None, offline: bool = False, geocode: bool = True) -> Analysis:
    """Run the analysis chain (see the module docstring).

    Parameters
    ----------
    level
        ``wijk`` or ``buurt``.
    municipalities
        GM codes or names; None or "all": the province.
    weights, method, draws, seed
        Need index options (:func:`mgg_geo.need.need_index`).
    register_path
        Initiative register (default ``settings.REGISTER_PATH``).
    reference_date
        Initiatives ended before it do not count (default: today).
    k, distance_m
        What-if: number of new sites and the reach (m).
    ages
        Only initiatives whose age range meets these ages count (unknown ranges count).
    """
    munis = regions.resolve_municipalities(municipalities)
    frame = areas_mod.build(level, kwb_year=kwb_year, health_year=health_year, boundary_year=boundary_year,
                            offline=offline)
    year = frame.sources["boundaries"]["year"]
    layers = initiatives.boundary_layers(year=year, offline=offline)
    register = initiatives.load(register_path or settings.REGISTER_PATH, boundaries=layers,
                                reference_date=reference_date, geocode=geocode, offline=offline)
    sites = coverage.select_sites(register.initiatives, ages=ages)
    province = frame.areas
    cov = coverage.coverage(province, sites)  # area-wide offers carry their polygon (register column 'area')
    named = [p for p in initiatives.NAMED_PROGRAMMES if (sites["programme"] == p).any()]
    per_programme = coverage.coverage_by_programme(province, sites, named)
    region = province[province["gemeente_code"].isin(munis)].copy()
    if region.empty:
        raise DataError(f"No {level} areas for {', '.join(munis)} in the boundaries used.")
    needs = need.need_index(region, weights=weights, method=method, draws=draws, seed=seed)
    region = region.join(needs).join(cov).join(per_programme)
    region = region.join(gap.classify(region["need_index"], region["access_norm"]))
    region["priority"] = gap.priority(region)
    whatif = gap.what_if(region, sites, k=k, distance_m=distance_m)
    parameters = {
        "level": level, "municipalities": munis, "weights": need.normalise_weights(weights), "method": method,
        "draws": draws, "seed": seed, "register": str(register.path), "reference_date": str(register.reference_date),
        "k": k, "distance_m": distance_m, "target_ages": list(ages), "age_group": frame.age_group,
        "generated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    region = gpd.GeoDataFrame(region, geometry="geometry", crs=settings.CRS_ANALYSIS)
    from . import maps

    map_breaks = {(code, column): maps.breaks(region.loc[region["gemeente_code"] == code, column])
                  for code in munis for column in MAPPED_COLUMNS}
    in_region = frame.quality["gemeente_code"].isin(munis)
    changes, series = trends.changes(level=level, target=frame.sources["boundaries"]["indeling"],
                                     age_group=frame.age_group, offline=offline)
    return Analysis(areas=region, register=register, whatif=whatif, quality=frame.quality[in_region],
                    sources=frame.sources, parameters=parameters, map_breaks=map_breaks,
                    vintages=frame.vintages[frame.vintages["code"].isin(region.index)],
                    totals=frame.totals[frame.totals.index.isin(munis)],
                    changes=changes[changes["code"].isin(region.index)],
                    series=series[series["code"].isin(region.index)])


def from_parameters(*, level: str = "wijk", kwb_year: int = 0, health_year: int = 0, boundary_year: int = 0,
                    register_path: str = "", weights: str = "", reference_date: str = "", draws: int = 1000,
                    offline: bool = False, **_notebook_only) -> Analysis:
    """The province analysis for notebook parameters (0 / "" mean the default), memoised.

    The report notebooks and the batch both call this, so a batch computes the
    province once and every notebook run finds it in the memo.
    """
    from .need import parse_weights

    return run_cached(level=level, kwb_year=kwb_year or None, health_year=health_year or None,
                      boundary_year=boundary_year or None, register_path=register_path or None,
                      weights=parse_weights(weights), reference_date=reference_date or None, draws=draws,
                      offline=offline)


def run_cached(**kwargs) -> Analysis:
    """:func:`run`, memoised on disk (``CACHE_DIR/analyses/``).

    The key covers the arguments, the date, every cache entry's checksum, the
    register file and the geocoding answers, so any change in the inputs gives
    a new run. A report batch computes the province once and every notebook
    reuses it.
    """
    register = Path(kwargs.get("register_path") or settings.REGISTER_PATH)
    geocode = Path(settings.CACHE_DIR) / "geocode.json"
    key_source = {
        "kwargs": {k: v for k, v in sorted(kwargs.items())},
        "date": str(kwargs.get("reference_date") or dt.date.today()),
        "entries": sorted((e.name, e.manifest.get("sha256")) for e in cache.entries()),
        "register": cache.sha256(register) if register.is_file() else str(register),
        "geocode": cache.sha256(geocode) if geocode.is_file() else None,
    }
    key = hashlib.sha256(json.dumps(key_source, sort_keys=True, default=str).encode()).hexdigest()[:20]
    path = Path(settings.CACHE_DIR) / "analyses" / f"{key}.pkl"
    if path.is_file():
        try:
            with open(path, "rb") as fh:
                return pickle.load(fh)
        except Exception:  # noqa: BLE001 - a damaged memo is recomputed
            path.unlink(missing_ok=True)
    result = run(**kwargs)
    with cache.atomic_file(path) as tmp:
        tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return result


#: Columns of the exported area table, in order (documented in the README).
EXPORT_COLUMNS = (
    ["name", "gemeente_code", "gemeente_name", "level"]
    + [i.key for i in catalogue.INDICATORS] + [i.key for i in catalogue.TARGET_POPULATION]
    + ["need_index", "need_rank", "rank_median", "rank_p05", "rank_p95", "rank_uncertain", "need_status",
       "share_present"] + [f"need_{d}" for d in catalogue.DOMAINS]
    + ["nearest_km", "n_1km", "n_3km", "n_5km", "access", "access_norm",
       "need_class", "coverage_class", "gap_class", "gap_label", "gap_score", "priority", "figures_origin"]
)


def export_table(result: Analysis) -> gpd.GeoDataFrame:
    """The area table for GIS users and spreadsheets: documented columns plus per-programme coverage."""
    frame = result.areas.assign(figures_origin=labels.figures_origin(result.vintages).reindex(result.areas.index)
                                .fillna("eigen cijfers"))
    extra = [c for c in frame.columns if "__" in c and not c.endswith("__suppressed")]
    cols = [c for c in EXPORT_COLUMNS if c in frame] + extra
    out = frame[cols + ["geometry"]].reset_index()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


def write(result: Analysis, path: str | Path) -> Path:
    """Write the area table as GeoPackage, CSV or XLSX (by extension), atomically.

    CSV and XLSX carry the geometry as WKT (EPSG:28992) in column ``geometry``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".csv", ".xlsx"):
        raise DataError(f"{path}: choose .gpkg, .csv or .xlsx as the extension.")
    table = export_table(result)
    with cache.atomic_file(path, suffix=suffix) as tmp:
        if suffix == ".gpkg":
            tmp.unlink()  # GDAL creates the GeoPackage itself
            table.to_file(tmp, driver="GPKG", layer="gebieden")
        else:
            plain = pd.DataFrame(table.drop(columns="geometry")).assign(geometry=table.geometry.to_wkt())
            if suffix == ".csv":
                plain.to_csv(tmp, index=False, encoding="utf-8-sig")
            else:
                plain.to_excel(tmp, index=False, sheet_name="gebieden")
    return path

"""The whole chain for a municipality or the province: areas -> need -> coverage -> gap -> what-if.

Coverage is computed on the whole province (so initiatives just across a
municipal border count), need and gap classes within the analysis region
(the requested municipalities), priorities within each municipality.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from . import areas as areas_mod
from . import cache, catalogue, coverage, gap, initiatives, labels, need, regions, settings, sources, trends
from . import __version__
from .errors import CacheError, DataError, MggWarning
from .parameters import ReportParameters

@dataclass
class Analysis:
    """Everything one analysis produced, ready for reports and exports (nothing left to compute).

    Attributes
    ----------
    areas
        GeoDataFrame (EPSG:28992), one row per area of the analysis region:
        indicators, ``population``, ``target_population``, need index and
        rank interval, ``leading_domain``, coverage measures (``reach`` is the
        coverage measure), ``area_wide_offers``, classes, ``priority``,
        ``ranked`` and ``unranked`` (column names: README, "Analysis").
    register
        The initiative register used (all rows, with ``active``).
    sites
        The initiatives that count for the target group (physical sites and
        area-wide offers; ``area_wide`` tells them apart).
    excluded
        Active initiatives left out because their age range is unknown.
    whatif_sites, whatif_areas, whatif
        The suggested new sites per municipality (``gemeente_code``, ``step``,
        ...), the reach per area before and after, and per municipality the
        before/after figures and the reason when fewer sites were placed
        (:func:`mgg_geo.gap.what_if`).
    figures
        Key figures per municipality (:func:`key_figures`), one row each.
    quality, sources, vintages, totals, changes, series
        Data quality, source manifests, how each area's figures were obtained,
        the residents check, and change between vintages
        (:mod:`mgg_geo.areas`, :mod:`mgg_geo.trends`).
    parameters
        The settings of this run.
    map_breaks
        Class bounds of the need index over the whole analysis region, so every
        report of a batch uses the same classes.
    """

    areas: gpd.GeoDataFrame
    register: initiatives.Register
    quality: pd.DataFrame
    sources: dict
    parameters: dict = field(default_factory=dict)
    sites: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    whatif_sites: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    whatif_areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    whatif: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    map_breaks: dict = field(default_factory=dict)

    def priorities(self, gemeente: str | None = None, top: int | None = None) -> gpd.GeoDataFrame:
        """Ranked areas by priority (1 first), optionally of one municipality and only the top ``top``."""
        frame = self.areas[self.areas["priority"].notna()]
        if gemeente is not None:
            frame = frame[frame["gemeente_code"] == regions.resolve_municipality(gemeente)]
        frame = frame.sort_values(["gemeente_code", "priority"])
        return frame if top is None else frame.groupby("gemeente_code", group_keys=False).head(top)


def population_points(frame: areas_mod.AreaFrame, level: str, group: catalogue.TargetGroup, *,
                      offline: bool) -> coverage.Points:
    """Where the target group lives: at wijk level the buurten of the same indeling (weighted by their target
    population where a Kerncijfers table gives it per buurt), else one point per area."""
    if level != "wijk":
        return coverage.population_points(frame.areas)
    year = frame.sources["boundaries"]["indeling"]
    buurten = sources.boundaries_at(year, "buurt", offline=offline)
    if buurten is None:
        return coverage.population_points(frame.areas)
    kwb = sources.kwb_at(year, "buurt", offline=True)
    weights = None
    if kwb is not None:
        rows = kwb.frame[kwb.frame["level"] == "buurt"].set_index("code")
        weights = coverage.target_population(rows, group.demand)
    return coverage.population_points(frame.areas, buurten.frame.set_index("code"), weights)


def run(params: ReportParameters | None = None, **changes) -> Analysis:
    """Run the analysis chain (see the module docstring).

    Parameters
    ----------
    params
        The choices of this run (:class:`mgg_geo.parameters.ReportParameters`;
        default: all defaults).
    **changes
        Fields of :class:`~mgg_geo.parameters.ReportParameters` to change,
        e.g. ``run(level="buurt", draws=200, offline=True)``.
    """
    p = (params or ReportParameters()).replace(**changes) if changes else (params or ReportParameters())
    munis = list(p.municipalities)
    group = catalogue.target_group(p.target_group)
    frame = areas_mod.build(p.level, kwb_year=p.kwb_year, health_year=p.health_year, boundary_year=p.boundary_year,
                            offline=p.offline)
    year = frame.sources["boundaries"]["year"]
    layers = initiatives.boundary_layers(year=year, offline=p.offline)
    register = initiatives.load(p.register_path or settings.REGISTER_PATH, boundaries=layers,
                                reference_date=p.reference_date, geocode=p.geocode, offline=p.offline)
    sites = coverage.select_sites(register.initiatives, ages=group.ages, include_unknown_ages=p.include_unknown_ages)
    active = register.active
    excluded = active[coverage.unknown_ages(active) & ~active.index.isin(sites.index)]
    province = frame.areas.copy()
    province["target_population"] = coverage.target_population(province, group.demand)
    points = population_points(frame, p.level, group, offline=p.offline)
    cov = coverage.coverage(province, sites, points=points, demand=group.demand)
    named = [n for n in initiatives.NAMED_PROGRAMMES if (sites["programme"] == n).any()]
    per_programme = coverage.coverage_by_programme(province, sites, named, points=points, demand=group.demand)
    region = province[province["gemeente_code"].isin(munis)].copy()
    if region.empty:
        raise DataError(f"No {p.level} areas for {', '.join(munis)} in the boundaries used.")
    eligible = pd.to_numeric(region.get("population"), errors="coerce") >= p.min_population
    needs = need.need_index(region, weights=p.weights or None, method=p.method, draws=p.draws, seed=p.seed,
                            indicators=group.need_indicators, eligible=eligible)
    region = region.join(needs).join(cov).join(per_programme)
    region["ranked"], region["unranked"] = gap.ranked(region, p.min_population)
    region = region.join(gap.classify(region["need_index"], region["coverage_class"], region["reach"],
                                      region["ranked"]))
    region["priority"] = gap.priority(region)
    region = gpd.GeoDataFrame(region, geometry="geometry", crs=settings.CRS_ANALYSIS)
    in_region = np.isin(points.area, region.index)
    region_points = coverage.Points(points.area[in_region], points.xy[in_region], points.share[in_region],
                                    points.code[in_region], points.name[in_region], points.weighting)
    outcomes = {code: gap.what_if(region, sites, scope=(region["gemeente_code"] == code).to_numpy(),
                                  points=region_points, k=p.k, demand=group.demand) for code in munis}
    parameters = {
        **p.to_notebook(), "municipalities": munis, "weights": need.normalise_weights(p.weights or None,
                                                                                      _domains(group)),
        "register": str(register.path), "reference_date": str(register.reference_date),
        "reach_m": coverage.REACH_M, "target_ages": list(group.ages), "points": points.weighting,
        "age_group": frame.age_group, "generated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    changes_, series = trends.changes(level=p.level, target=frame.sources["boundaries"]["indeling"],
                                      age_group=frame.age_group, offline=p.offline)
    result = Analysis(
        areas=region, register=register, quality=frame.quality[frame.quality["gemeente_code"].isin(
            [old for code in munis for old in [code] + regions.predecessors(code, 2020, year)])],
        sources=frame.sources, parameters=parameters, sites=sites,
        excluded=pd.DataFrame(excluded.drop(columns=["geometry", "area"], errors="ignore")),
        whatif_sites=_concat_geo([o.sites.assign(gemeente_code=c) for c, o in outcomes.items()]),
        whatif_areas=pd.concat([o.areas.assign(gemeente_code=c) for c, o in outcomes.items()]),
        whatif=pd.DataFrame([{"gemeente_code": c, "reason": o.reason, "reach_m": o.reach_m,
                              **{f"before_{k}": v for k, v in o.before.items()},
                              **{f"after_{k}": v for k, v in o.after.items()}}
                             for c, o in outcomes.items()]).set_index("gemeente_code"),
        vintages=frame.vintages[frame.vintages["code"].isin(region.index)],
        totals=frame.totals[frame.totals.index.isin(munis)],
        changes=changes_[changes_["code"].isin(region.index)], series=series[series["code"].isin(region.index)],
        map_breaks={"need_index": _quantile_breaks(region.loc[region["ranked"], "need_index"])})
    result.figures = pd.DataFrame([key_figures(result, code) for code in munis]).set_index("gemeente_code")
    return result


def _domains(group: catalogue.TargetGroup) -> tuple[str, ...]:
    return tuple(d for d in catalogue.DOMAINS if any(i.domain == d for i in group.need_indicators))


def _concat_geo(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame({"gemeente_code": [], "step": []}, geometry=[], crs=settings.CRS_ANALYSIS)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=settings.CRS_ANALYSIS)


def _quantile_breaks(values: pd.Series, k: int = 5) -> list[float]:
    """Upper class bounds of ``k`` quantile classes of the present values (mapclassify)."""
    import mapclassify

    present = pd.to_numeric(values, errors="coerce").dropna()
    k = max(1, min(k, present.nunique()))
    if present.empty:
        return []
    if k == 1:
        return [float(present.iloc[0])]
    return [float(b) for b in mapclassify.Quantiles(present.to_numpy(), k=k).bins]


def key_figures(result: Analysis, gemeente: str) -> dict:
    """Key figures of one municipality, as plain numbers and names (the report and the index format them).

    Physical sites and area-wide offers are counted apart; "within reach" is
    the coverage measure (target population within 3 km of a physical site).
    """
    code = regions.resolve_municipality(gemeente)
    areas = result.areas[result.areas["gemeente_code"] == code]
    sites = result.sites[result.sites["gemeente_code"] == code]
    physical = sites[~coverage.is_area_wide(sites)]
    wide = sorted({o for offers in areas["area_wide_offers"] for o in offers.split("; ") if o})
    target = float(areas["target_population"].sum())
    within = float((areas["target_population"] * areas["reach"]).sum())
    whatif = result.whatif.loc[code] if code in result.whatif.index else None
    return {
        "gemeente_code": code,
        "gemeente": regions.MUNICIPALITIES[code],
        "level": result.parameters["level"],
        "target_group": result.parameters["target_group"],
        "areas": int(len(areas)),
        "areas_ranked": int(areas["ranked"].sum()),
        "areas_small": [str(n) for n in areas.loc[areas["unranked"] == "small", "name"]],
        "areas_no_index": int((areas["unranked"] == "insufficient").sum()),
        "population": float(areas["population"].sum()) if "population" in areas else None,
        "target_population": target,
        "sites_physical": int(len(physical)),
        "sites_approximate": int(physical["placement"].isin(["area", "town"]).sum()),
        "area_wide_offers": wide,
        "excluded_unknown_age": int((result.excluded.get("gemeente_code") == code).sum())
        if len(result.excluded) else 0,
        "areas_target_cell": int((areas["gap_class"] == gap.TARGET_CLASS).sum()),
        "target_within_reach": within,
        "target_within_reach_share": within / target if target else None,
        "reach_km": coverage.REACH_M / 1000.0,
        "median_nearest_km": float(areas["nearest_km"].median()) if areas["nearest_km"].notna().any() else None,
        "top_priority": [{"code": c, "name": str(n)} for c, n in result.priorities(code, top=3)["name"].items()],
        "whatif_reason": None if whatif is None else whatif["reason"],
        "generated_at": result.parameters["generated_at"],
    }


def from_notebook(namespace: dict) -> Analysis:
    """The province analysis for a report notebook's parameters (its ``globals()``), memoised.

    The notebooks and the batch both call this with the same parameters, so a
    batch computes the province once and every notebook run finds it in the memo.
    """
    return run_cached(ReportParameters.from_namespace(namespace))


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and a hash of the library's own source (Python files and templates).

    Part of the memo key: after any code change, a saved analysis is computed again.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".json", ".css")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def memo_key(params: ReportParameters) -> str:
    """The memo key of :func:`run_cached`: parameters, date, code version and every input's checksum."""
    register = Path(params.register_path or settings.REGISTER_PATH)
    geocode = Path(settings.CACHE_DIR) / "geocode.json"
    key_source = {
        "parameters": params.analysis_key(),
        "date": str(params.reference_date or dt.date.today()),
        "code": code_version(),
        "entries": sorted((e.name, e.manifest.get("sha256")) for e in cache.entries() if e.manifest["kind"]
                          != "crosswalk"),
        "register": cache.sha256(register) if register.is_file() else str(register),
        "geocode": cache.sha256(geocode) if geocode.is_file() else None,
    }
    return hashlib.sha256(json.dumps(key_source, sort_keys=True, default=str).encode()).hexdigest()[:20]


def run_cached(params: ReportParameters | None = None, **changes) -> Analysis:
    """:func:`run`, memoised on disk in ``CACHE_DIR/analyses/<key>/`` (Parquet, GeoParquet and JSON).

    The key (:func:`memo_key`) covers the arguments, the date, the code
    version, every cache entry's checksum, the register file and the geocoding
    answers, so any change gives a new run. A saved analysis that is damaged
    or unreadable is computed again; nothing in the cache folder is ever
    executed (no pickle).
    """
    params = (params or ReportParameters()).replace(**changes) if changes else (params or ReportParameters())
    folder = Path(settings.CACHE_DIR) / "analyses" / memo_key(params)
    if folder.is_dir():
        try:
            return load(folder)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with a saved analysis, it is recomputed
            warnings.warn(MggWarning(f"The saved analysis {folder} cannot be used ({type(exc).__name__}: {exc}); "
                                     "computing it again."), stacklevel=2)
            shutil.rmtree(folder, ignore_errors=True)
    result = run(params)
    save(result, folder)
    return result


#: How each field of :class:`Analysis` is stored by :func:`save`.
_GEO_FIELDS = ("areas", "sites", "whatif_sites")
_FRAME_FIELDS = ("quality", "excluded", "whatif_areas", "whatif", "vintages", "totals", "changes", "series")
_JSON_FIELDS = ("sources", "parameters", "map_breaks")


def save(result: Analysis, folder: str | Path) -> Path:
    """Store an analysis as data files: GeoParquet, Parquet and JSON, with their sha256 in ``manifest.json``.

    The folder appears in one rename; a folder that exists already is left as it is.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    cache.remove_stale(folder.parent)
    tmp = Path(tempfile.mkdtemp(prefix=cache.temp_prefix(folder.name), dir=folder.parent))
    try:
        for name in _GEO_FIELDS + _FRAME_FIELDS:
            frame = getattr(result, name)
            frame.to_parquet(tmp / f"{name}.parquet")
        result.register.initiatives.to_parquet(tmp / "register.parquet")
        meta = {name: getattr(result, name) for name in _JSON_FIELDS}
        meta["figures"] = json.loads(result.figures.reset_index().to_json(orient="records", force_ascii=False))
        meta["register"] = {"path": str(result.register.path), "reference_date": str(result.register.reference_date),
                            "problems": [dataclasses.asdict(p) for p in result.register.problems]}
        (tmp / "analysis.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        files = {p.name: cache.sha256(p) for p in sorted(tmp.iterdir())}
        (tmp / "manifest.json").write_text(json.dumps({"code": code_version(), "files": files}), encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder


def load(folder: str | Path) -> Analysis:
    """Read an analysis written by :func:`save`, checking every file against its checksum.

    Raises
    ------
    CacheError
        When a file is missing, damaged or from another code version.
    """
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("code") != code_version():
        raise CacheError(f"{folder} was saved by another version of mgg_geo.")
    for name, digest in manifest["files"].items():
        if cache.sha256(folder / name) != digest:
            raise CacheError(f"{folder / name} does not match its checksum.")
    meta = json.loads((folder / "analysis.json").read_text(encoding="utf-8"))
    frames = {name: gpd.read_parquet(folder / f"{name}.parquet") for name in _GEO_FIELDS}
    frames.update({name: pd.read_parquet(folder / f"{name}.parquet") for name in _FRAME_FIELDS})
    reg = meta["register"]
    register = initiatives.Register(path=Path(reg["path"]), initiatives=gpd.read_parquet(folder / "register.parquet"),
                                    problems=[initiatives.Problem(**p) for p in reg["problems"]],
                                    reference_date=dt.date.fromisoformat(reg["reference_date"]))
    figures = pd.DataFrame(meta["figures"]).set_index("gemeente_code")
    return Analysis(register=register, figures=figures, **frames, **{k: meta[k] for k in _JSON_FIELDS})


#: Columns of the exported area table, in order (documented in the README).
EXPORT_COLUMNS = (
    ["name", "gemeente_code", "gemeente_name", "level", "population", "target_population", "pop_0_14", "pop_15_24",
     "pop_65plus"]
    + [i.key for i in catalogue.INDICATORS]
    + ["need_index", "need_rank", "rank_median", "rank_p05", "rank_p95", "rank_uncertain", "need_status",
       "share_present"] + [f"need_{d}" for d in catalogue.DOMAINS]
    + ["leading_domain", "below_min_population", "ranked", "reach", "coverage_class", "nearest_km", "n_1km",
       "n_3km", "n_5km", "access", "access_norm", "n_sites_physical", "n_area_wide", "area_wide_offers",
       "need_class", "gap_class", "gap_label", "gap_score", "priority", "figures_origin"]
)
#: Columns of the exported initiatives (sites) layer.
SITE_COLUMNS = ["name", "programme", "organisation", "gemeente_code", "area_wide", "area_code", "placement",
                "placement_label", "geocode_match", "geocode_score", "age_min", "age_max", "active", "row"]


def export_table(result: Analysis) -> gpd.GeoDataFrame:
    """The area table for GIS users and spreadsheets: documented columns plus per-programme coverage."""
    minimum = result.parameters["min_population"]
    frame = result.areas.assign(
        figures_origin=labels.figures_origin(result.vintages).reindex(result.areas.index).fillna("eigen cijfers"),
        gap_label=[labels.gap_label(n, c) for n, c in zip(result.areas["need_class"], result.areas["coverage_class"])],
        below_min_population=~(pd.to_numeric(result.areas["population"], errors="coerce") >= minimum))
    extra = [c for c in frame.columns if "__" in c and not c.endswith("__suppressed")]
    cols = [c for c in EXPORT_COLUMNS if c in frame] + extra
    out = frame[cols + ["geometry"]].reset_index()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


def export_sites(result: Analysis) -> gpd.GeoDataFrame:
    """The initiatives that count for the target group, with how precisely each is placed."""
    sites = result.sites.assign(placement_label=result.sites["placement"].map(labels.PLACEMENTS))
    return gpd.GeoDataFrame(sites[[c for c in SITE_COLUMNS if c in sites]], geometry=sites.geometry,
                            crs=settings.CRS_ANALYSIS).reset_index(drop=True)


def spreadsheet_text(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe.

    Names come from the register, which anyone may edit; in a CSV or XLSX export they stay data.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write(result: Analysis, path: str | Path) -> Path:
    """Write the area table as GeoPackage, CSV or XLSX (by extension), atomically.

    The GeoPackage has a second layer ``initiatieven`` and the workbook a
    second sheet with the initiatives and their placement precision; next to
    a CSV they go to ``<name>_initiatieven.csv``. CSV and XLSX carry the
    geometry as WKT (EPSG:28992) in column ``geometry``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".csv", ".xlsx"):
        raise DataError(f"{path}: choose .gpkg, .csv or .xlsx as the extension.")
    table, sites = export_table(result), export_sites(result)

    def plain(frame: gpd.GeoDataFrame) -> pd.DataFrame:
        table = pd.DataFrame(frame.drop(columns="geometry"))
        for column in table.columns:
            if table[column].dtype == object or pd.api.types.is_string_dtype(table[column]):
                table[column] = table[column].map(spreadsheet_text)
        return table.assign(geometry=frame.geometry.to_wkt())

    with cache.atomic_file(path, suffix=suffix) as tmp:
        if suffix == ".gpkg":
            tmp.unlink()  # GDAL creates the GeoPackage itself
            table.to_file(tmp, driver="GPKG", layer="gebieden")
            sites.to_file(tmp, driver="GPKG", layer="initiatieven")
        elif suffix == ".csv":
            plain(table).to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp) as writer:
                plain(table).to_excel(writer, index=False, sheet_name="gebieden")
                plain(sites).to_excel(writer, index=False, sheet_name="initiatieven")
    if suffix == ".csv":
        with cache.atomic_file(path.with_name(f"{path.stem}_initiatieven.csv"), suffix=".csv") as tmp:
            plain(sites).to_csv(tmp, index=False, encoding="utf-8-sig")
    return path

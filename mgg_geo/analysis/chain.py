"""The whole chain for a municipality or the province: areas -> need -> coverage -> gap -> what-if.

Coverage is computed on the whole province (so initiatives just across a
municipal border count), need and gap classes within the analysis region
(the requested municipalities), priorities within each municipality. The
result, :class:`Analysis`, holds everything a report shows, key figures and
the what-if per municipality included; presentation only formats it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd

from mgg_geo import settings
from mgg_geo.analysis import coverage, gap, need, trends, whatif
from mgg_geo.analysis.parameters import ReportParameters
from mgg_geo.data import areas as areas_mod
from mgg_geo.data import catalogue, regions, sources
from mgg_geo.errors import DataError
from mgg_geo.supply import initiatives


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
        (:func:`mgg_geo.analysis.whatif.what_if`).
    figures
        Key figures per municipality (:func:`key_figures`), one row each.
    quality, sources, vintages, totals, changes, series
        Data quality, source manifests, how each area's figures were obtained,
        the residents check, and change between vintages
        (:mod:`mgg_geo.data.areas`, :mod:`mgg_geo.analysis.trends`).
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
        The choices of this run (:class:`mgg_geo.analysis.parameters.ReportParameters`;
        default: all defaults).
    **changes
        Fields of :class:`~mgg_geo.analysis.parameters.ReportParameters` to change,
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
    outcomes = {code: whatif.what_if(region, sites, scope=(region["gemeente_code"] == code).to_numpy(),
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

"""The whole chain for a municipality or the province: areas -> need -> coverage -> gap -> what-if.

Everything is computed on the whole province: coverage (so initiatives just
across a municipal border count), the need index and its ranks, the need
classes (per municipality only with ``class_breaks="gemeente"``); priorities
run within each municipality, and the result keeps the areas of the
requested municipalities. The
result, :class:`Analysis`, holds everything a report shows, key figures and
the what-if per municipality included; presentation only formats it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import rules, settings
from mgg_geo.analysis import coverage, gap, need, nextschool, trends, whatif
from mgg_geo.analysis.parameters import ReportParameters, counted_statuses
from mgg_geo.data import areas as areas_mod
from mgg_geo.data import catalogue, conversion, crosswalks, kinds, regions, sources
from mgg_geo.errors import DataError
from mgg_geo.supply import initiatives
from mgg_geo.supply import schools as schools_mod

#: A municipality whose register counts fewer places than this for coverage has "few registered places": page 1
#: says that its coverage describes the register.
FEW_PLACES = 3


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
        Active initiatives left out because their age range is unknown, with
        the area they lie in (``in_area``, ``in_area_name``; None outside the
        province's areas), their place (``point_x``, ``point_y``) and the
        municipalities where counting them would bring anyone newly within
        reach (``adds_reach_in``, :func:`adds_reach`; ``adds_reach``: any).
    status_places
        The register's places that do not count for their status alone, with
        ``status`` and the same columns (:func:`status_sites`).
    whatif_sites, whatif_gains, whatif_areas, whatif
        The suggested new sites per municipality (``gemeente_code``, ``step``,
        what each gains, ...), per step the areas it reaches, the reach per
        area before and after, and per municipality the before/after figures
        and the reason when fewer sites were placed
        (:func:`mgg_geo.analysis.whatif.what_if`, need-weighted), and
        whether the first site rests on classes at their border
        (:func:`first_at_border`), and the later ones (:func:`later_at_border`).
    whatif_people, whatif_people_gains
        The same for the plain objective (target population reached,
        whatever the need), for comparison.
    schools, school_sites, school_gains, school_whatif
        The school-based where-next (:mod:`mgg_geo.analysis.nextschool`) of
        the school-based programme (STORM): every DUO school of the region
        with its placement and whether it runs the programme, the chosen
        schools per municipality and step, the areas each reaches, and per
        municipality the counts, the reason when fewer were chosen and the
        before/after figures (index ``gemeente_code``).
    youth
        The young-adult monitor (50140NED, 16-25 years): one row per gemeente
        of the region, the GGD region (``level`` ``ggd``) and the Netherlands
        (``land``); empty when it is not in the cache.
    figures
        Key figures per municipality (:func:`key_figures`), one row each.
    quality, sources, vintages, totals, changes, series
        Data quality, source manifests, how each area's figures were obtained,
        the residents check, and change between vintages
        (:mod:`mgg_geo.data.areas`, :mod:`mgg_geo.analysis.trends`).
    parameters
        The settings of this run.
    map_breaks
        Class bounds of the need map (:func:`need_breaks`): province-wide by
        default, so every report uses the same classes.
    municipalities
        The outline of every municipality of the province (EPSG:28992), for
        map context.
    comparison
        Need indicators per municipality against the province
        (:func:`indicator_comparison`).
    """

    # the required fields first, then the others in the order of the attributes above
    areas: gpd.GeoDataFrame
    register: initiatives.Register
    quality: pd.DataFrame
    sources: dict
    sites: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    excluded: pd.DataFrame = field(default_factory=pd.DataFrame)
    status_places: pd.DataFrame = field(default_factory=pd.DataFrame)
    whatif_sites: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    whatif_gains: pd.DataFrame = field(default_factory=pd.DataFrame)
    whatif_areas: pd.DataFrame = field(default_factory=pd.DataFrame)
    whatif: pd.DataFrame = field(default_factory=pd.DataFrame)
    whatif_people: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    whatif_people_gains: pd.DataFrame = field(default_factory=pd.DataFrame)
    schools: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    school_sites: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    school_gains: pd.DataFrame = field(default_factory=pd.DataFrame)
    school_whatif: pd.DataFrame = field(default_factory=pd.DataFrame)
    youth: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures: pd.DataFrame = field(default_factory=pd.DataFrame)
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    changes: pd.DataFrame = field(default_factory=pd.DataFrame)
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    parameters: dict = field(default_factory=dict)
    map_breaks: dict = field(default_factory=dict)
    municipalities: gpd.GeoDataFrame = field(default_factory=gpd.GeoDataFrame)
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)

    def near(self, frame: gpd.GeoDataFrame, code: str, distance_m: float | None = None) -> gpd.GeoDataFrame:
        """The rows of ``frame`` (places in EPSG:28992) within ``distance_m`` (m; default the largest radius of the
        site counts, :data:`mgg_geo.rules.RADII_M`) of municipality ``code``'s areas: the one rule for what its
        maps and lists show around it."""
        distance_m = max(rules.RADII_M) if distance_m is None else distance_m
        areas = self.areas[self.areas["gemeente_code"] == code]
        return frame[frame.intersects(areas.geometry.union_all().buffer(distance_m))]

    def sites_near(self, code: str, distance_m: float | None = None) -> gpd.GeoDataFrame:
        """The sites within ``distance_m`` of municipality ``code`` (:meth:`near`): what its maps show."""
        return self.near(self.sites, code, distance_m)

    def excluded_near(self, code: str, distance_m: float | None = None) -> gpd.GeoDataFrame:
        """The places of the initiatives left out for want of an age range (:attr:`excluded`, area-wide offers
        not) within ``distance_m`` of municipality ``code`` (:meth:`near`)."""
        placed = self.excluded[self.excluded["point_x"].notna()] if "point_x" in self.excluded else self.excluded[:0]
        frame = gpd.GeoDataFrame(placed.drop(columns=["point_x", "point_y"], errors="ignore"),
                                 geometry=gpd.points_from_xy(placed.get("point_x", []), placed.get("point_y", [])),
                                 crs=settings.CRS_ANALYSIS)
        return self.near(frame, code, distance_m)

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
    year = kinds.BOUNDARIES.of(frame.sources)["indeling"]
    buurten = sources.boundaries_at(year, "buurt", offline=offline)
    if buurten is None:
        return coverage.population_points(frame.areas)
    kwb = sources.kwb_at(year, "buurt", offline=True)
    weights = None
    if kwb is not None:
        rows = kwb.frame[kwb.frame["level"] == "buurt"].set_index("code")
        weights = coverage.target_population(rows, group.demand)
    return coverage.population_points(frame.areas, buurten.frame.set_index("code"), weights)


def _absent(codes: list[str], level: str, year: int) -> str:
    """Why municipalities ``codes`` have no ``level`` areas in the boundaries of ``year``, and what to do."""
    def named(group):
        return ", ".join(f"{c} {regions.MUNICIPALITIES.get(c, c)}" for c in group)

    since = regions.MUNICIPALITIES_SINCE
    merged = {c: olds for c in codes if (olds := regions.predecessors(c, year, since)) != [c]}
    other = [c for c in codes if c not in merged]
    said = []
    if merged:
        formed = "; ".join(f"{regions.MUNICIPALITIES[c]} from "
                           f"{', '.join(regions.FORMER_MUNICIPALITIES[o] for o in olds)}" for c, olds in merged.items())
        said.append(f"No {level} areas for {named(merged)} in the boundaries of {year}: they predate the merger "
                    f"({formed}, {since}). Use the boundaries of {since} or later (--boundary-year; to import them: "
                    f"{kinds.BOUNDARIES.import_command(level='LEVEL', year=since)} for each of gemeente, wijk and "
                    "buurt), or leave the municipality out (--gemeente).")
    if other:
        said.append(f"No {level} areas for {named(other)} in the {level} boundaries of {year}; import boundaries "
                    f"that hold them ({kinds.BOUNDARIES.import_command(level=level, year=year)}) or leave the "
                    "municipality out (--gemeente).")
    return " ".join(said)


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
    p = ReportParameters.resolve(params, **changes)
    munis = list(p.municipalities)
    group = catalogue.target_group(p.target_group)
    frame = areas_mod.build(p.level, kwb_year=p.kwb_year, health_year=p.health_year, boundary_year=p.boundary_year,
                            min_population=p.min_population, offline=p.offline)
    year = kinds.BOUNDARIES.of(frame.sources)["year"]
    layers = initiatives.boundary_layers(year=year, offline=p.offline)
    if "buurt" not in layers:  # the register's area codes and the coverage points are buurten of the same year
        sources.boundaries(year, "buurt", offline=p.offline)  # raises the error that names the import
    register = initiatives.load(p.register_path or settings.REGISTER_PATH, boundaries=layers,
                                reference_date=p.reference_date, geocode=p.geocode, offline=p.offline,
                                count_status=p.statuses)
    sites = coverage.select_sites(register.initiatives, ages=group.ages, include_unknown_ages=p.include_unknown_ages)
    active = register.active
    excluded = active[coverage.unknown_ages(active, group.ages) & ~active.index.isin(sites.index)]
    province = frame.areas.copy()
    province["target_population"] = coverage.target_population(province, group.demand)
    absent = [code for code in munis if not (province["gemeente_code"] == code).any()]
    if absent:  # a municipality left out silently would be a province without it
        raise DataError(_absent(absent, p.level, year))
    points = population_points(frame, p.level, group, offline=p.offline)
    province = classify_areas(province, sites, points, p, group)
    province["reach_with_uncounted"] = reach_with(province, sites, excluded, points, group)
    province["places"] = numbered_places(province, points)
    uncounted = excluded_sites(excluded, province).assign(
        adds_reach_in=adds_reach(excluded, sites, points, province["gemeente_code"]))
    uncounted["adds_reach"] = uncounted["adds_reach_in"] != ""
    uncounted["name"] = named_with_known_ages(uncounted)
    kept = status_sites(register, counted_statuses(p.to_notebook()), province, sites, points, group)
    # what counting the places kept out for their status does counts those without an age range too: one at a time,
    # each what-if put Eemsdelta's first site 500 m from the other place (review)
    kept_out = {"uncounted": (uncounted, None),
                "status": (pd.concat([uncounted, kept], ignore_index=True),
                           np.r_[np.zeros(len(uncounted), bool), np.ones(len(kept), bool)])}
    placed = uncounted[whatif.countable(uncounted)]
    outcomes, people = ({code: whatif.what_if(province, sites, scope=(province["gemeente_code"] == code).to_numpy(),
                                              points=points, k=p.k, demand=group.demand, objective=objective,
                                              also=placed[["point_x", "point_y"]].to_numpy(dtype=float))
                         for code in munis} for objective in whatif.OBJECTIVES)
    for o in (*outcomes.values(), *people.values()):  # positions in ``placed`` to names
        o.sites["also_places"] = o.sites["also_places"].map(
            lambda v: "; ".join(str(placed["name"].iloc[int(j)]) for j in str(v).split("; ") if j))
    school_list = schools_mod.load_if_available(layers=layers, geocode=p.geocode, offline=p.offline)
    programme = initiatives.SCHOOL_BASED[0]
    choice = nextschool.where_next(
        province, sites, school_list.frame if school_list is not None else None,
        schools_mod.running(register.initiatives, programme, register.reference_date), municipalities=munis,
        points=points, k=p.k, demand=group.demand, programme=programme,
        kept_out=kept_out)
    region = province[province["gemeente_code"].isin(munis)].copy()
    frame_sources = dict(frame.sources)
    regional = {kind.name: kind.fetch() for kind in kinds.with_role("region")}  # per gemeente, beside the areas
    frame_sources.update({name: data.manifest for name, data in regional.items() if data is not None})
    youth = regional.get(kinds.YOUTH.name)
    parameters = {
        **p.to_notebook(), "municipalities": munis, "weights": need.normalise_weights(p.weights, _domains(group)),
        "register": str(register.path), "reference_date": str(register.reference_date),
        "reach_m": rules.REACH_M, "target_ages": list(group.ages), "points": points.weighting,
        "age_group": frame.age_group, "generated_at": settings.now().isoformat(timespec="seconds"),
        "schools": school_list.manifest() if school_list is not None else None,
        "school_problems": school_list.problems if school_list is not None else [],
    }
    changes_, series = trends.changes(level=p.level, target=kinds.BOUNDARIES.of(frame.sources)["indeling"],
                                      age_group=frame.age_group, offline=p.offline,
                                      population=frame.areas.get("population"), min_population=p.min_population)
    quality = frame.quality.assign(report_gemeente=frame.quality["gemeente_code"].map(
        lambda c: regions.successor(c, year) if isinstance(c, str) else None))
    result = Analysis(
        areas=region, register=register, quality=quality[quality["report_gemeente"].isin(munis)],
        sources=frame_sources, parameters=parameters, sites=sites, excluded=uncounted, status_places=kept,
        whatif_sites=_concat_geo([o.sites.assign(gemeente_code=c) for c, o in outcomes.items()]),
        whatif_gains=_gains(outcomes, province),
        whatif_people=_concat_geo([o.sites.assign(gemeente_code=c) for c, o in people.items()]),
        whatif_people_gains=_gains(people, province),
        whatif_areas=pd.concat([o.areas.assign(gemeente_code=c) for c, o in outcomes.items()]),
        whatif=pd.DataFrame([{"gemeente_code": c, "reason": o.reason, "reach_m": o.reach_m,
                              **{f"before_{k}": v for k, v in o.before.items()},
                              **{f"after_{k}": v for k, v in o.after.items()},
                              **{f"people_after_{k}": v for k, v in people[c].after.items()},
                              **first_at_border(province, sites, c, o, points, group.demand),
                              **later_at_border(province, sites, c, o, points, group.demand),
                              **whatif.firsts_if_counted(province, sites, kept_out,
                                                         scope=(province["gemeente_code"] == c).to_numpy(),
                                                         outcome=o, points=points, demand=group.demand)}
                             for c, o in outcomes.items()]).set_index("gemeente_code"),
        youth=_youth_rows(youth, munis),
        schools=choice.schools, school_sites=choice.sites, school_gains=choice.gains, school_whatif=choice.summary,
        vintages=frame.vintages[frame.vintages["code"].isin(region.index)],
        totals=target_totals(frame.totals[frame.totals.index.isin(munis)], group),
        changes=changes_[changes_["code"].isin(region.index)], series=series[series["code"].isin(region.index)],
        map_breaks=need_breaks(province, p.class_breaks),
        municipalities=municipality_outlines(province),
        comparison=indicator_comparison(province, group, munis, method=p.method))
    medians = coverage.median_distance_km(province, sites, points=points, demand=group.demand)
    flags = {"estimated": estimated_flags(result), "worst": area_origins(result)}  # province-wide, once
    result.figures = pd.DataFrame([key_figures(result, code, medians.get(code), **flags) for code in munis]) \
        .set_index("gemeente_code")
    result.figures["province_rank"] = province_order(result.figures, per_gemeente=p.class_breaks == "gemeente")
    result.figures["areas_ranked_province"] = int(province["ranked"].sum())  # what need ranks count among
    return result


def classify_areas(province: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, points: coverage.Points,
                   p: ReportParameters, group: catalogue.TargetGroup) -> gpd.GeoDataFrame:
    """Need, coverage, classes and priority for every area of the province (EPSG:28992).

    The need index is standardised over the whole province, so a value means
    the same in every municipality; need classes are terciles of the ranked
    areas of the province, or of each municipality when
    ``p.class_breaks == "gemeente"``. Coverage counts sites across municipal
    borders.
    """
    cov = coverage.coverage(province, sites, points=points, demand=group.demand)
    named = [n for n in initiatives.NAMED_PROGRAMMES if (sites["programme"] == n).any()]
    per_programme = coverage.coverage_by_programme(province, sites, named, points=points, demand=group.demand)
    eligible = pd.to_numeric(province.get("population"), errors="coerce") >= p.min_population
    groups = province["gemeente_code"] if p.class_breaks == "gemeente" else None
    needs = need.need_index(province, weights=p.weights, method=p.method, draws=p.draws, seed=p.seed,
                            indicators=group.need_indicators, eligible=eligible, groups=groups)
    out = province.join(needs).join(cov).join(per_programme)
    out["ranked"], out["unranked"] = gap.ranked(out, p.min_population)
    out["partial_data"] = gap.partial_data(out, p.max_missing_share)
    out = out.join(gap.classify(out["need_index"], out["coverage_class"], out["reach"], out["ranked"],
                                groups=groups))
    out = out.join(gap.class_span(out, groups=groups))
    out["priority"] = gap.priority(out)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=settings.CRS_ANALYSIS)


def need_variant(result: Analysis, *, weights=None, method: str | None = None, target_group: str | None = None,
                 indicators: list[str] | None = None, min_population: float | None = None, draws: int = 0,
                 seed: int | None = None) -> pd.DataFrame:
    """The need index of a province-wide ``result`` computed again: without arguments exactly the reports' index
    (same target group and indicators, weights, method and minimum population for the ranks); every argument given
    is a departure from the report, e.g. ``need_variant(result, weights={"armoede": 3})``.

    Returns the frame of :func:`mgg_geo.analysis.need.need_index` (index: area code), with ``attrs["departures"]``
    naming what differs from the report (empty: the report's own index).

    Raises
    ------
    DataError
        When ``result`` does not hold the whole province: the index is standardised over the province.
    """
    if set(result.areas["gemeente_code"]) != set(regions.MUNICIPALITIES):
        raise DataError("need_variant needs the province-wide analysis (run it without choosing municipalities): "
                        "the need index is standardised over the whole province.")
    p = result.parameters
    departures = {k: v for k, v in (("weights", weights), ("method", method), ("target_group", target_group),
                                    ("indicators", indicators), ("min_population", min_population))
                  if v is not None}
    group = catalogue.target_group(target_group or p["target_group"])
    chosen = group.need_indicators if indicators is None else tuple(catalogue.INDICATOR_BY_KEY[k] for k in indicators)
    minimum = p["min_population"] if min_population is None else min_population
    eligible = pd.to_numeric(result.areas.get("population"), errors="coerce") >= minimum
    out = need.need_index(result.areas, weights=p["weights"] if weights is None else weights,
                          method=method or p["method"], indicators=chosen, eligible=eligible, draws=draws,
                          seed=p["seed"] if seed is None else seed)
    out.attrs["departures"] = departures
    return out


def need_breaks(areas: pd.DataFrame, scope: str = "provincie") -> dict:
    """Class bounds of the need map: symmetric around 0 (the province average), from the ranked areas.

    Returns ``{"need_index": [...], "scope": scope, "by_gemeente": {code: [...]}, "classes": [lo, hi],
    "classes_by_gemeente": {code: [lo, hi]}}``; the bounds are upper bounds of six classes,
    ``[-b2, -b1, 0, b1, b2, max]`` with ``b1``, ``b2`` the :data:`mgg_geo.rules.NEED_QUANTILES` of ``|need_index|``
    (province-wide; per municipality only when ``scope == "gemeente"``). ``classes`` are the bounds of the need
    classes the text speaks of (:func:`mgg_geo.analysis.gap.tercile_breaks`: low up to ``lo``, high above ``hi``),
    which are not the map's: the legend says both.
    """
    def bounds(values: pd.Series) -> list[float]:
        x = pd.to_numeric(values, errors="coerce").dropna()
        if x.empty:
            return []
        b1, b2 = (float(v) for v in np.quantile(x.abs(), list(rules.NEED_QUANTILES)))
        top = max(float(x.abs().max()), b2)
        return [-b2, -b1, 0.0, b1, b2, top]

    def terciles(values: pd.Series) -> list[float]:
        found = gap.tercile_breaks(values)
        return [float(v) for v in found] if found is not None else []

    ranked = areas.loc[areas["ranked"], ["gemeente_code", "need_index"]]
    out = {"need_index": bounds(ranked["need_index"]), "scope": scope, "by_gemeente": {},
           "classes": terciles(ranked["need_index"]), "classes_by_gemeente": {}}
    if scope == "gemeente":
        out["by_gemeente"] = {c: bounds(g["need_index"]) for c, g in ranked.groupby("gemeente_code")}
        out["classes_by_gemeente"] = {c: terciles(g["need_index"]) for c, g in ranked.groupby("gemeente_code")}
    return out


def municipality_outlines(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One outline per municipality (EPSG:28992), dissolved from its areas, with ``name``: map context."""
    outlines = areas[["gemeente_code", "geometry"]].dissolve(by="gemeente_code")
    outlines["name"] = [regions.MUNICIPALITIES.get(c, c) for c in outlines.index]
    return outlines


def indicator_comparison(areas: pd.DataFrame, group: catalogue.TargetGroup, munis: list[str], *,
                         method: str = "zscore") -> pd.DataFrame:
    """Per municipality and need indicator: the weighted mean, the province's, and areas without a figure.

    Columns ``gemeente_code``, ``indicator``, ``value``, ``province``, ``missing`` (areas left out: without the
    figure or without the count to weigh it by); means weight each area by the count its figure is a share or
    average of (:attr:`mgg_geo.data.catalogue.Indicator.base`: households, dwellings or residents), so that for
    CBS's own figures they are CBS's ratio over the municipality or province where every area has a figure (RIVM's
    figures for adults are weighted by all residents: approximately). ``reference``: what the need index scores
    the indicator against over the province's areas (:func:`mgg_geo.analysis.need.reference` for ``method``, not
    weighted), the comparison that says why an area's domain is above or below the province.
    """
    rows = []
    for ind in group.need_indicators:
        if ind.key not in areas:
            continue
        weight = pd.to_numeric(areas[ind.base], errors="coerce").fillna(0.0) if ind.base in areas \
            else pd.Series(0.0, index=areas.index)  # no count to weigh by: no average
        values = pd.to_numeric(areas[ind.key], errors="coerce")
        ok = values.notna() & (weight > 0)
        province = np.average(values[ok], weights=weight[ok]) if ok.any() else np.nan
        scored_against = float(need.reference(values, method))
        for code in munis:
            mine = areas["gemeente_code"] == code
            here = ok & mine
            rows.append({"gemeente_code": code, "indicator": ind.key,
                         "value": np.average(values[here], weights=weight[here]) if here.any() else np.nan,
                         "province": province, "reference": scored_against,
                         "missing": int((~ok & mine).sum())})  # no figure, or no count to weigh it by
    return pd.DataFrame(rows, columns=["gemeente_code", "indicator", "value", "province", "reference", "missing"])


def target_totals(totals: pd.DataFrame, group: catalogue.TargetGroup) -> pd.DataFrame:
    """The residents check (:attr:`mgg_geo.data.areas.AreaFrame.totals`) with the target group's: ``target_gemeente``
    (the sum of its age counts in CBS's municipality row), ``target_areas`` (over the areas), ``target_difference``
    and ``target_ok`` (within :func:`mgg_geo.data.conversion.rounding_margin` of its counts); NaN where a count is
    missing (review of Westerwolde: 6.405 young people against CBS's 6.430, unchecked)."""
    out = totals.copy()
    cbs = [f"gemeente_{c}" for c in group.demand]
    ours = [f"areas_{c}" for c in group.demand]
    if not set(cbs + ours) <= set(out.columns):
        return out.assign(target_gemeente=np.nan, target_areas=np.nan, target_difference=np.nan, target_ok=False)
    out["target_gemeente"] = out[cbs].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(cbs))
    out["target_areas"] = out[ours].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(ours))
    out["target_difference"] = out["target_areas"] - out["target_gemeente"]
    out["target_ok"] = out["target_difference"].abs() <= conversion.rounding_margin(out["n"], len(group.demand))
    return out


def province_order(figures: pd.DataFrame, per_gemeente: bool = False) -> pd.Series:
    """Order of the municipalities in the province overview (1 first): the largest share of the target group
    living in areas with high need and low coverage first, then the most such areas, then the highest mean need
    index. With need classes per municipality (``per_gemeente``) those shares do not compare across municipalities
    (a third of each one's areas is high), so the mean need index, standardised over the province, comes first
    (review: Stadskanaal ranked first with a mean of -0,14)."""
    key = pd.DataFrame({"share": -pd.to_numeric(figures["target_cell_share"], errors="coerce").fillna(0.0),
                        "cell": -figures["areas_target_cell"],
                        "need": -pd.to_numeric(figures["mean_need_index"], errors="coerce").fillna(-np.inf)})
    order = key.sort_values(["need", "share", "cell"] if per_gemeente else ["share", "cell", "need"],
                            kind="stable").index
    return pd.Series(range(1, len(order) + 1), index=order).reindex(figures.index)


def excluded_sites(excluded: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """The initiatives left out for want of an age range, with the area each lies in (``in_area``,
    ``in_area_name``; None when outside every area, e.g. an area-wide offer's point) and, for a physical site, its
    place (``point_x``, ``point_y``: EPSG:28992, metres; NaN for an area-wide offer), without geometry."""
    frame = pd.DataFrame(excluded.drop(columns=["geometry", "area"], errors="ignore"))
    frame["in_area"] = None
    frame["point_x"] = frame["point_y"] = np.nan
    if len(excluded):
        points = gpd.GeoDataFrame(geometry=excluded.geometry, crs=excluded.crs)
        inside = gpd.sjoin(points, areas[["geometry"]].rename_axis("in_area").reset_index(), predicate="within",
                           how="left")
        inside = inside[~inside.index.duplicated()]
        physical = ~coverage.is_area_wide(excluded)
        frame["in_area"] = inside["in_area"].where(physical).reindex(frame.index).astype(object)
        frame["in_area"] = frame["in_area"].where(frame["in_area"].notna(), None)
        rd = points.to_crs(settings.CRS_ANALYSIS).geometry
        frame["point_x"] = rd.x.where(physical & ~rd.is_empty)
        frame["point_y"] = rd.y.where(physical & ~rd.is_empty)
    frame["in_area_name"] = frame["in_area"].map(lambda c: str(areas.at[c, "name"]) if isinstance(c, str) else None)
    return frame


#: Said after the name of an initiative left out whose age range has one bound (:func:`named_with_known_ages`).
KNOWN_AGES_NOTE = "leeftijd alleen bekend"


def named_with_known_ages(frame: pd.DataFrame) -> list[str]:
    """The names of ``frame`` (initiatives left out for an unknown age range), the one bound known said with it:
    "Jeugdhonk Buurthuis Mellenshorst (leeftijd alleen bekend: vanaf 10 jaar)", so that a list of places "zonder
    leeftijdsbereik" does not deny the bound the register gives (review of the reports for people of 65+)."""
    lo = pd.to_numeric(frame.get("age_min", pd.Series(np.nan, index=frame.index)), errors="coerce")
    hi = pd.to_numeric(frame.get("age_max", pd.Series(np.nan, index=frame.index)), errors="coerce")
    out = []
    for name, a, b in zip(frame["name"], lo, hi, strict=True):
        known = f"vanaf {a:g} jaar" if a == a and b != b else f"tot en met {b:g} jaar" if b == b and a != a else ""
        out.append(f"{name} ({KNOWN_AGES_NOTE}: {known})" if known else str(name))
    return out


def adds_reach(excluded: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, points: coverage.Points,
               municipality: pd.Series) -> list[str]:
    """Per initiative left out for want of an age range, the municipalities (codes, sorted, joined by "; ") where
    counting it would bring anyone newly within the reach (:data:`mgg_geo.rules.REACH_M`): those with a population
    point within the reach of it that lies out of the reach of every counted site ('' for none). One on the point
    of a counted site adds nobody (Groningen's Centrum); one over the border may add to a neighbour (Veendam's youth
    centre to Midden-Groningen). ``municipality``: the municipality code per area code (of ``points.area``)."""
    out = [""] * len(excluded)
    if not len(excluded):
        return out
    open_ = ((coverage.point_distances(points.xy, sites[~coverage.is_area_wide(sites)]) > rules.REACH_M)
             & (points.share > 0))
    uncovered, where = points.xy[open_], municipality.reindex(points.area[open_]).to_numpy()
    geometry = excluded.geometry.to_crs(settings.CRS_ANALYSIS)
    placed = np.asarray(~coverage.is_area_wide(excluded)) & geometry.notna().to_numpy() \
        & ~geometry.is_empty.to_numpy()
    if placed.any() and len(uncovered):
        near = coverage.within_reach(coverage.xy_of(geometry[placed]), uncovered, rules.REACH_M)
        for i, row in zip(np.flatnonzero(placed), near, strict=True):
            out[i] = "; ".join(sorted({str(c) for c in where[row] if isinstance(c, str)}))
    return out


#: An area named only by its number is named with at most this many places of its buurten (:func:`numbered_places`).
PLACES_NAMED = 3


#: An area name that says no place: a number ("Wijk 13", as CBS names Westerkwartier's and Pekela's wijken), or a
#: number and a direction ("Wijk 02 Noord" in Oldambt, "Wijk 01 Oost" in Westerwolde: a reader takes "Noord" for
#: Winschoten-Noord; review).
PLACELESS_NAME = r"Wijk \d+(?: (?:Noord|Oost|Zuid|West|Midden|Centrum))?"


def numbered_places(areas: pd.DataFrame, points: coverage.Points) -> pd.Series:
    """Per area whose name says no place (:data:`PLACELESS_NAME`), the places of its buurten, "; "-joined ("Ezinge;
    Feerwerd; Garnwerd": in CBS's order of the buurt codes, the scattered houses left out; the reports name
    :data:`PLACES_NAMED`), so that a reader can find it; '' for every other area."""
    out = pd.Series("", index=areas.index, dtype=object)
    numbered = areas.index[areas["name"].astype(str).str.fullmatch(PLACELESS_NAME)]
    if not len(numbered) or points.weighting == "area":
        return out
    buurten = pd.DataFrame({"area": points.area, "code": points.code, "name": points.name}).drop_duplicates("code")
    # the scattered houses are no place ("Verspreide huizen Ezinge", "Overige verspreide huizen")
    buurten = buurten[buurten["area"].isin(numbered)
                      & ~buurten["name"].astype(str).str.contains("verspreide huizen", case=False)]
    for area, rows in buurten.sort_values("code").groupby("area"):
        out[area] = "; ".join(dict.fromkeys(str(n) for n in rows["name"]))  # all; the reports name PLACES_NAMED
    return out


def at_lower_border(areas: pd.DataFrame) -> pd.Series:
    """Per area, whether its need class rests on a border with a lower class: the 5-95% margin of its rank reaches
    the lower class (``need_class_low`` below ``need_class``, :func:`gap.class_span`); False without margins."""
    if "need_class_low" not in areas:
        return pd.Series(False, index=areas.index)
    return pd.to_numeric(areas["need_class_low"], errors="coerce") < pd.to_numeric(areas["need_class"],
                                                                                     errors="coerce")


def at_higher_border(areas: pd.DataFrame, scope: np.ndarray, open_: np.ndarray) -> pd.Index:
    """The areas of ``scope`` whose class margin reaches a higher class (``need_class_high`` above ``need_class``,
    :func:`gap.class_span`) and that have some of their target group out of reach (``open_``: raising one wholly
    within reach changes no gain), the nearest to the higher class first (best ``need_rank``): each is tried one
    at a time (raising them all at once named an alternative that needs every one to cross: Oldambt)."""
    if "need_class_high" not in areas:
        return pd.Index([])
    now = pd.to_numeric(areas["need_class"], errors="coerce")
    high = pd.to_numeric(areas["need_class_high"], errors="coerce")
    up = areas.index[np.asarray(scope, bool) & (high > now).to_numpy() & np.asarray(open_, bool)]
    ranks = pd.to_numeric(areas.loc[up, "need_rank"], errors="coerce") if "need_rank" in areas \
        else pd.Series(0.0, index=up)
    return ranks.sort_values(kind="stable").index


def later_at_border(province: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, code: str, outcome: whatif.WhatIf,
                    points: coverage.Points, demand) -> dict:
    """Whether municipality ``code``'s later proposed sites (step 2 on) rest on need classes at their border, step 1
    kept where it is (:func:`first_at_border` tries that one), both ways:

    * lower: the areas they reach whose class margin reaches a lower class (:func:`at_lower_border`), each tried
      one class lower on its own, and the steps that then move (step 1 too: an area it reaches may move it, and
      the later steps cannot be said with step 1 kept then: review of Westerwolde, whose report lowered Ter Apel,
      which moves step 1, and kept step 1). Pekela's steps 2 and 3 reach Wijk 01 at its border, but it is the only
      wijk left: they stay (round 2 of the review: the report said only that it was not tried);
    * higher: each area of the municipality with some of its target group out of reach before the proposal whose
      margin reaches a higher class and that, one class higher, would move a later step to reach it (Het
      Hogeland's Uithuizermeeden and Warffum, priorities 2 and 3, would each pull step 2: round 2; one the proposal
      reaches in full may still pull a step forward: an attack).

    Returns ``later_border`` (the lower ones' codes, "; "-joined; '' for none), ``later_if_lower`` (per lower one,
    the steps that would change, as JSON: ``[[area, [[step, name, area], ...]], ...]`` in step order, name and
    area null for a step no longer taken, an empty list when none would; '' for none) and ``later_border_up``
    (per higher one that moves a step, step 1 kept, the same JSON; '' for none). JSON: buurt names are CBS's text.
    """
    out = {"later_border": "", "later_if_lower": "", "later_border_up": ""}
    if len(outcome.sites) < 2 or "need_class_low" not in province:
        return out
    scope = (province["gemeente_code"] == code).to_numpy()
    now_classes = pd.to_numeric(province["need_class"], errors="coerce")
    first = gpd.GeoDataFrame({"area_wide": [False]}, geometry=[outcome.sites.geometry.iloc[0]],
                             crs=outcome.sites.crs).to_crs(sites.crs)
    with_first = gpd.GeoDataFrame(pd.concat([sites, first]), crs=sites.crs)
    every = outcome.sites.set_index("step")

    def differing(then: pd.DataFrame, steps: pd.Index) -> list[list]:
        """The ``steps`` of the proposal that ``then`` (steps by number) takes elsewhere, as ``[step, name, area]``
        (name and area None for a step no longer taken)."""
        return [[int(step), None, None] if step not in then.index
                else [int(step), str(then.at[step, "name"]), str(then.at[step, "area"])]
                for step in steps if step not in then.index or then.at[step, "code"] != every.at[step, "code"]]

    def changes(classes: pd.Series) -> tuple[list[list], whatif.WhatIf]:
        """The later steps with ``classes``, step 1 kept: those that differ, as ``[step, name, area]``."""
        alternative = whatif.what_if(province.assign(need_class=classes), with_first, scope=scope, points=points,
                                     k=len(outcome.sites) - 1, demand=demand, reach_m=outcome.reach_m)
        then = alternative.sites.assign(step=alternative.sites["step"] + 1).set_index("step")
        return differing(then, every.index[every.index > 1]), alternative

    gains = outcome.gains[outcome.gains["step"] > 1]
    border = at_lower_border(province)
    at = [a for a in dict.fromkeys(gains["area"]) if border.get(a, False)]
    lowered = []
    for area in at:  # each on its own, the whole proposal again
        classes = now_classes.copy()
        classes[area] = classes[area] - 1
        then = whatif.what_if(province.assign(need_class=classes), sites, scope=scope, points=points,
                              k=len(outcome.sites), demand=demand, reach_m=outcome.reach_m).sites.set_index("step")
        lowered.append([str(area), differing(then, every.index)])
    if at:
        out["later_border"], out["later_if_lower"] = "; ".join(at), json.dumps(lowered)
    # every area with some of its target group out of reach before the proposal: one that the proposal reaches in
    # full may still pull a step forward (an attack: Noorddijk e.o. one class higher makes Lewenborg-West step 2)
    before = outcome.areas["reach_before"].reindex(province.index) if "reach_before" in outcome.areas else None
    moved = []
    for area in at_higher_border(province, scope, (before < 1).to_numpy() if before is not None
                                 else np.ones(len(province), bool)):
        classes = now_classes.copy()
        classes[area] = classes[area] + 1
        changed, alternative = changes(classes)
        if changed and area in set(alternative.gains["area"]):  # it pulls a later step to reach it
            moved.append([str(area), changed])
    out["later_border_up"] = json.dumps(moved) if moved else ""
    return out


def first_at_border(province: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, code: str, outcome: whatif.WhatIf,
                    points: coverage.Points, demand) -> dict:
    """Whether municipality ``code``'s first proposed site rests on need classes at their border, both ways
    (:func:`gap.class_span`):

    * lower: the areas its first step reaches whose class margin reaches a lower class (``need_class_low``);
      with those one class lower (one, even where the margin spans two), where the first site would go
      (Westerwolde's Barnflair rests on Ter Apel at the border of high need and would move to Vriescheloo-Zuid);
    * higher: the areas of the municipality with some of their target group out of reach whose margin reaches a
      higher class (``need_class_high``), one at a time from the best rank: the first that, one class higher,
      moves the first site to a place reaching it, and where (Oldambt's Finsterwolde-Centrum would move to
      Scheemdermeer with Scheemda-Heiligerlee high).

    Returns ``first_border`` (the lower ones' names, "; "-joined; '' for none), ``first_if_lower_name``,
    ``first_if_lower_area`` (None when the first site stays) and ``first_if_lower_equal`` (the places as good
    there, "; "-joined); ``first_border_up`` (that higher one; '' when none moves it),
    ``first_if_higher_name``, ``first_if_higher_area``, ``first_if_higher_equal``; ``first_border_up_more``: the
    others that would each move it alone, as JSON ``[[area, name, site area], ...]`` ('' for none).
    """
    out = {"first_border": "", "first_if_lower_name": None, "first_if_lower_area": None, "first_if_lower_equal": "",
           "first_border_up": "", "first_if_higher_name": None, "first_if_higher_area": None,
           "first_if_higher_equal": "", "first_border_up_more": ""}
    if not len(outcome.sites) or "need_class_low" not in province:
        return out
    scope = (province["gemeente_code"] == code).to_numpy()
    now = pd.to_numeric(province["need_class"], errors="coerce")

    def moved(changed: list[str], step: int) -> whatif.WhatIf | None:
        """The what-if with ``changed`` one class lower (``step`` -1) or higher (+1), when its first site differs
        (one class: a margin may span two, but the text speaks of one)."""
        classes = now.copy()
        classes[changed] = classes[changed] + step
        alternative = whatif.what_if(province.assign(need_class=classes), sites, scope=scope, points=points, k=1,
                                     demand=demand,
                                     reach_m=outcome.reach_m)
        first = alternative.sites
        return alternative if len(first) and first.iloc[0]["code"] != outcome.sites.iloc[0]["code"] else None

    def record(alternative: whatif.WhatIf, key: str) -> None:
        first = alternative.sites.iloc[0]
        out[f"first_if_{key}_name"], out[f"first_if_{key}_area"] = str(first["name"]), str(first["area"])
        out[f"first_if_{key}_equal"] = str(first["equal_names"] or "")

    reached = outcome.gains.loc[outcome.gains["step"] == 1, "area"]
    border = at_lower_border(province)
    down = [a for a in reached if border[a]]
    if down:
        out["first_border"] = "; ".join(str(n) for n in province.loc[down, "name"])
        if (alternative := moved(down, -1)) is not None:
            record(alternative, "lower")
    open_ = pd.to_numeric(province.get("reach", pd.Series(0.0, index=province.index)), errors="coerce") < 1
    more = []  # every other one that alone moves it (round 2: Oldambt's Midwolda, to Nieuweweg, was not named)
    for area in at_higher_border(province, scope, open_.to_numpy()):
        alternative = moved([area], +1)
        if alternative is not None and area in set(alternative.gains.loc[alternative.gains["step"] == 1, "area"]):
            if not out["first_border_up"]:
                out["first_border_up"] = str(province.at[area, "name"])
                record(alternative, "higher")
            else:
                first = alternative.sites.iloc[0]
                more.append([str(area), str(first["name"]), str(first["area"])])
    out["first_border_up_more"] = json.dumps(more) if more else ""
    return out


def reach_with(areas: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, excluded: gpd.GeoDataFrame,
               points: coverage.Points, group: catalogue.TargetGroup) -> pd.Series:
    """Per area, the coverage (share of the target group within the reach) if the initiatives left out for want
    of an age range counted too, as if they reached the whole target group: what filling in their ages could do
    at most. NaN everywhere when none is left out (nothing would change)."""
    if not len(excluded) or coverage.is_area_wide(excluded).all():
        return pd.Series(np.nan, index=areas.index)
    both = gpd.GeoDataFrame(pd.concat([sites, excluded[~coverage.is_area_wide(excluded)]]), crs=sites.crs)
    return coverage.reach(areas, both, points=points, demand=group.demand)


def status_sites(register: initiatives.Register, counted: Sequence[str], areas: gpd.GeoDataFrame,
                 sites: gpd.GeoDataFrame, points: coverage.Points, group: catalogue.TargetGroup) -> pd.DataFrame:
    """The register's places that do not count for their status alone (not ``counted``: ``gedateerd``,
    ``gepland``, ``gesloten``): not ended, not area-wide, placed, and with an age range that meets the target group
    (or none; ``ages_known`` says which). As :func:`excluded_sites` with ``status`` and ``adds_reach`` (counting it
    would bring someone newly within reach, :func:`adds_reach`): Oldambt's first proposed site lies where the closed
    Jongerencentrum 't Schienvat stood, Midden-Groningen's beside two youth centres of which the source is dated."""
    reg = register.initiatives
    if not len(reg) or "status" not in reg:
        return excluded_sites(reg[:0], areas).assign(status=pd.Series(dtype=object), adds_reach=pd.Series(
            dtype=bool), ages_known=pd.Series(dtype=bool))
    ended = initiatives.ended(reg, register.reference_date).to_numpy()
    other = reg[~reg["status"].fillna("actief").isin(list(counted)) & ~coverage.is_area_wide(reg) & ~ended
                & reg.geometry.notna() & ~reg.geometry.is_empty]
    other = coverage.select_sites(other, ages=group.ages, include_unknown_ages=True, active_only=False)
    frame = excluded_sites(other, areas)
    frame["status"] = other["status"].astype(str).to_numpy()
    frame["ages_known"] = ~coverage.unknown_ages(other, group.ages).to_numpy()
    frame["adds_reach"] = [bool(a) for a in adds_reach(other, sites, points, areas["gemeente_code"])]
    return frame


def status_near(result: Analysis, points: gpd.GeoSeries) -> list[list[tuple[str, str]]]:
    """Per point (a proposed site or school), the places that do not count for their status
    (:attr:`Analysis.status_places`) within the reach of the run (``reach_m``, metres) of it, as
    ``(name, status)``."""
    if not len(points):
        return []
    other = result.status_places
    if not len(other) or "point_x" not in other:
        return [[] for _ in range(len(points))]
    named = [(str(n), str(st)) for n, st in zip(other["name"], other["status"], strict=True)]
    near = coverage.within_reach(coverage.xy_of(points), other[["point_x", "point_y"]].to_numpy(dtype=float),
                                 float(result.parameters.get("reach_m", rules.REACH_M)))
    return [[named[j] for j in np.flatnonzero(row)] for row in near]


def uncounted_near(result: Analysis, points: gpd.GeoSeries) -> list[list[str]]:
    """Per point (a proposed site or school), the names of the initiatives left out for want of an age range
    (:attr:`Analysis.excluded`) whose place lies within the reach of the run (``reach_m``, metres) of it and that
    would bring someone newly within reach if counted (``adds_reach``): offer that the register would count there
    with its age range filled in, so that a proposal there may fall differently."""
    excluded = result.excluded
    if not len(points):
        return []
    if not len(excluded) or "point_x" not in excluded:
        return [[] for _ in range(len(points))]
    placed = excluded[whatif.countable(excluded)]
    names = [str(n) for n in placed["name"]]
    near = coverage.within_reach(coverage.xy_of(points), placed[["point_x", "point_y"]].to_numpy(dtype=float),
                                 float(result.parameters.get("reach_m", rules.REACH_M)))
    return [[names[j] for j in np.flatnonzero(row)] for row in near]


def _gains(outcomes: dict, areas: pd.DataFrame) -> pd.DataFrame:
    """Per municipality, step and area reached: the target population newly within reach."""
    frames = [o.gains.assign(gemeente_code=c) for c, o in outcomes.items() if len(o.gains)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["step", "area", "gained", "need_class", "gemeente_code"])
    out["area_name"] = out["area"].map(areas["name"]).astype(object)
    out["partial_data"] = out["area"].map(areas["partial_data"]).fillna(False).astype(bool)
    return out


def _youth_rows(youth, munis: list[str]) -> pd.DataFrame:
    """The young-adult monitor's rows for the municipalities, the GGD region and the Netherlands."""
    if youth is None:
        return pd.DataFrame()
    frame = youth.frame
    keep = (frame["level"] == "land") | frame["code"].isin([*munis, catalogue.PROVINCE_GGD])
    return pd.DataFrame(frame[keep]).reset_index(drop=True)


def _domains(group: catalogue.TargetGroup) -> tuple[str, ...]:
    return tuple(d for d in catalogue.DOMAINS if any(i.domain == d for i in group.need_indicators))


def _concat_geo(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The frames one after another; with no rows at all, still with their columns (an empty what-if is a table
    of no steps, not a table without columns)."""
    kept = [f for f in frames if len(f)] or frames[:1]
    if not kept:
        return gpd.GeoDataFrame({"gemeente_code": [], "step": []}, geometry=[], crs=settings.CRS_ANALYSIS)
    return gpd.GeoDataFrame(pd.concat(kept, ignore_index=True), geometry="geometry", crs=settings.CRS_ANALYSIS)


def _by_programme(physical: gpd.GeoDataFrame) -> list[dict]:
    """The physical sites counted, per programme (most first): ``programme``, ``sites`` and the lowest and highest
    age (years; None where the register gives none), what the coverage of a municipality rests on."""
    out = []
    for programme, group in physical.groupby("programme", sort=False):
        lo, hi = (pd.to_numeric(group.get(c), errors="coerce") for c in ("age_min", "age_max"))
        out.append({"programme": str(programme), "sites": int(len(group)),
                    "age_min": None if lo.isna().all() else float(lo.min()),
                    "age_max": None if hi.isna().all() else float(hi.max())})
    return sorted(out, key=lambda r: (-r["sites"], r["programme"]))


def key_figures(result: Analysis, code: str, median_nearest_km: float | None = None, *,
                estimated: pd.Series | None = None, worst: pd.Series | None = None) -> dict:
    """Key figures of municipality ``code``, as plain numbers and names (JSON-safe; reports format them).

    Physical sites and area-wide offers are counted apart; "within reach" is
    the coverage measure (target population within reach of a physical site, :data:`mgg_geo.rules.REACH_M`).
    ``gap_counts`` counts areas per bivariate class (``""``: not ranked);
    ``origins`` tells how the areas got their figures (:func:`origins`);
    ``missing_figures`` counts, per indicator, the areas without its figure by why (:func:`missing_figures`) and
    ``suppressed`` those among them whose figure CBS/RIVM did not publish;
    ``sites_by_programme`` counts the physical sites per programme with their ages (:func:`_by_programme`);
    ``sites_points`` counts the distinct points of the physical sites and
    ``sites_shared`` lists the points several sites share; ``excluded_names``
    names the initiatives left out for want of an age range, ``excluded_across_border`` those of other
    municipalities that would bring some of its target group newly within reach (:func:`_across_border`);
    ``target_in_target_cell`` is the target population in areas with high need
    and low coverage (``target_cell_share`` its share of the target group);
    ``areas_partial`` names the areas flagged "onvolledige gegevens";
    ``top_priority``: the first three priorities, each with ``partial_data``, ``estimated`` ("deels geschat",
    :func:`estimated_flags`) and ``origin`` (how its figures were obtained, :func:`area_origins`);
    ``register_*`` say what the register holds for the municipality
    (:func:`register_holdings`); ``median_nearest_km`` is given: the distance (km) within which half of the
    target population lives (:func:`mgg_geo.analysis.coverage.median_distance_km`, over the population's points).
    """
    areas = result.areas[result.areas["gemeente_code"] == code]
    sites = result.sites[result.sites["gemeente_code"] == code]
    physical = sites[~coverage.is_area_wide(sites)]
    wide = sorted({o for offers in areas["area_wide_offers"] for o in offers.split("; ") if o})
    target = float(areas["target_population"].sum())
    within = float((areas["target_population"] * areas["reach"]).sum())
    whatif = result.whatif.loc[code] if code in result.whatif.index else None
    need_index = pd.to_numeric(areas.loc[areas["ranked"], "need_index"], errors="coerce")
    cell = areas["gap_class"] == rules.TARGET_CLASS
    in_cell = float(areas.loc[cell, "target_population"].sum())
    partial = areas["partial_data"].astype(bool)
    excluded = result.excluded[result.excluded["gemeente_code"] == code] if len(result.excluded) else result.excluded
    points = _shared_points(physical, result.areas)
    estimated = estimated_flags(result) if estimated is None else estimated  # given by run: computed once
    worst = area_origins(result) if worst is None else worst
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
        "population_year": kinds.KWB.of(result.sources).get("year"),  # CBS counts residents on 1 January
        "target_population": target,
        "sites_physical": int(len(physical)),
        "sites_approximate": int(physical["placement"].isin(initiatives.APPROXIMATE).sum()),
        "sites_points": int(len(points)),
        "sites_shared": [p for p in points if len(p["names"]) > 1],
        "sites_by_programme": _by_programme(physical),
        "area_wide_offers": wide,
        "excluded_unknown_age": int(len(excluded)),
        "excluded_names": [str(n) for n in excluded["name"]] if len(excluded) else [],
        "excluded_area_wide": int(excluded["area_wide"].fillna(False).astype(bool).sum()) if len(excluded) else 0,
        "excluded_across_border": _across_border(result.excluded, code),
        "areas_target_cell": int(cell.sum()),
        "target_in_target_cell": in_cell,
        "target_cell_share": in_cell / target if target else None,
        "areas_target_cell_partial": int((cell & partial).sum()),
        "areas_partial": [str(n) for n in areas.loc[partial, "name"]],
        "max_missing_share": float(result.parameters.get("max_missing_share", rules.MAX_MISSING_SHARE)),
        "gap_counts": {str(k): int(v) for k, v in areas["gap_class"].value_counts().items()},
        "mean_need_index": float(need_index.mean()) if need_index.notna().any() else None,
        "target_within_reach": within,
        "target_within_reach_share": within / target if target else None,
        # with the initiatives without an age range counted (for the whole target group): None when none is left out
        "target_within_reach_share_with_uncounted": (
            float((areas["target_population"] * areas["reach_with_uncounted"]).sum()) / target
            if target and "reach_with_uncounted" in areas and areas["reach_with_uncounted"].notna().any() else None),
        "reach_km": result.parameters.get("reach_m", rules.REACH_M) / 1000.0,
        "median_nearest_km": None if median_nearest_km is None or np.isnan(median_nearest_km)
        else float(median_nearest_km),
        "top_priority": [{"code": c, "name": str(r["name"]), "partial_data": bool(r["partial_data"]),
                          "estimated": bool(estimated[c]), "origin": str(worst[c])}
                         for c, r in result.priorities(code, top=3).iterrows()],
        "whatif_reason": whatif["reason"] if whatif is not None and isinstance(whatif["reason"], str) else None,
        "origins": origins(result, code),
        **missing_figures(result, code),
        **register_holdings(result, code),
        "generated_at": result.parameters["generated_at"],
    }


def missing_figures(result: Analysis, code: str) -> dict:
    """The missing figures of municipality ``code``'s areas, counted per indicator and reason (JSON-safe).

    ``missing_figures``: per indicator with a missing figure (in catalogue order) the number of areas per reason of
    :data:`mgg_geo.data.areas.MISSING_REASONS` (only the reasons that occur) and ``total``, the areas without the
    figure (what the comparison with the province counts as "without a figure"); ``suppressed``: per indicator the
    areas whose figure CBS/RIVM did not publish (reason ``suppressed``: an area without residents or a figure the
    report did not estimate is not counted here). A missing figure is never 0.
    """
    areas = result.areas[result.areas["gemeente_code"] == code]
    reasons = areas_mod.missing_reasons(areas, result.vintages)
    counts = {}
    for key in reasons.columns:
        found = reasons[key].value_counts()
        if len(found):
            counts[key] = {**{r: int(found[r]) for r in areas_mod.MISSING_REASONS if r in found},
                           "total": int(found.sum())}
    return {"missing_figures": counts,
            "suppressed": {k: c["suppressed"] for k, c in counts.items() if c.get("suppressed")}}


#: Why a register row does not count for the target group, in the order they are tested.
NOT_COUNTED = ("ended", "status", "unknown_age", "partial_age", "other_age")


def register_holdings(result: Analysis, code: str) -> dict:
    """What the register holds for municipality ``code`` and what of it counts for coverage (JSON-safe).

    ``register_places``: rows placed in the municipality (all statuses); ``register_counted``: those among the
    sites that count for the target group; ``register_reasons``: per reason the rows that do not count (the status
    name for a status not counted, ``ended``, ``unknown_age``, ``partial_age`` (one age bound, which does not say
    whether the row serves the target group: :func:`~mgg_geo.analysis.coverage.unknown_ages`), ``other_age``: the
    first that applies, in the order of :data:`NOT_COUNTED`); ``register_by_programme``: rows per programme and
    status, with how many count;
    ``register_rows``: every row with its name, programme, status, source date, ``reason`` (``counted`` or a
    reason) and ``also_no_age`` (not counted for another reason and without an age range too: that reason
    alone lifted would still not count it; a row left out only for its age range has ``reason`` ``unknown_age``);
    ``register_few``: fewer than :data:`FEW_PLACES` count.
    """
    reg = result.register.initiatives
    mine = reg[reg["gemeente_code"] == code]
    counted_status = set(counted_statuses(result.parameters))
    ended = initiatives.ended(mine, result.register.reference_date)
    counted = set(result.sites.index)
    none = coverage.unknown_ages(mine)
    partial = coverage.unknown_ages(mine, catalogue.target_group(result.parameters.get("target_group")).ages) & ~none
    rows = []
    for i, r in mine.iterrows():
        status = str(r.get("status") or "actief")
        unknown = bool(none[i] or partial[i])
        if i in counted:
            reason = "counted"
        elif ended[i]:
            reason = "ended"
        elif status not in counted_status:
            reason = status
        elif unknown:
            reason = "partial_age" if partial[i] else "unknown_age"
        else:
            reason = "other_age"
        source_date = r.get("source_date")
        rows.append({"name": str(r["name"]), "programme": str(r["programme"]), "status": status,
                     "source_date": str(source_date) if isinstance(source_date, str) and source_date else None,
                     "area_wide": bool(r.get("area_wide", False)), "reason": reason,
                     "also_no_age": bool(none[i]) and reason not in ("counted", "unknown_age", "partial_age")})
    frame = pd.DataFrame(rows, columns=["name", "programme", "status", "source_date", "area_wide", "reason",
                                        "also_no_age"])
    reasons = frame.loc[frame["reason"] != "counted", "reason"].value_counts()
    by_programme = [{"programme": str(p), "status": str(st), "n": int(len(g)), "counted": int((g["reason"] ==
                                                                                            "counted").sum())}
                    for (p, st), g in frame.groupby(["programme", "status"], sort=True)]
    n_counted = int((frame["reason"] == "counted").sum())
    return {"register_places": int(len(frame)), "register_counted": n_counted,
            "register_reasons": {str(k): int(v) for k, v in reasons.items()},
            "register_by_programme": by_programme, "register_rows": rows, "register_few": n_counted < FEW_PLACES}


def _across_border(excluded: pd.DataFrame, code: str) -> list[str]:
    """The initiatives of other municipalities left out for want of an age range whose counting would bring some
    of municipality ``code``'s target group newly within reach (``adds_reach_in``)."""
    if not len(excluded) or "adds_reach_in" not in excluded:
        return []
    reach = excluded["adds_reach_in"].fillna("").str.split("; ").map(lambda codes: code in codes)
    return [str(n) for n in excluded.loc[reach & (excluded["gemeente_code"] != code), "name"]]


def _shared_points(physical: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> list[dict]:
    """The distinct points of physical sites (to the metre): per point the site names and the area it lies in."""
    if physical.empty:
        return []
    keys = list(zip(physical.geometry.x.round(0), physical.geometry.y.round(0), strict=True))
    out: dict[tuple, dict] = {}
    for key, name, point in zip(keys, physical["name"], physical.geometry, strict=True):
        if key not in out:
            hit = areas.index[areas.geometry.contains(point)]
            out[key] = {"names": [], "area": str(areas.at[hit[0], "name"]) if len(hit) else None}
        out[key]["names"].append(str(name))
    return list(out.values())


#: How an area got its figures, worst last: an area counts once, by its worst status over the source tables.
ORIGIN_STATUSES = ("own", "renamed", "renumbered", "overlap", "fingerprint", "average", "missing")


def origin_status(quality: pd.DataFrame) -> pd.Series:
    """Per data-quality row (:func:`mgg_geo.data.areas.quality_table`) its status (:data:`ORIGIN_STATUSES`)."""
    status = pd.Series(None, index=quality.index, dtype=object)
    status[quality["problem"] == "converted"] = quality["relation"]
    status[quality["problem"] == "estimated"] = np.where(quality["tier"] == "fingerprint", "fingerprint", "overlap")
    status[quality["problem"] == "average"] = "average"
    status[quality["problem"].isin(["missing", "withheld"])] = "missing"
    return status


#: The statuses whose figures are estimates from the areas of the source's year (overlap, CBS's figures, the former
#: municipalities' average), not moved unchanged; the evidence, not always a changed boundary, is in the labels.
ESTIMATED_STATUSES = ("overlap", "fingerprint", "average")


def _own_quality(result: Analysis) -> pd.DataFrame:
    """The data-quality rows of every area in its own municipality's report."""
    own = result.areas["gemeente_code"].reindex(result.quality["code"]).to_numpy()
    return result.quality[result.quality["report_gemeente"].to_numpy() == own]


def estimated_flags(result: Analysis) -> pd.Series:
    """Per area of the analysis (index as ``result.areas``), whether at least one of its figures is estimated: a
    source table's figure moved onto the area with a status of :data:`ESTIMATED_STATUSES`. The one rule behind
    "deels geschat" in the reports, the maps and the exports."""
    quality = _own_quality(result)
    estimated = set(quality.loc[origin_status(quality).isin(ESTIMATED_STATUSES), "code"])
    return pd.Series(result.areas.index.isin(list(estimated)), index=result.areas.index, dtype=bool)


def area_origins(result: Analysis) -> pd.Series:
    """Per area of the analysis (index as ``result.areas``), how it got its figures: its worst status over the
    source tables (:data:`ORIGIN_STATUSES`, worst last; ``own`` when every table has its own figures)."""
    quality = _own_quality(result)
    return _worst(origin_status(quality).dropna(), quality, result.areas.index)


def _worst(status: pd.Series, quality: pd.DataFrame, index: pd.Index) -> pd.Series:
    """Per area of ``index``, the worst of its data-quality rows' ``status`` (:data:`ORIGIN_STATUSES`, worst
    last); ``own`` where it has none."""
    top = status.map(ORIGIN_STATUSES.index).groupby(quality.loc[status.index, "code"]).max()
    return top.map(lambda i: ORIGIN_STATUSES[i]).reindex(index).fillna("own")


def estimated_areas(result: Analysis, code: str) -> list[str]:
    """The areas of municipality ``code`` (in the order of the area table) with at least one estimated figure
    (:func:`estimated_flags`)."""
    flags = estimated_flags(result)
    return [c for c in result.areas.index[result.areas["gemeente_code"] == code] if flags[c]]


def origins(result: Analysis, code: str) -> dict:
    """How the areas of municipality ``code`` got their figures: number of areas and residents per status.

    Each area counts once, by its worst status over the source tables
    (:data:`ORIGIN_STATUSES`, worst last; ``own`` when every table has its own
    figures). ``other`` lists the source tables on another indeling than the
    boundaries (kind: table id, year, indeling); ``converted`` those of them
    whose figures of some area of this municipality are not its own (another
    code or name, an estimate, missing), each with its own ``counts`` and
    ``residents`` per status (Eemsdelta's wijken of KWB 2021 are those of 2024,
    only its RIVM 2020 figures are converted); ``evidence`` the kinds of
    evidence the conversions of this municipality rest on, strongest first
    (:data:`mgg_geo.data.crosswalks.EVIDENCE`); ``missing_names`` the areas
    without some figures.
    """
    areas = result.areas[result.areas["gemeente_code"] == code]
    quality = _own_quality(result)
    quality = quality[quality["code"].isin(areas.index)]
    status = origin_status(quality).dropna()
    residents = pd.to_numeric(areas.get("population"), errors="coerce")

    def tally(rows: pd.Series) -> tuple[pd.Series, dict]:
        worst = _worst(rows, quality, areas.index)
        return worst, {"counts": {k: int(v) for k, v in worst.value_counts().items()},
                       "residents": {k: float(v) for k, v in residents.groupby(worst).sum().items()}}

    worst, overall = tally(status)
    bounds = kinds.BOUNDARIES.of(result.sources)
    target = bounds.get("indeling", bounds["year"])
    other = {kind.name: {"table_id": m.get("table_id"), "year": m.get("year"), "indeling": m.get("indeling")}
             for kind, m in kinds.present(result.sources)
             if kind.role == "figures" and m.get("indeling", target) != target}
    kind_of = result.vintages.drop_duplicates("source").set_index("source")["kind"]
    by_kind = quality.loc[status.index, "source"].map(kind_of)
    converted = {kind: tally(status[by_kind == kind])[1] for kind in other if (by_kind == kind).any()}
    tiers = result.vintages[result.vintages["code"].isin(areas.index) & (result.vintages["relation"] != "same")]
    used = {t for t in tiers["tier"] if isinstance(t, str)}
    return {"target": target, "other": other, "converted": converted, **overall,
            "evidence": [t for t in crosswalks.EVIDENCE if t in used],
            "missing_names": [str(n) for n in areas.loc[worst[worst == "missing"].index, "name"]]}

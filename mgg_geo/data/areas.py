"""The area frame: boundaries of one year with every figure moved onto them, one row per area.

Boundaries are pinned to one year, the **target indeling**. Each source table
(Kerncijfers, RIVM health) belongs to its own indeling (see
:mod:`mgg_geo.data.catalogue`); a table on another indeling is moved onto the
boundaries through a crosswalk (:func:`mgg_geo.data.conversion.to_indeling`), never
joined by code alone. What was converted, estimated or lost is recorded per
area and source:

* :attr:`AreaFrame.vintages`: per area and source, the relation (same,
  renamed, renumbered, split, merged, reshaped, average or missing), the
  evidence it rests on (``tier``), the source codes and the reason for
  anything missing;
* :attr:`AreaFrame.quality`: the data-quality table of the reports, in Dutch,
  with the residents affected;
* :attr:`AreaFrame.totals`: per municipality, the sum of the areas' residents
  against CBS's own municipality row (a test of the whole conversion).

**No rate on an empty area.** An area without residents gets no rate moved
onto it from another indeling, and an area with fewer residents than
``min_population`` no estimated rate: a rate of nobody, or one guessed from a
neighbour for a handful of people, is no figure of that area
(Eemshavengebied has no residents; the RIVM figure of old WK196605 belongs to
Uithuizermeeden).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import rules, settings
from mgg_geo.data import cache, catalogue, conversion, crosswalks, regions, sources, vintages
from mgg_geo.errors import CacheError, DataError, MggWarning, SourceError

#: Dutch names of the sources, as the reports show them.
SOURCE_LABELS = {"kwb": "KWB", "health": "RIVM"}


@dataclass
class AreaFrame:
    """Areas of one level with their figures, the data-quality tables and the sources used.

    Attributes
    ----------
    areas
        GeoDataFrame in EPSG:28992, index ``code``; columns ``name``,
        ``gemeente_code``, ``gemeente_name``, the concepts, the indicators of
        :data:`mgg_geo.data.catalogue.INDICATORS` and the target population, each
        with a ``__suppressed`` flag.
    quality
        One row per problem (see :func:`quality_table`): ``code``, ``name``,
        ``gemeente_code``, ``source``, ``problem``, ``relation``, ``cause``,
        ``from_codes``, ``residents`` (persons affected) and ``detail``.
    vintages
        One row per area and source: ``code``, ``source`` (e.g. "KWB 2021"),
        ``kind`` (kwb, health), ``relation``, ``from_codes``, ``exact``,
        ``tier`` (the evidence, :data:`mgg_geo.data.crosswalks.EVIDENCE`),
        ``evidence`` (its figures), ``withheld`` (rates not moved onto an
        area without residents or below the minimum: ``no_residents``,
        ``few_residents``), ``reason`` and ``cause`` (see
        :data:`mgg_geo.data.crosswalks.CAUSES`).
    totals
        Per source and municipality: the municipality row (``gemeente``),
        the sum over its areas (``areas``), ``difference`` and ``ok``.
    sources
        The manifests of the tables used, each with its ``indeling``.
    """

    areas: gpd.GeoDataFrame
    quality: pd.DataFrame
    sources: dict[str, dict] = field(default_factory=dict)
    level: str = "wijk"
    municipalities: list[str] = field(default_factory=list)
    age_group: str = catalogue.HEALTH_DEFAULT_AGE
    vintages: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: pd.DataFrame = field(default_factory=pd.DataFrame)
    crosswalks: dict[str, crosswalks.Crosswalk] = field(default_factory=dict)


def _boundaries(level: str, year: int | None, kwb_year: int, municipalities, offline: bool) -> sources.Dataset:
    """Boundaries of ``year``; by default the newest cached ones from the KWB year on (today's areas), else the
    KWB year's, else the newest published."""
    if year is not None:
        return sources.boundaries(year, level, municipalities=municipalities, offline=offline)
    cached = cache.find("boundaries", level=level)
    if cached is not None and int(cached.manifest["year"]) >= kwb_year:
        return sources.boundaries(int(cached.manifest["year"]), level, municipalities=municipalities, offline=True)
    try:
        return sources.boundaries(kwb_year, level, municipalities=municipalities, offline=offline)
    except (SourceError, CacheError) as exc:
        if cached is not None:
            return sources.boundaries(None, level, municipalities=municipalities, offline=True)
        if offline or getattr(exc, "status", None) != 404:
            raise
    for candidate in sorted(catalogue.KWB_TABLES, reverse=True):
        try:
            return sources.boundaries(candidate, level, municipalities=municipalities)
        except SourceError as exc:
            if exc.status != 404:
                raise
    years = ", ".join(map(str, catalogue.KWB_TABLES))
    raise SourceError(f"No {level} boundaries are published for any year of {years}.")


def _label(data: sources.Dataset) -> str:
    m = data.manifest
    return f"{SOURCE_LABELS[m['kind']]} {m['year']}"


def onto(data: sources.Dataset, rows: pd.DataFrame, *, level: str, target: int, codes: pd.Index,
         offline: bool) -> tuple[pd.DataFrame, pd.DataFrame, crosswalks.Crosswalk]:
    """One table's figures on the boundary codes ``codes`` of indeling ``target``.

    Returns the figures (index ``codes``), the per-area provenance and the crosswalk.
    """
    columns = [c for c in rows.columns if c in catalogue.CONCEPTS]
    converted, provenance, cw = conversion.to_indeling(rows, level=level, source=data.indeling, target=target,
                                                     columns=columns, offline=offline)
    provenance = provenance.reindex(codes)
    unknown = provenance["relation"].isna() & provenance["reason"].isna()
    provenance.loc[unknown, "cause"] = "no_evidence" if cw.links.empty else "not_linked"
    provenance.loc[unknown, "reason"] = (f"no {data.indeling} {level} links to this code: "
                                         f"{vintages.link_advice(level, data.indeling, target, offline=offline)}")
    if data.indeling == target:
        provenance.loc[unknown, "reason"] = f"code not in {_label(data)} (indeling {target})"
    return converted.reindex(codes), provenance, cw


def build(level: str = "wijk", *, municipalities=None, kwb_year: int | None = None, health_year: int | None = None,
          boundary_year: int | None = None, age_group: str = catalogue.HEALTH_DEFAULT_AGE,
          min_population: float | None = None, offline: bool = False) -> AreaFrame:
    """Build the area frame for the province or some of its municipalities.

    Parameters
    ----------
    level
        ``wijk`` or ``buurt`` (``gemeente`` works too).
    municipalities
        GM codes or names; None or "all": the 10 municipalities.
    kwb_year, health_year
        Vintages; None: the defaults of :func:`mgg_geo.data.sources.kwb` /
        :func:`mgg_geo.data.sources.health` (health: a table on the boundary
        year's indeling is preferred).
    boundary_year
        None: the newest boundaries in the cache from the KWB year on, else
        the KWB year's, else the newest published. Every table is moved onto
        this year's indeling.
    age_group
        RIVM age group for the health indicators (18+, 18-64, 65+).
    min_population
        Areas with fewer residents get no estimated rate from another
        indeling (areas without residents get none at all); default
        :data:`mgg_geo.rules.MIN_POPULATION`.
    offline
        Use the cache only.

    Raises
    ------
    DataError
        When nothing links the Kerncijfers to the boundaries: the message
        names the files that would (and the commands that import them).
    """
    level = regions.check_level(level)
    min_population = rules.MIN_POPULATION if min_population is None else min_population
    munis = regions.resolve_municipalities(municipalities)
    kwb = sources.kwb(kwb_year, offline=offline, level=level)
    bounds = _boundaries(level, boundary_year, kwb.manifest["year"], munis, offline)
    target = bounds.indeling
    try:
        health = sources.health(health_year, level=level, indeling=target, offline=offline)
    except (SourceError, DataError, CacheError) as exc:
        if health_year is not None:
            raise
        warnings.warn(MggWarning(f"No RIVM health figures at {level} level: {exc}"), stacklevel=2)
        health = None

    areas = bounds.frame.set_index("code")
    areas["gemeente_name"] = areas["gemeente_code"].map(regions.MUNICIPALITIES)
    codes = areas.index
    provenance, crosswalks, parts = [], {}, []
    tables = [(kwb, kwb.frame)]
    if health is not None:
        rows = health.frame[health.frame["age_group"] == age_group]
        if rows.empty:
            warnings.warn(MggWarning(f"RIVM {health.manifest['year']} has no age group {age_group!r}."), stacklevel=2)
        tables.append((health, rows))
    for data, rows in tables:
        figures, prov, cw = onto(data, rows, level=level, target=target, codes=codes, offline=offline)
        parts.append((_label(data), figures))
        crosswalks[_label(data)] = cw
        provenance.append(prov.assign(source=_label(data), kind=data.manifest["kind"]).reset_index())
    _check_reached(kwb, parts[0][1], level=level, target=target, areas=areas)
    for (label, figures), (data, rows) in zip(parts[1:], tables[1:], strict=True):
        linked = figures.drop(columns=[c for c in figures if c.endswith("__suppressed")]).notna().any().any()
        if not linked and data.indeling != target and (rows["level"] == level).any():
            warnings.warn(MggWarning(
                f"{label} (indeling {health.indeling}) reaches none of the {vintages.plural(level)} of {target}: "
                f"{vintages.link_advice(level, health.indeling, target, offline=offline)}."), stacklevel=2)
    for _, figures in parts:
        areas = areas.join(figures[[c for c in figures.columns if c not in areas]], how="left")
    vintage = pd.concat(provenance, ignore_index=True).reindex(
        columns=["code", "source", "kind", "relation", "from_codes", "exact", "tier", "evidence", "reason", "cause"])
    vintage["exact"] = vintage["exact"].fillna(False).astype(bool)
    areas, vintage = withhold_rates(areas, vintage, parts, min_population=min_population)

    flags = [c for c in areas.columns if c.endswith("__suppressed")]
    areas[flags] = areas[flags].fillna(False).astype(bool)  # no link is not a suppressed figure
    indicators = catalogue.compute_indicators(areas)
    areas = pd.concat([areas, indicators.drop(columns=[c for c in indicators if c in areas])], axis=1)
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=settings.CRS_ANALYSIS)
    areas.index.name = "code"
    used = {"kwb": kwb.manifest, "boundaries": bounds.manifest}
    simplified = sources.simplified_by(bounds.manifest)  # the attribution credits who simplified the geometry
    if simplified:
        used["boundaries"] = {**bounds.manifest, "simplified_by": simplified}
    if health is not None:
        used["health"] = health.manifest
    for manifest in used.values():
        manifest.setdefault("indeling", sources.indeling_of(manifest))
    totals = kwb_totals(kwb, areas, level=level, target=target, offline=offline)
    quality = quality_table(areas, vintage, crosswalks, totals, level=level)
    areas = areas.sort_index()
    return AreaFrame(areas=areas, quality=quality, sources=used, level=level, municipalities=munis,
                     age_group=age_group, vintages=vintage, totals=totals, crosswalks=crosswalks)


def _check_reached(kwb: sources.Dataset, figures: pd.DataFrame, *, level: str, target: int,
                   areas: pd.DataFrame) -> None:
    """One clear error when the Kerncijfers reach none of the areas (with no residents nothing can be analysed):
    also per buurt, where a table without buurt rows left every buurt without residents, and the reports said
    "0 inwoners" and "te klein om te rangschikken" for all of them."""
    if not (kwb.frame["level"] == level).any():
        raise DataError(
            f"The Kerncijfers of {kwb.manifest['year']} ({kwb.manifest.get('table_id')}) in the cache have no "
            f"{level} rows: import a Kerncijfers wijken en buurten file with {vintages.plural(level)} "
            f"(mgg-geo import kwb FILE --year YYYY; README, 'Offline route').")
    if "population" not in figures:
        return
    if figures["population"].reindex(areas.index).notna().any():
        return
    source = kwb.indeling
    raise DataError(
        f"The Kerncijfers of {kwb.manifest['year']} ({kwb.manifest.get('table_id')}, indeling {source}) cannot be "
        f"moved onto the {vintages.plural(level)} of {target}: nothing links the two indelingen. To link them, "
        f"{vintages.link_advice(level, source, target)} (README, 'Offline route').")


def withhold_rates(areas: pd.DataFrame, vintage: pd.DataFrame, parts: list[tuple[str, pd.DataFrame]], *,
                   min_population: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """No rate moved onto an area without residents, and no estimated rate onto an area below ``min_population``.

    Counts stay (a count of 0 is a figure). The areas concerned keep their
    relation in ``vintage`` with ``withheld`` set to ``no_residents`` or
    ``few_residents``.
    """
    vintage = vintage.assign(withheld=None)
    if "population" not in areas:
        return areas, vintage
    residents = pd.to_numeric(areas["population"], errors="coerce")
    rates = {source: [c for c in figures.columns if c in catalogue.CONCEPTS and conversion.rule_of(c) == "rate"]
             for source, figures in parts}
    for i, row in vintage.iterrows():
        if not isinstance(row["relation"], str) or row["relation"] == "same" or row["code"] not in residents.index:
            continue
        people = residents[row["code"]]
        if people == 0:
            why = "no_residents"
        elif people < min_population and not row["exact"]:
            why = "few_residents"
        else:
            continue
        vintage.at[i, "withheld"] = why
        for column in rates.get(row["source"], []):
            if pd.notna(areas.at[row["code"], column]):
                areas.at[row["code"], column] = np.nan
                areas.at[row["code"], f"{column}__suppressed"] = False
    return areas, vintage


#: Why an area has no figure for an indicator (:func:`missing_reasons`), in the order they are tested: ``empty``
#: (the area has no residents, or none of what the figure is a share of: a figure of nobody), ``not_converted`` (the
#: source's figure was not moved onto the area: not estimated for an area with too few residents, or no link between
#: the indelingen; see ``withheld`` and ``relation`` in :attr:`AreaFrame.vintages`) and ``suppressed`` (CBS/RIVM
#: published no figure for it: kept secret or unknown).
MISSING_REASONS = ("empty", "not_converted", "suppressed")


def missing_reasons(areas: pd.DataFrame, vintages: pd.DataFrame,
                    indicators=catalogue.INDICATORS) -> pd.DataFrame:
    """Per area and indicator, why its figure is missing: one of :data:`MISSING_REASONS`, the first that applies.

    A missing figure stays missing (never 0); this only says why, so that every count of missing figures can say
    what it counts.

    Parameters
    ----------
    areas
        The area table (:attr:`AreaFrame.areas`): ``population``, the indicators, their ``__suppressed`` flags and
        their denominators.
    vintages
        Per area and source the relation and ``withheld`` (:attr:`AreaFrame.vintages`).
    indicators
        The indicators to look at (those absent from ``areas`` are left out).

    Returns
    -------
    pandas.DataFrame
        Index as ``areas``, one column per indicator: the reason where its figure is missing, None where it has one.
    """
    residents = pd.to_numeric(areas["population"], errors="coerce") if "population" in areas \
        else pd.Series(np.nan, index=areas.index)
    unconverted = vintage_gaps(vintages)
    out = {}
    for ind in indicators:
        if ind.key not in areas:
            continue
        missing = pd.to_numeric(areas[ind.key], errors="coerce").isna()
        flag = f"{ind.key}__suppressed"
        flagged = areas[flag].fillna(False).astype(bool) if flag in areas else pd.Series(False, index=areas.index)
        nothing = residents == 0
        if ind.denominator is not None and ind.denominator in areas:  # a share of nothing (e.g. no households)
            nothing |= (pd.to_numeric(areas[ind.denominator], errors="coerce") == 0) & ~flagged
        kinds = {catalogue.CONCEPTS[c].source for c in ind.concepts if c in catalogue.CONCEPTS}
        gap = areas.index.isin([code for kind, codes in unconverted.items() if kind in kinds for code in codes])
        reason = np.select([missing & nothing, missing & gap, missing], list(MISSING_REASONS), default="")
        out[ind.key] = pd.Series([r or None for r in reason], index=areas.index, dtype=object)
    return pd.DataFrame(out, index=areas.index, dtype=object)


def vintage_gaps(vintages: pd.DataFrame) -> dict[str, set[str]]:
    """Per kind of source (``kwb``, ``health``) the areas whose figures were not moved onto them: withheld (too few
    or no residents) or not linked (no relation)."""
    if not len(vintages) or "kind" not in vintages:
        return {}
    withheld = vintages["withheld"].map(lambda w: isinstance(w, str)) if "withheld" in vintages \
        else pd.Series(False, index=vintages.index)
    gaps = vintages[withheld | vintages["relation"].isna()]
    return {str(kind): set(group["code"]) for kind, group in gaps.groupby("kind")}


#: The counts of persons by age whose sum over the areas is checked against CBS's municipality row as well (a target
#: group is a sum of them: :attr:`mgg_geo.data.catalogue.TargetGroup.demand`).
AGE_COUNTS = ("pop_0_14", "pop_15_24", "pop_65plus")


def kwb_totals(kwb: sources.Dataset, areas: pd.DataFrame, *, level: str, target: int, offline: bool) -> pd.DataFrame:
    """Residents per municipality: the sum over the areas shown against CBS's own municipality row; and per count
    of :data:`AGE_COUNTS` the same two figures (``gemeente_<count>``, ``areas_<count>``: a target group's check,
    review of Westerwolde: 6.405 young people against CBS's 6.430, unchecked).

    Both sides come from the same Kerncijfers table; the municipality row is
    moved to the target indeling too (a merger sums its former
    municipalities). Municipalities whose row cannot be moved are left out.
    """
    empty = pd.DataFrame(columns=["gemeente", "areas", "n", "difference", "ok", "source"])
    if "population" not in kwb.frame or level == "gemeente":
        return empty
    counts = ["population", *(c for c in AGE_COUNTS if c in kwb.frame and c in areas)]
    municipal, _, _ = conversion.to_indeling(kwb.frame, level="gemeente", source=kwb.indeling, target=target,
                                           columns=counts, offline=offline)
    if municipal.empty:
        return empty
    shown = pd.DataFrame({"code": areas.index, "level": level, "gemeente_code": areas["gemeente_code"].to_numpy(),
                          **{c: areas[c].to_numpy() if c in areas else np.nan for c in counts}})
    rows = pd.DataFrame({"code": municipal.index, "level": "gemeente", "gemeente_code": municipal.index,
                         **{c: municipal[c].to_numpy() if c in municipal else np.nan for c in counts}})
    both = pd.concat([rows, shown], ignore_index=True)
    totals = conversion.check_totals(both, "population", level=level)
    for c in counts[1:]:
        by_count = conversion.check_totals(both, c, level=level)
        totals[f"gemeente_{c}"] = by_count["gemeente"].reindex(totals.index)
        totals[f"areas_{c}"] = by_count["areas"].reindex(totals.index)
    totals = totals[totals.index.isin(areas["gemeente_code"].unique())]
    return totals.assign(source=_label(kwb))


QUALITY_COLUMNS = ["code", "name", "gemeente_code", "source", "problem", "relation", "tier", "cause", "from_codes",
                   "residents", "detail"]


def quality_table(areas: pd.DataFrame, vintage: pd.DataFrame, crosswalks: dict, totals: pd.DataFrame, *,
                  level: str) -> pd.DataFrame:
    """The data-quality rows, one per problem.

    ``problem`` is one of: ``converted`` (figures of another indeling moved
    unchanged: another code or name), ``estimated`` (split, merged or
    reshaped: ``tier`` says from what evidence), ``average`` (the merged
    municipality's average), ``withheld`` (no rate on an area without or
    with too few residents: ``cause`` says which), ``missing`` (no
    trustworthy link: ``cause`` says why), ``unused`` (a source code whose
    figures reach no area) and ``totals`` (a municipality whose areas do not
    add up to CBS's own row). ``residents`` is the number of residents of the
    area concerned.
    """
    residents = areas["population"] if "population" in areas else pd.Series(np.nan, index=areas.index)
    rows = []
    for row in vintage.itertuples():
        withheld = getattr(row, "withheld", None)
        if row.relation == "same" and not isinstance(withheld, str):
            continue
        if isinstance(withheld, str):
            problem = "withheld"
        elif not isinstance(row.relation, str):
            problem = "missing"
        else:
            problem = "converted" if row.exact else "average" if row.relation == "average" else "estimated"
        cause = withheld if isinstance(withheld, str) else row.cause if isinstance(row.cause, str) else None
        rows.append({"code": row.code, "name": areas.at[row.code, "name"],
                     "gemeente_code": areas.at[row.code, "gemeente_code"], "source": row.source, "problem": problem,
                     "relation": row.relation if isinstance(row.relation, str) else None,
                     "tier": row.tier if isinstance(row.tier, str) else None, "cause": cause,
                     "from_codes": row.from_codes, "residents": residents.get(row.code),
                     "detail": row.reason if isinstance(row.reason, str) else row.evidence})
    for source, cw in crosswalks.items():
        for item in cw.unmatched[cw.unmatched["side"] == "from"].drop_duplicates("code").itertuples():
            if not regions.is_area_code(item.code) or regions.level_of(item.code) != level:
                continue
            rows.append({"code": item.code, "name": item.name, "gemeente_code": regions.municipality_of(item.code),
                         "source": source, "problem": "unused", "relation": None, "tier": None, "cause": item.cause,
                         "from_codes": None, "residents": np.nan, "detail": item.reason})
    for gm, t in totals.iterrows():
        if not t["ok"]:
            rows.append({"code": gm, "name": regions.MUNICIPALITIES.get(gm, gm), "gemeente_code": gm,
                         "source": t["source"], "problem": "totals", "relation": None, "tier": None, "cause": None,
                         "from_codes": None, "residents": abs(t["difference"]),
                         "detail": f"{level} residents add up to {t['areas']:.0f}, CBS gives {t['gemeente']:.0f}"})
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS)

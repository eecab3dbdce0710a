"""The area frame: boundaries joined with KWB and RIVM figures, one row per area.

Boundaries are pinned to one year; KWB and RIVM figures are joined on the
stripped CBS code. Codes that do not match between vintages (Eemsdelta was
formed in 2021, so RIVM 2020 has no WK1979.. codes; buurt codes change too)
are never dropped silently: every unmatched code is a row of the data-quality
table :attr:`AreaFrame.quality`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from . import cache, catalogue, regions, settings, sources
from .errors import DataError, MggWarning, SourceError


@dataclass
class AreaFrame:
    """Areas of one level with their figures, the data-quality table and the sources used.

    Attributes
    ----------
    areas
        GeoDataFrame in EPSG:28992, index ``code``; columns ``name``,
        ``gemeente_code``, ``gemeente_name``, the concepts, the indicators of
        :data:`mgg_geo.catalogue.INDICATORS` and the target population, each
        with a ``__suppressed`` flag.
    quality
        One row per problem: ``code``, ``name``, ``source``, ``issue`` (Dutch).
    sources
        The manifests of the KWB, health and boundary tables used.
    """

    areas: gpd.GeoDataFrame
    quality: pd.DataFrame
    sources: dict[str, dict] = field(default_factory=dict)
    level: str = "wijk"
    municipalities: list[str] = field(default_factory=list)
    age_group: str = settings.HEALTH_DEFAULT_AGE


def _source_codes(frame: pd.DataFrame, level: str, municipalities: list[str], year: int) -> set[str]:
    wanted = set(municipalities)
    if year <= 2020 and "GM1979" in wanted:
        wanted |= set(regions.FORMER_MUNICIPALITIES)
    rows = frame[(frame["level"] == level) & frame["gemeente_code"].isin(wanted)]
    return set(rows["code"])


def _boundaries(level: str, year: int | None, kwb_year: int, municipalities, offline: bool) -> sources.Dataset:
    if year is not None:
        return sources.boundaries(year, level, municipalities=municipalities, offline=offline)
    pinned = cache.find("boundaries", year=kwb_year, level=level)
    if pinned is not None or not offline:
        try:
            return sources.boundaries(kwb_year, level, municipalities=municipalities, offline=offline)
        except SourceError:
            if cache.find("boundaries", level=level) is None:
                raise
    data = sources.boundaries(None, level, municipalities=municipalities, offline=True)
    warnings.warn(MggWarning(
        f"No {level} boundaries of {kwb_year} (the KWB year); using those of {data.manifest['year']}. "
        "Codes that differ between the two years are listed in the data-quality table."), stacklevel=3)
    return data


def build(level: str = "wijk", *, municipalities=None, kwb_year: int | None = None, health_year: int | None = None,
          boundary_year: int | None = None, age_group: str = settings.HEALTH_DEFAULT_AGE,
          offline: bool = False) -> AreaFrame:
    """Build the area frame for the province or some of its municipalities.

    Parameters
    ----------
    level
        ``wijk`` or ``buurt`` (``gemeente`` works too).
    municipalities
        GM codes or names; None or "all": the 10 municipalities.
    kwb_year, health_year
        Vintages; None: the defaults of :func:`mgg_geo.sources.kwb` /
        :func:`mgg_geo.sources.health`.
    boundary_year
        None: the KWB year; when those boundaries cannot be had, the newest
        cached ones (with a warning).
    age_group
        RIVM age group for the health indicators (18+, 18-64, 65+).
    offline
        Use the cache only.
    """
    if level not in regions.LEVELS:
        raise DataError(f"Unknown level {level!r}; choose one of {', '.join(regions.LEVELS)}.")
    munis = regions.resolve_municipalities(municipalities)
    kwb = sources.kwb(kwb_year, offline=offline)
    try:
        health = sources.health(health_year, level=level, offline=offline)
    except (SourceError, DataError) as exc:
        if health_year is not None:
            raise
        warnings.warn(MggWarning(f"No RIVM health figures at {level} level: {exc}"), stacklevel=2)
        health = None
    bounds = _boundaries(level, boundary_year, kwb.manifest["year"], munis, offline)

    areas = bounds.frame.set_index("code")
    areas["gemeente_name"] = areas["gemeente_code"].map(regions.MUNICIPALITIES)
    quality: list[dict] = []
    boundary_codes = set(areas.index)

    def join(data: sources.Dataset | None, label: str, rows: pd.DataFrame | None):
        nonlocal areas
        if data is None or rows is None:
            return
        year = data.manifest["year"]
        source_codes = _source_codes(rows, level, munis, year)
        rows = rows[rows["level"] == level].drop_duplicates("code").set_index("code")
        concept_cols = [c for c in rows.columns if c.split("__")[0] in catalogue.CONCEPTS]
        areas = areas.join(rows[concept_cols], how="left")
        for code in sorted(boundary_codes - source_codes):
            quality.append({"code": code, "name": areas.at[code, "name"], "source": label,
                            "issue": f"geen cijfers in {label} (code bestaat niet in die jaargang)"})
        for code in sorted(source_codes - boundary_codes):
            quality.append({"code": code, "name": rows.at[code, "name"] if "name" in rows else None, "source": label,
                            "issue": f"code uit {label} niet in de gebiedsindeling {bounds.manifest['year']}"})

    kwb_label = f"KWB {kwb.manifest['year']}"
    join(kwb, kwb_label, kwb.frame)
    if health is not None:
        hrows = health.frame[health.frame["age_group"] == age_group]
        if hrows.empty:
            warnings.warn(MggWarning(f"RIVM {health.manifest['year']} has no age group {age_group!r}."), stacklevel=2)
        join(health, f"RIVM {health.manifest['year']}", hrows)

    indicators = catalogue.compute_indicators(areas)
    areas = pd.concat([areas, indicators.drop(columns=[c for c in indicators if c in areas])], axis=1)
    areas = gpd.GeoDataFrame(areas, geometry="geometry", crs=settings.CRS_ANALYSIS)
    areas.index.name = "code"
    used = {"kwb": kwb.manifest, "boundaries": bounds.manifest}
    if health is not None:
        used["health"] = health.manifest
    quality_frame = pd.DataFrame(quality, columns=["code", "name", "source", "issue"])
    return AreaFrame(areas=areas.sort_index(), quality=quality_frame, sources=used, level=level,
                     municipalities=munis, age_group=age_group)

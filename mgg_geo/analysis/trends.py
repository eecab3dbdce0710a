"""Change between vintages, per area, after moving every vintage onto one indeling.

Figures of different years are only compared on the same boundaries: each
vintage is moved onto the target indeling first (:func:`mgg_geo.data.conversion.to_indeling`),
and a change is only stated where both values exist and the definition did
not change in between (:meth:`mgg_geo.data.catalogue.Concept.comparable`).

Which areas are compared
------------------------
Each value has a **basis**, from how it reached today's area:

``exact``
    the area's own figure (same area, possibly another code or name);
``geometry``
    estimated from the overlap of both years' boundaries;
``estimate``
    estimated from fingerprints (a changed boundary without geometry);
``average``
    the merged municipality's average.

An area is compared only when both values are ``exact``, or both were moved
onto today's area by ``geometry`` (the same overlap applied to both years:
the corrected comparison). Otherwise a difference may be the boundary's, not
the area's: the verdict is ``boundary`` ("grens gewijzigd, niet
vergelijkbaar"), or ``not_own`` where a value is the municipality's average.

What counts as a change
-----------------------
A difference within the figures' own uncertainty reads "no clear change":

* RIVM health estimates (percentages of adults) are model-based small-area
  estimates: a difference of at most :data:`HEALTH_THRESHOLD` percentage
  points is no clear change. RIVM publishes 95 % bounds per area (``Marges``);
  the files used here hold only the point estimate, so a fixed threshold of
  the size of those bounds at wijk level stands in for them.
* Kerncijfers shares (income, housing) come from registers and are
  published with one decimal: at most :data:`KWB_RATE_THRESHOLD` points is
  no clear change.
* Counts (residents) are rounded to 5 per area: a change of at most
  :data:`COUNT_THRESHOLD` persons or :data:`COUNT_SHARE` of the first value
  is no clear change.

Every change carries ``estimated``: True when the values compared were
estimated from the overlap of boundaries.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mgg_geo.data import catalogue, conversion, regions, sources
from mgg_geo.errors import CacheError, DataError, SourceError

HEALTH_THRESHOLD = 2.0
KWB_RATE_THRESHOLD = 0.5
COUNT_THRESHOLD = 10.0
COUNT_SHARE = 0.01
#: Health indicators followed over time (percentages of adults, RIVM).
HEALTH_TRENDS = ("lonely", "severely_lonely", "anxiety_depression_high", "making_ends_meet")
#: Kerncijfers followed over time.
KWB_TRENDS = ("population", "low_income_share", "social_minimum_share")
COLUMNS = ["code", "gemeente_code", "indicator", "source", "first_year", "last_year", "first", "last", "change",
           "verdict", "estimated"]


#: The bases of a value (module docstring).
BASES = ("exact", "geometry", "estimate", "average")


def basis_of(provenance: pd.DataFrame) -> pd.Series:
    """Per code, how its value reached today's area: exact, geometry, estimate or average (missing: NaN)."""
    relation = provenance["relation"]
    exact = provenance["exact"].fillna(False).astype(bool)
    tier = provenance["tier"] if "tier" in provenance else pd.Series(None, index=provenance.index, dtype=object)
    basis = pd.Series(np.where(exact, "exact", np.where(relation == "average", "average",
                                                        np.where(tier == "overlap", "geometry", "estimate"))),
                      index=provenance.index, dtype=object)
    return basis.where(relation.notna())


def _values(data: sources.Dataset, rows: pd.DataFrame, *, level: str, target: int, columns: list[str],
            offline: bool) -> tuple[pd.DataFrame, pd.Series]:
    """One vintage on the target indeling: values per code, and per code its basis (:func:`basis_of`)."""
    present = [c for c in columns if c in rows]
    converted, provenance, _ = conversion.to_indeling(rows, level=level, source=data.indeling, target=target,
                                                    columns=present, offline=offline)
    return converted[present], basis_of(provenance).reindex(converted.index)


def _verdict(first: float, last: float, *, threshold: float, share: float = 0.0) -> str:
    change = last - first
    if abs(change) <= threshold or (share and abs(change) <= share * abs(first)):
        return "none"
    return "up" if change > 0 else "down"


def comparable(first: object, last: object) -> str | None:
    """None when two values of one area can be compared (both ``exact``, or both moved by ``geometry``), else
    the verdict that says why not: ``not_own`` (a municipality's average) or ``boundary``."""
    if first == last and first in ("exact", "geometry"):
        return None
    return "not_own" if "average" in (first, last) else "boundary"


def compare(series: dict[int, tuple[pd.DataFrame, pd.Series]], indicator: str, source: str, *,
            threshold: float, share: float = 0.0) -> pd.DataFrame:
    """Changes of ``indicator`` from the previous to the latest year of ``series`` (year -> values, basis).

    Only areas with a value in both years are listed, and only when the
    definition did not change in between; an area whose two values are not
    comparable (:func:`comparable`) gets that verdict instead of up, down or none.
    """
    years = sorted(y for y, (values, _) in series.items() if indicator in values and values[indicator].notna().any())
    if len(years) < 2:
        return pd.DataFrame(columns=COLUMNS)
    first_year, last_year = years[-2], years[-1]
    concept = catalogue.CONCEPTS.get(indicator)
    if concept is not None and not concept.comparable(first_year, last_year):
        return pd.DataFrame(columns=COLUMNS)
    first, basis_first = series[first_year]
    last, basis_last = series[last_year]
    both = first[indicator].dropna().index.intersection(last[indicator].dropna().index)
    a, b = first.loc[both, indicator], last.loc[both, indicator]
    bases = list(zip(basis_first.reindex(both), basis_last.reindex(both), strict=True))
    verdicts = [comparable(x, y) or _verdict(u, v, threshold=threshold, share=share)
                for (x, y), u, v in zip(bases, a, b, strict=True)]
    return pd.DataFrame({
        "code": both, "gemeente_code": [regions.municipality_of(c) for c in both], "indicator": indicator,
        "source": source, "first_year": first_year, "last_year": last_year, "first": a.to_numpy(),
        "last": b.to_numpy(), "change": (b - a).to_numpy(), "verdict": verdicts,
        "estimated": [x == "geometry" and y == "geometry" for x, y in bases],
    })


def withhold(values: pd.DataFrame, basis: pd.Series, population: pd.Series | None,
             min_population: float) -> pd.DataFrame:
    """Rates of one vintage without those of areas without residents, and without estimated rates of areas below
    ``min_population`` (as :func:`mgg_geo.data.areas.withhold_rates` does for the latest figures)."""
    if population is None:
        return values
    people = pd.to_numeric(population, errors="coerce").reindex(values.index)
    kind = basis.reindex(values.index)
    drop = (people == 0) | ((people < min_population) & (kind != "exact"))
    rates = [c for c in values.columns if conversion.rule_of(c) == "rate"]
    out = values.copy()
    out.loc[drop.to_numpy(), rates] = np.nan
    return out


def changes(*, level: str, target: int, age_group: str = catalogue.HEALTH_DEFAULT_AGE,
            offline: bool = False, population: pd.Series | None = None,
            min_population: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Changes per area between the vintages in the cache, all on the indeling of ``target``.

    The vintages compared are those in the cache (``mgg-geo data fetch --year`` or
    ``mgg-geo import`` adds more); moving them may still download the evidence
    for a crosswalk unless ``offline``. With ``population`` (residents per
    area today), no rate is followed on an area without residents, nor an
    estimated one on an area below ``min_population`` (:func:`withhold`).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The changes (:data:`COLUMNS`; ``verdict`` is up, down, none, or
        boundary / not_own where the two values are not comparable) and the
        series: one row per area, indicator and year with ``table`` (the
        source table's id), ``value``, ``basis`` and ``estimated`` (the value
        is not the area's own), for charts and the sources of a report.
    """
    frames, series_rows = [], []
    for source, indicators, threshold, share, loader in (
            ("RIVM", HEALTH_TRENDS, HEALTH_THRESHOLD, 0.0, lambda: _health(level, target, age_group, offline)),
            ("KWB", KWB_TRENDS, None, None, lambda: _kwb(level, target, offline))):
        loaded = loader()
        tables = {year: table for year, (_, _, table) in loaded.items()}
        series = {year: (withhold(values, basis, population, min_population), basis)
                  for year, (values, basis, _) in loaded.items()}
        for indicator in indicators:
            concept = catalogue.CONCEPTS[indicator]
            limit = threshold if threshold is not None else COUNT_THRESHOLD if concept.extensive else \
                KWB_RATE_THRESHOLD
            frames.append(compare(series, indicator, source, threshold=limit,
                                  share=share if share is not None else COUNT_SHARE if concept.extensive else 0.0))
            for year, (values, basis) in series.items():
                if indicator in values:
                    part = values[indicator].dropna()
                    kind = basis.reindex(part.index)
                    series_rows.append(pd.DataFrame({"code": part.index, "indicator": indicator, "source": source,
                                                     "year": year, "table": tables[year], "value": part.to_numpy(),
                                                     "basis": kind.to_numpy(),
                                                     "estimated": (kind != "exact").to_numpy()}))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
        pd.DataFrame(columns=COLUMNS)
    long = pd.concat(series_rows, ignore_index=True) if series_rows else \
        pd.DataFrame(columns=["code", "indicator", "source", "year", "table", "value", "basis", "estimated"])
    return out, long


def _health(level, target, age_group, offline) -> dict:
    series = {}
    for year in sorted(catalogue.health_periods(level)):
        try:
            data = sources.health(year, level=level, indeling=target, offline=True)
        except (CacheError, SourceError, DataError):
            continue
        rows = data.frame[data.frame["age_group"] == age_group]
        if rows.empty:
            continue
        series[year] = (*_values(data, rows, level=level, target=target, columns=list(HEALTH_TRENDS),
                                 offline=offline), data.manifest.get("table_id"))
    return series


def _kwb(level, target, offline) -> dict:
    series = {}
    for year in sorted(catalogue.KWB_TABLES):
        data = sources.kwb_at(year, level, offline=True)
        if data is None or not (data.frame["level"] == level).any():
            continue
        series[year] = (*_values(data, data.frame, level=level, target=target, columns=list(KWB_TRENDS),
                                 offline=offline), data.manifest.get("table_id"))
    return series


#: The verdicts on a change (module docstring).
VERDICTS = ("up", "down", "none", "boundary", "not_own")


def summary(frame: pd.DataFrame, indicator: str) -> dict:
    """Counts per verdict for one indicator, e.g. ``{"up": n, "down": n, "none": n, "boundary": n, ...}``."""
    counts = frame.loc[frame["indicator"] == indicator, "verdict"].value_counts()
    return {k: int(counts.get(k, 0)) for k in VERDICTS}


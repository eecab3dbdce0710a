"""Change between vintages, per area, after moving every vintage onto one indeling.

Figures of different years are only compared on the same boundaries: each
vintage is moved onto the target indeling first (:func:`mgg_geo.data.vintages.to_indeling`),
and a change is only stated where both values exist and the definition did
not change in between (:meth:`mgg_geo.data.catalogue.Concept.comparable`).

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

Every change carries ``estimated``: True when either value was estimated by a
split, merge or reshaped boundary.
"""

from __future__ import annotations

import pandas as pd

from mgg_geo.data import catalogue, regions, sources, vintages
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


def _values(data: sources.Dataset, rows: pd.DataFrame, *, level: str, target: int, columns: list[str],
            offline: bool) -> tuple[pd.DataFrame, pd.Series]:
    """One vintage on the target indeling: values per code, and per code whether it is an estimate."""
    present = [c for c in columns if c in rows]
    converted, provenance, _ = vintages.to_indeling(rows, level=level, source=data.indeling, target=target,
                                                    columns=present, offline=offline)
    estimated = ~provenance["exact"].fillna(False).astype(bool) & provenance["relation"].notna()
    return converted[present], estimated.reindex(converted.index).fillna(False)


def _verdict(first: float, last: float, *, threshold: float, share: float = 0.0) -> str:
    change = last - first
    if abs(change) <= threshold or (share and abs(change) <= share * abs(first)):
        return "none"
    return "up" if change > 0 else "down"


def compare(series: dict[int, tuple[pd.DataFrame, pd.Series]], indicator: str, source: str, *,
            threshold: float, share: float = 0.0) -> pd.DataFrame:
    """Changes of ``indicator`` from the previous to the latest year of ``series`` (year -> values, estimated).

    Only areas with a value in both years are compared, and only when the
    definition did not change in between.
    """
    years = sorted(y for y, (values, _) in series.items() if indicator in values and values[indicator].notna().any())
    if len(years) < 2:
        return pd.DataFrame(columns=COLUMNS)
    first_year, last_year = years[-2], years[-1]
    concept = catalogue.CONCEPTS.get(indicator)
    if concept is not None and not concept.comparable(first_year, last_year):
        return pd.DataFrame(columns=COLUMNS)
    first, est_first = series[first_year]
    last, est_last = series[last_year]
    both = first[indicator].dropna().index.intersection(last[indicator].dropna().index)
    a, b = first.loc[both, indicator], last.loc[both, indicator]
    return pd.DataFrame({
        "code": both, "gemeente_code": [regions.municipality_of(c) for c in both], "indicator": indicator,
        "source": source, "first_year": first_year, "last_year": last_year, "first": a.to_numpy(),
        "last": b.to_numpy(), "change": (b - a).to_numpy(),
        "verdict": [_verdict(x, y, threshold=threshold, share=share) for x, y in zip(a, b, strict=True)],
        "estimated": (est_first.reindex(both).fillna(False) | est_last.reindex(both).fillna(False)).to_numpy(),
    })


def changes(*, level: str, target: int, age_group: str = catalogue.HEALTH_DEFAULT_AGE,
            offline: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Changes per area between the vintages in the cache, all on the indeling of ``target``.

    The vintages compared are those in the cache (``mgg-geo data fetch --year`` or
    ``mgg-geo import`` adds more); moving them may still download the evidence
    for a crosswalk unless ``offline``.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The changes (:data:`COLUMNS`; ``verdict`` is up, down or none) and the
        series: one row per area, indicator and year with ``value`` and
        ``estimated``, for charts.
    """
    frames, series_rows = [], []
    for source, indicators, threshold, share, loader in (
            ("RIVM", HEALTH_TRENDS, HEALTH_THRESHOLD, 0.0, lambda: _health(level, target, age_group, offline)),
            ("KWB", KWB_TRENDS, None, None, lambda: _kwb(level, target, offline))):
        series = loader()
        for indicator in indicators:
            concept = catalogue.CONCEPTS[indicator]
            limit = threshold if threshold is not None else COUNT_THRESHOLD if concept.extensive else \
                KWB_RATE_THRESHOLD
            frames.append(compare(series, indicator, source, threshold=limit,
                                  share=share if share is not None else COUNT_SHARE if concept.extensive else 0.0))
            for year, (values, estimated) in series.items():
                if indicator in values:
                    part = values[indicator].dropna()
                    series_rows.append(pd.DataFrame({"code": part.index, "indicator": indicator, "source": source,
                                                     "year": year, "value": part.to_numpy(),
                                                     "estimated": estimated.reindex(part.index).to_numpy()}))
    out = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
        pd.DataFrame(columns=COLUMNS)
    long = pd.concat(series_rows, ignore_index=True) if series_rows else \
        pd.DataFrame(columns=["code", "indicator", "source", "year", "value", "estimated"])
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
        series[year] = _values(data, rows, level=level, target=target, columns=list(HEALTH_TRENDS), offline=offline)
    return series


def _kwb(level, target, offline) -> dict:
    series = {}
    for year in sorted(catalogue.KWB_TABLES):
        data = sources.kwb_at(year, level, offline=True)
        if data is None or not (data.frame["level"] == level).any():
            continue
        series[year] = _values(data, data.frame, level=level, target=target, columns=list(KWB_TRENDS),
                               offline=offline)
    return series


def summary(frame: pd.DataFrame, indicator: str) -> dict:
    """Counts of up, down and no clear change for one indicator: ``{"up": n, "down": n, "none": n}``."""
    counts = frame.loc[frame["indicator"] == indicator, "verdict"].value_counts()
    return {k: int(counts.get(k, 0)) for k in ("up", "down", "none")}


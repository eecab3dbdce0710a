"""Source tables for the analysis: cache first, then the live services.

:func:`kwb`, :func:`health` and :func:`boundaries` return a :class:`Dataset`
(tidy frame plus manifest). Each looks in the cache (:mod:`mgg_geo.cache`)
first; a second run therefore makes no HTTP request at all. ``refresh=True``
downloads again. When a download fails and a cached copy exists, that copy is
used with a :class:`~mgg_geo.errors.MggWarning` naming its retrieval date;
without one, a :class:`~mgg_geo.errors.SourceError` names the table, the URL
and the offline route.

The cache unit is the province: downloads always ask the server for all
municipalities of the province (in the indeling of the table's year), and
``municipalities=`` narrows the returned frame locally.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from . import cache, catalogue, cbs, pdok, regions, settings
from .errors import CacheError, MggWarning, SourceError


@dataclass
class Dataset:
    """A tidy source table and the manifest that says where it came from."""

    frame: pd.DataFrame
    manifest: dict

    @property
    def label(self) -> str:
        m = self.manifest
        return f"{m.get('title') or m['kind']} ({m.get('table_id') or 'table id unknown'}, {m['year']})"


OFFLINE_HINT = {
    "kwb": "download the table from CBS StatLine or the kwb-{year} file from cbs.nl and run "
           "'mgg-geo import kwb FILE --year {year}'",
    "health": "export the table from the RIVM StatLine catalogue (dataderden.cbs.nl) as CSV and run "
              "'mgg-geo import health FILE'",
    "boundaries": "download the CBS wijk- en buurtkaart or gebiedsindelingen {year} as GeoJSON/GeoPackage and run "
                  "'mgg-geo import boundaries FILE --level {level} --year {year}'",
}


def _hint(kind: str, year, level=None) -> str:
    return ("Offline route: " + OFFLINE_HINT[kind].format(year=year or "YYYY", level=level or "wijk")
            + " (README, 'Offline route').")


def _fetch(kind: str, year: int, download: Callable[[], tuple], *, level: str | None = None,
           refresh: bool = False, offline: bool = False, what: str = "") -> cache.Entry:
    entry = cache.find(kind, year=year, level=level)
    if entry is not None and not refresh:
        return entry
    if offline:
        raise CacheError(f"No cached {what or kind} {year}; downloading is switched off. {_hint(kind, year, level)}")
    try:
        frame, manifest = download()
    except SourceError as exc:
        if entry is not None:
            warnings.warn(MggWarning(
                f"{exc} Using the cached copy of {entry.name} retrieved {entry.manifest.get('retrieved_at')}."),
                stacklevel=3)
            return entry
        raise SourceError(f"{exc} No cached copy exists. {_hint(kind, year, level)}", url=exc.url,
                          status=exc.status) from exc
    manifest["retrieved_at"] = cache.now_utc()
    return cache.store(frame, manifest)


def _narrow(entry: cache.Entry, municipalities: Iterable[str] | None) -> Dataset:
    frame = entry.load()
    if municipalities is not None:
        codes = set(regions.resolve_municipalities(municipalities))
        if "GM1979" in codes:
            codes |= set(regions.FORMER_MUNICIPALITIES)
        frame = frame[frame["gemeente_code"].isin(codes)].reset_index(drop=True)
    return Dataset(frame, entry.manifest)


def _newest(kind: str, years: Iterable[int], fetch: Callable[[int], cache.Entry],
            good: Callable[[cache.Entry], bool]) -> cache.Entry:
    """Walk ``years`` newest first; the first fetched entry that is ``good`` wins."""
    errors = []
    fallback = None
    for year in sorted(set(years), reverse=True):
        try:
            entry = fetch(year)
        except SourceError as exc:
            if exc.status == 404:  # the table is not published (yet)
                errors.append(f"{year}: not published ({exc.url})")
                continue
            raise
        if good(entry):
            return entry
        fallback = fallback or entry
        errors.append(f"{year}: lacks the figures needed")
    if fallback is not None:
        warnings.warn(MggWarning(f"No {kind} table has all figures needed; using {fallback.name}. "
                                 + "; ".join(errors)), stacklevel=3)
        return fallback
    raise SourceError(f"No usable {kind} table found: " + "; ".join(errors))


def _has_income(entry: cache.Entry) -> bool:
    return all(c in entry.manifest.get("columns", {}) for c in catalogue.INCOME_CONCEPTS)


def kwb(year: int | None = None, *, municipalities=None, refresh: bool = False, offline: bool = False) -> Dataset:
    """Kerncijfers wijken en buurten for the province.

    Parameters
    ----------
    year
        Reference year (table per year in ``settings.KWB_TABLES``). None: the
        newest year with income figures (cached first, else the newest
        published table that has them).
    municipalities
        GM codes or names to keep (None: the whole province).
    refresh
        Download again even when a cached copy exists.
    offline
        Never download; raise :class:`~mgg_geo.errors.CacheError` when not cached.
    """
    def fetch(y: int) -> cache.Entry:
        return _fetch("kwb", y, lambda: cbs.download_kwb(y), refresh=refresh, offline=offline,
                      what="Kerncijfers wijken en buurten")

    if year is not None:
        return _narrow(fetch(year), municipalities)
    entry = None if refresh else cache.find("kwb", require=catalogue.INCOME_CONCEPTS)
    if entry is None and offline:
        entry = cache.find("kwb")
        if entry is None:
            raise CacheError(f"No Kerncijfers wijken en buurten in the cache. {_hint('kwb', None)}")
    if entry is None:
        entry = _newest("Kerncijfers wijken en buurten", settings.KWB_TABLES, fetch, _has_income)
    return _narrow(entry, municipalities)


def health(year: int | None = None, *, level: str | None = None, municipalities=None, refresh: bool = False,
           offline: bool = False) -> Dataset:
    """RIVM Gezondheid per wijk en buurt (point estimates, every age group).

    Parameters
    ----------
    year
        Survey year (2012, 2016, 2020: 50090NED; 2022: 50120NED). None: the
        newest cached table with rows at ``level``, else the newest published.
    level
        gemeente, wijk or buurt: the table must hold rows at this level.
    """
    def fetch(y: int) -> cache.Entry:
        return _fetch("health", y, lambda: cbs.download_health(y), level=level, refresh=refresh, offline=offline,
                      what="RIVM Gezondheid per wijk en buurt")

    if year is not None:
        return _narrow(fetch(year), municipalities)
    entry = None if refresh else cache.find("health", level=level)
    if entry is None and offline:
        raise CacheError(f"No RIVM health figures{' at ' + level + ' level' if level else ''} in the cache. "
                         f"{_hint('health', None)}")
    if entry is None:
        entry = _newest("RIVM health", settings.HEALTH_TABLES, fetch, lambda e: True)
    return _narrow(entry, municipalities)


def boundaries(year: int | None = None, level: str = "wijk", *, municipalities=None, refresh: bool = False,
               offline: bool = False) -> Dataset:
    """CBS boundaries of ``level`` (EPSG:28992), from PDOK gebiedsindelingen.

    Parameters
    ----------
    year
        Boundary year; pin it to the KWB table year (``MapYear``). None: the
        newest cached year at this level, else the newest KWB table year.
    level
        buurt, wijk or gemeente.
    """
    if level not in regions.LEVELS:
        raise SourceError(f"Unknown level {level!r}; choose one of {', '.join(regions.LEVELS)}.")
    if year is None:
        entry = None if refresh else cache.find("boundaries", level=level)
        if entry is not None:
            return _narrow(entry, municipalities)
        if offline:
            raise CacheError(f"No {level} boundaries in the cache. {_hint('boundaries', None, level)}")
        year = max(settings.KWB_TABLES)
    entry = _fetch("boundaries", year, lambda: pdok.download_boundaries(year, level), level=level,
                   refresh=refresh, offline=offline, what=f"{level} boundaries")
    return _narrow(entry, municipalities)

"""Source tables for the analysis: cache first, then the live services.

:func:`kwb`, :func:`health` and :func:`boundaries` return a :class:`Dataset`
(tidy frame plus manifest). Each looks in the cache (:mod:`mgg_geo.data.cache`)
first; a second run therefore makes no HTTP request at all. ``refresh=True``
downloads again. When a download fails and a cached copy exists, that copy is
used with a :class:`~mgg_geo.errors.MggWarning` naming its retrieval date;
without one, a :class:`~mgg_geo.errors.SourceError` names the table, the URL
and the offline route. When the services cannot be reached at all (no
network), the cache serves and one line says so, once per run
(:func:`offline_notice`), whatever the number of tables asked for.

The cache unit is the province: downloads always ask the server for all
municipalities of the province (in the indeling of the table's year), and
``municipalities=`` narrows the returned frame locally.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from mgg_geo.data import _http, cache, catalogue, cbs, kinds, pdok, regions
from mgg_geo.errors import CacheError, MggWarning, SourceError


def indeling_of(manifest: dict) -> int:
    """The indeling (boundary year) of a cache entry's codes: recorded, else from the catalogue."""
    if manifest.get("indeling"):
        return int(manifest["indeling"])
    spec = catalogue.table(manifest.get("table_id"))
    if manifest.get("kind") == "health" and spec is not None:
        return spec.indeling
    return int(manifest["year"])


@dataclass
class Dataset:
    """A tidy source table and the manifest that says where it came from."""

    frame: pd.DataFrame
    manifest: dict

    @property
    def label(self) -> str:
        """A short description for messages, e.g. "KWB 2021 (85039NED)"."""
        m = self.manifest
        return f"{m.get('title') or m['kind']} ({m.get('table_id') or 'table id unknown'}, {m['year']})"

    @property
    def indeling(self) -> int:
        """The boundary year the codes of this table belong to."""
        return indeling_of(self.manifest)


def _hint(kind: str, year, level=None) -> str:
    """The offline route for a missing table of ``kind``: where to get the file and its import command (both from the
    source registry)."""
    source = kinds.get(kind)
    command = source.import_command(year=year or "YYYY", level=level or "wijk")
    return (f"Offline route: {source.download.format(year=year or 'YYYY')} and run '{command}' "
            "(README, 'Offline route').")


_NOTICE: list[str] = []  # the one line of this process, once said


def offline_notice(exc: SourceError) -> None:
    """Say once per process that PDOK/CBS cannot be reached and the cached data serve (when ``exc`` means no
    connection at all; any other failure is reported where it happens)."""
    if not getattr(exc, "unreachable", False) or _NOTICE or not cache.entries(warn=False):
        return
    hosts = ", ".join(sorted(_http.unreachable_hosts())) or "PDOK/CBS"
    dates = sorted((e.manifest.get("retrieved_at") or "")[:10] for e in cache.entries(warn=False))
    when = f" van {dates[-1]}" if dates and dates[-1] else ""
    _NOTICE.append(f"geen verbinding met PDOK/CBS ({hosts}); gegevens uit de cache{when}")
    warnings.warn(MggWarning(_NOTICE[0]), stacklevel=3)


def _fetch(kind: str, year: int, download: Callable[[], tuple], *, level: str | None = None,
           refresh: bool = False, offline: bool = False, what: str = "", table_id: str | None = None) -> cache.Entry:
    entry = cache.find(kind, year=year, level=level, table_id=table_id)
    if entry is not None and not refresh:
        return entry
    if offline:
        raise CacheError(f"No cached {what or kind} {year}; downloading is switched off. {_hint(kind, year, level)}")
    try:
        frame, manifest = download()
    except SourceError as exc:
        offline_notice(exc)  # every download passes here: no connection at all is said once, here
        if entry is not None:
            if not exc.unreachable:
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
        indeling = indeling_of(entry.manifest)
        codes = {old for c in regions.resolve_municipalities(municipalities)
                 for old in [c] + regions.predecessors(c, indeling, max(regions.MUNICIPALITIES_SINCE, indeling))}
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
            if exc.unreachable and cache.find(kind_of(kind)) is not None:  # an older, cached year may serve
                errors.append(f"{year}: {exc}")
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


def kind_of(title: str) -> str:
    """The cache kind of a source named in messages ("Kerncijfers wijken en buurten" -> kwb)."""
    return "kwb" if title.startswith("Kerncijfers") else "health" if title.startswith("RIVM") else title


def _has_income(entry: cache.Entry) -> bool:
    return all(c in entry.manifest.get("columns", {}) for c in catalogue.INCOME_CONCEPTS)


def kwb(year: int | None = None, *, municipalities=None, refresh: bool = False, offline: bool = False,
        level: str | None = None) -> Dataset:
    """Kerncijfers wijken en buurten for the province.

    Parameters
    ----------
    year
        Reference year (table per year in ``catalogue.KWB_TABLES``). None: the
        newest year with income figures (cached first, else the newest
        published table that has them).
    level
        With ``year`` None: prefer a cached table with rows at this level (a
        table of municipalities only cannot describe wijken).
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
    entry = None
    if not refresh:
        entry = (cache.find("kwb", level=level, require=catalogue.INCOME_CONCEPTS) if level else None) \
            or cache.find("kwb", require=catalogue.INCOME_CONCEPTS)
        if level and (entry is None or not entry.manifest.get("levels", {}).get(level)):
            entry = cache.find("kwb", level=level) or entry
    if entry is None and offline:
        entry = cache.find("kwb")
        if entry is None:
            raise CacheError(f"No Kerncijfers wijken en buurten in the cache. {_hint('kwb', None)}")
    if entry is None:
        entry = _newest("Kerncijfers wijken en buurten", catalogue.KWB_TABLES, fetch, _has_income)
    return _narrow(entry, municipalities)


def health(year: int | None = None, *, level: str | None = None, indeling: int | None = None,
           municipalities=None, refresh: bool = False, offline: bool = False) -> Dataset:
    """RIVM Gezondheid per wijk en buurt (point estimates, every age group).

    One survey year can be in several tables, each on its own indeling
    (2020: 50090NED on 2020, 50120NED on 2022, 50150NED on 2024). The table
    whose indeling equals ``indeling`` (the boundary year) is preferred, so
    that no conversion is needed; otherwise the newest indeling.

    Parameters
    ----------
    year
        Survey year. None: the newest cached year with rows at ``level``,
        else the newest year published.
    level
        gemeente, wijk or buurt: the table must hold rows at this level.
    indeling
        The boundary year the figures will be shown on.
    """
    wanted = level or "wijk"

    def cached(period: int | None) -> cache.Entry | None:
        found = [e for e in cache.entries("health") if (period is None or e.manifest.get("year") == period)
                 and (level is None or e.manifest.get("levels", {}).get(level))]
        found.sort(key=lambda e: (e.manifest.get("year", 0), indeling_of(e.manifest) == indeling,
                                  indeling_of(e.manifest), e.manifest.get("retrieved_at", "")))
        return found[-1] if found else None

    def fetch(period: int) -> cache.Entry:
        errors = []
        for spec in catalogue.health_tables(period, level=wanted, indeling=indeling):
            try:
                return _fetch("health", period, lambda t=spec.table_id: cbs.download_health(t, period), level=level,
                              refresh=refresh, offline=offline, what=f"RIVM {spec.table_id}", table_id=spec.table_id)
            except SourceError as exc:
                if exc.status != 404:
                    raise
                errors.append(f"{spec.table_id}: not published ({exc.url})")
        raise SourceError(f"RIVM health {period}: " + "; ".join(errors or ["no table known"]), status=404)

    entry = None if refresh else cached(year)
    if entry is not None and year is not None and indeling is not None and indeling_of(entry.manifest) != indeling \
            and not offline:
        try:  # a table on the boundary year's indeling beats a conversion
            better = catalogue.health_tables(year, level=wanted, indeling=indeling)
            if better and better[0].indeling == indeling:
                entry = fetch(year)
        except SourceError:
            pass
    if entry is None and offline:
        raise CacheError(f"No RIVM health figures{' of ' + str(year) if year else ''}"
                         f"{' at ' + level + ' level' if level else ''} in the cache. {_hint('health', year)}")
    if entry is None:
        entry = fetch(year) if year is not None else _newest(
            "RIVM health", catalogue.health_periods(wanted), fetch, lambda e: bool(e.manifest["levels"].get(wanted)))
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
    level = regions.check_level(level)
    if year is None:
        entry = None if refresh else cache.find("boundaries", level=level)
        if entry is not None:
            return _narrow(entry, municipalities)
        if offline:
            raise CacheError(f"No {level} boundaries in the cache. {_hint('boundaries', None, level)}")
        year = max(catalogue.KWB_TABLES)
    entry = _fetch("boundaries", year, lambda: pdok.download_boundaries(year, level), level=level,
                   refresh=refresh, offline=offline, what=f"{level} boundaries")
    return _narrow(entry, municipalities)


# --------------------------------------------------------------------------- evidence for crosswalks


def boundaries_at(year: int, level: str, *, offline: bool = False) -> Dataset | None:
    """Boundaries of exactly ``year`` and ``level`` when they can be had (cache, else PDOK), else None."""
    entry = cache.find("boundaries", year=year, level=level)
    if entry is not None:
        return _narrow(entry, None)
    if offline:
        return None
    try:
        return boundaries(year, level)
    except (SourceError, CacheError):
        return None


def simplified_by(manifest: dict) -> str | None:
    """Who simplified a boundary layer (for its attribution): its own manifest's ``simplified_by``, or, for a layer
    made of dissolved buurten (``derived_from``), that of the cached buurten of its year; None when nothing says."""
    if manifest.get("simplified_by") or manifest.get("derived_from") != "buurt":
        return manifest.get("simplified_by")
    entry = cache.find("boundaries", year=manifest.get("year"), level="buurt")
    return entry.manifest.get("simplified_by") if entry is not None else None


def boundary_years(level: str) -> list[int]:
    """The years of the ``level`` boundaries in the cache, newest first."""
    level = regions.check_level(level)
    years = {e.manifest.get("year") for e in cache.entries("boundaries") if e.manifest.get("level") == level}
    return sorted((y for y in years if isinstance(y, int)), reverse=True)


def kwb_at(year: int, level: str, *, require: tuple[str, ...] = (), offline: bool = False) -> Dataset | None:
    """A Kerncijfers table in the indeling of ``year`` with rows at ``level`` (cache, else CBS), else None."""
    entry = cache.find("kwb", year=year, level=level, require=require)
    if entry is not None:
        return _narrow(entry, None)
    if offline or year not in catalogue.KWB_TABLES:
        return None
    try:
        data = kwb(year)
    except (SourceError, CacheError):
        return None
    has_level = (data.frame["level"] == level).any()
    return data if has_level and all(c in data.manifest.get("columns", {}) for c in require) else None

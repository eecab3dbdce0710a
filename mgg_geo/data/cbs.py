"""Live downloads from the CBS OData v3 catalogues with ``cbsodata``.

Kerncijfers wijken en buurten come from ``settings.CBS_OPENDATA_URL``
(opendata.cbs.nl), RIVM Gezondheid per wijk en buurt from
``settings.CBS_THIRD_PARTY_URL`` (dataderden.cbs.nl).

How a table is read
-------------------
1. ``cbsodata.get_meta(table, "DataProperties")``: the columns of this
   edition. Each wanted concept is found by key prefix or title
   (:func:`mgg_geo.data.catalogue.match_columns`), never by a hard-coded key, so
   the 2021-2025 editions all work. A required concept that is absent is an
   error naming the table and the concept.
2. ``cbsodata.download_data(table, select=..., filters=...)``: only the needed
   columns, filtered on the server to the municipalities of the province
   (``substring(WijkenEnBuurten,2,4) eq '0014' or ...``; for health also the
   point estimate ``Marges eq 'MW00000'`` and the period). cbsodata follows
   ``odata.nextLink`` pages; its default (``typed=False``) downloads the
   *TypedDataSet*, so missing values arrive as JSON ``null``.
3. Codes come from the padded ``WijkenEnBuurten`` key (stripped), names from
   the dimension's ``Title``.

cbsodata 1.3 builds a fresh ``requests.Session`` per page from its module
name ``Session``; :func:`_cbsodata` points that name at
:class:`mgg_geo.data._http.TrackedSession` for the duration of one call, which
gives retries, the timeout, the user agent and the nextLink-loop guard.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from urllib.parse import urlsplit

import cbsodata
import cbsodata.cbsodata3 as _cbsodata3
import pandas as pd
import requests

from mgg_geo import settings
from mgg_geo.data import catalogue, regions, tables
from mgg_geo.data._http import RequestLog, TrackedSession, describe_failure
from mgg_geo.errors import MggError, SourceError

_LOCK = threading.RLock()
#: Health dimensions: point estimate only (no 95 % bounds).
POINT_ESTIMATE = "MW00000"


def table_url(base_url: str, table_id: str) -> str:
    """The OData feed URL of a table, as cbsodata requests it."""
    return f"{base_url.rstrip('/')}/ODataFeed/odata/{table_id}/"


@contextmanager
def _cbsodata(base_url: str, log: RequestLog):
    """Point cbsodata at ``base_url`` with our session for one call; yields its ``catalog_url``."""
    parts = urlsplit(base_url)
    host = parts.netloc + parts.path.rstrip("/")
    with _LOCK:
        saved = (cbsodata.options.use_https, cbsodata.options.requests, _cbsodata3.Session)
        try:
            cbsodata.options.use_https = parts.scheme == "https"
            cbsodata.options.requests = {"proxies": requests.utils.get_environ_proxies(base_url),
                                         "timeout": settings.HTTP_TIMEOUT}
            _cbsodata3.Session = lambda: TrackedSession(log)
            yield host
        finally:
            cbsodata.options.use_https, cbsodata.options.requests, _cbsodata3.Session = saved


def _call(what: str, base_url: str, fn, *args, **kwargs):
    log = RequestLog()
    try:
        with _cbsodata(base_url, log) as host:
            return fn(*args, catalog_url=host, **kwargs)
    except MggError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear SourceError
        raise describe_failure(exc, log, what) from exc


def region_filter(numbers: list[str]) -> str:
    """OData ``$filter`` selecting every area of the given municipality numbers."""
    return " or ".join(f"substring(WijkenEnBuurten,2,4) eq '{n}'" for n in numbers)


def province_numbers(indeling: int) -> list[str]:
    """Municipality numbers of the province in ``indeling`` (see :func:`mgg_geo.data.regions.municipalities`)."""
    return [c[2:] for c in regions.municipalities(indeling)]


def map_properties(props: list[dict], concepts, *, table_id: str, url: str) -> tuple[dict, dict, list[str]]:
    """Find each concept among a table's DataProperties.

    Returns
    -------
    (mapping, columns, absent)
        ``{concept: Key}``, ``{concept: {"column", "title", "unit"}}`` and the
        optional concepts that are absent.

    Raises
    ------
    SourceError
        When a required concept is absent.
    """
    topics = [p for p in props if p.get("Type") == "Topic"]
    titles = {p["Key"]: p.get("Title") or "" for p in topics}
    mapping = catalogue.match_columns(list(titles), concepts, titles)
    missing = [c for c in concepts if c.key not in mapping and c.required]
    if missing:
        names = ", ".join(f"{c.key} ({c.label}; looked for {'/'.join(c.odata or c.titles)})" for c in missing)
        raise SourceError(
            f"Table {table_id} ({url}) lacks wanted column(s): {names}. CBS may have renamed them in this "
            "edition: add the new key or title to mgg_geo/catalogue.py, or choose another year.",
            url=url,
        )
    by_key = {p["Key"]: p for p in topics}
    columns = {k: {"column": col, "title": (by_key[col].get("Title") or "").strip(),
                   "unit": (by_key[col].get("Unit") or "").strip()} for k, col in mapping.items()}
    absent = [c.key for c in concepts if c.key not in mapping]
    return mapping, columns, absent


def _download(table_id: str, base_url: str, concepts, dims: list[str], filters: str, what: str):
    url = table_url(base_url, table_id)
    props = _call(what, base_url, cbsodata.get_meta, table_id, "DataProperties")
    mapping, columns, absent = map_properties(props, concepts, table_id=table_id, url=url)
    geo = next((p for p in props if p.get("Type") == "GeoDetail"), {})
    select = dims + list(mapping.values())
    data = _call(what, base_url, cbsodata.download_data, table_id, select=select, filters=filters)
    rows = data.get("TypedDataSet")
    if rows is None:
        raise SourceError(f"{what}: {url} has no TypedDataSet.", url=url)
    raw = pd.DataFrame(rows, columns=select)
    info = (data.get("TableInfos") or [{}])[0]
    names = {regions.normalise_code(r["Key"]): r.get("Title") for r in data.get("WijkenEnBuurten", [])}
    meta = {
        "table_id": table_id,
        "title": (info.get("Title") or "").strip(),
        "modified": info.get("Modified"),
        "source_url": url,
        "origin": "live",
        "map_year": geo.get("MapYear"),
        "columns": columns,
        "absent": absent,
        "filter": filters,
    }
    return raw, mapping, names, meta, data


def download_kwb(year: int) -> tuple[pd.DataFrame, dict]:
    """Download Kerncijfers wijken en buurten of ``year`` for the province.

    Returns
    -------
    (pandas.DataFrame, dict)
        The tidy table (gemeente, wijk and buurt rows; see
        :mod:`mgg_geo.data.tables`) and its manifest fields.
    """
    table_id = catalogue.KWB_TABLES.get(year)
    if table_id is None:
        raise SourceError(f"No Kerncijfers wijken en buurten table is known for {year}; "
                          f"known years: {', '.join(map(str, catalogue.KWB_TABLES))}.")
    what = f"CBS Kerncijfers wijken en buurten {year} ({table_id})"
    raw, mapping, names, meta, _ = _download(
        table_id, settings.CBS_OPENDATA_URL, catalogue.KWB_CONCEPTS, ["WijkenEnBuurten"],
        region_filter(province_numbers(year)), what)
    frame = tables.tidy_table(raw, code_column="WijkenEnBuurten", mapping=mapping,
                              names=raw["WijkenEnBuurten"].map(lambda k: names.get(regions.normalise_code(k))),
                              origin=meta["source_url"])
    frame, mapping, empty = tables.drop_empty_concepts(frame, mapping)
    meta["columns"] = {k: v for k, v in meta["columns"].items() if k in mapping}
    meta["absent"] = sorted(set(meta["absent"]) | set(empty))
    return frame, {"kind": "kwb", "year": year, "indeling": year, **meta}


def download_health(table_id: str, year: int) -> tuple[pd.DataFrame, dict]:
    """Download survey ``year`` of RIVM table ``table_id`` for the province (all age groups, point estimates).

    The columns are found by key prefix or title (the RIVM editions number
    their keys differently, e.g. ``HoogRisicoOpAngstOfDepressie_25`` in
    50090NED); the province is filtered in the table's own indeling.
    """
    spec = catalogue.table(table_id)
    if spec is None or spec.kind != "health" or year not in spec.periods:
        known = ", ".join(f"{t.table_id} ({'/'.join(map(str, t.periods))})" for t in catalogue.TABLES
                          if t.kind == "health")
        raise SourceError(f"No RIVM table {table_id} holding {year} is known; known tables: {known}.")
    what = f"RIVM Gezondheid per wijk en buurt {year} ({table_id}, indeling {spec.indeling})"
    filters = (f"({region_filter(province_numbers(spec.indeling))}) and Marges eq '{POINT_ESTIMATE}' "
               f"and Perioden eq '{year}JJ00'")
    raw, mapping, names, meta, _ = _download(
        table_id, settings.CBS_THIRD_PARTY_URL, catalogue.HEALTH_CONCEPTS,
        ["WijkenEnBuurten", "Leeftijd", "Marges", "Perioden"], filters, what)
    if raw.empty:
        raise SourceError(f"{what}: {meta['source_url']} holds no figures for {year} in the province.",
                          url=meta["source_url"], status=404)
    age = raw["Leeftijd"].map(lambda v: catalogue.HEALTH_AGE_GROUPS.get(str(v).strip(), str(v).strip()))
    frame = tables.tidy_table(raw, code_column="WijkenEnBuurten", mapping=mapping,
                              names=raw["WijkenEnBuurten"].map(lambda k: names.get(regions.normalise_code(k))),
                              extra={"age_group": age}, origin=meta["source_url"])
    frame, mapping, empty = tables.drop_empty_concepts(frame, mapping)
    meta["columns"] = {k: v for k, v in meta["columns"].items() if k in mapping}
    meta["absent"] = sorted(set(meta["absent"]) | set(empty))
    return frame, {"kind": "health", "year": year, "indeling": spec.indeling, **meta}

"""Live downloads from PDOK: CBS gebiedsindelingen (boundaries).

Boundaries come from the WFS of *CBS gebiedsindelingen*::

    {PDOK_SERVICE_URL}/cbs/gebiedsindelingen/{year}/wfs/v1_0?service=WFS&version=2.0.0
        &request=GetFeature&typeNames=gebiedsindelingen:{level}_gegeneraliseerd
        &outputFormat=json&srsName=EPSG:28992&bbox=...&count=1000&startIndex=0

asked for the province's bounding box in EPSG:28992 and paged with
``count``/``startIndex`` (WFS 2.0) until a page returns fewer features than
asked. Features carry ``statcode``, ``statnaam`` and ``jrstatcode``; rows
outside the province are dropped by code.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

import geopandas as gpd

from mgg_geo import settings
from mgg_geo.data import cache, catalogue, regions, tables
from mgg_geo.data._http import RequestLog, get_json
from mgg_geo.errors import MggWarning, SourceError

LAYERS = {"buurt": "buurt_gegeneraliseerd", "wijk": "wijk_gegeneraliseerd", "gemeente": "gemeente_gegeneraliseerd"}


def wfs_url(year: int) -> str:
    """The PDOK WFS endpoint of the CBS gebiedsindelingen for ``year`` (from ``settings.PDOK_SERVICE_URL``)."""
    return f"{settings.PDOK_SERVICE_URL.rstrip('/')}/cbs/gebiedsindelingen/{year}/wfs/v1_0"


def download_boundaries(year: int, level: str) -> tuple[gpd.GeoDataFrame, dict]:
    """Download generalised CBS boundaries of ``level`` and ``year`` for the province.

    Returns
    -------
    (geopandas.GeoDataFrame, dict)
        Tidy boundaries in EPSG:28992 (``code``, ``name``, ``level``,
        ``gemeente_code``, geometry) and the manifest fields.
    """
    if level not in LAYERS:
        raise SourceError(f"Unknown boundary level {level!r}; choose one of {', '.join(LAYERS)}.")
    url = wfs_url(year)
    bbox = ",".join(f"{v:.0f}" for v in settings.PROVINCE_BBOX_RD) + ",urn:ogc:def:crs:EPSG::28992"
    params = {
        "service": "WFS", "version": "2.0.0", "request": "GetFeature",
        "typeNames": f"gebiedsindelingen:{LAYERS[level]}", "outputFormat": "json",
        "srsName": "EPSG:28992", "bbox": bbox, "count": settings.WFS_PAGE_SIZE,
    }
    what = f"PDOK CBS gebiedsindelingen {year} ({LAYERS[level]})"
    log = RequestLog()
    features: list[dict] = []
    start = 0
    while True:
        page = get_json(url, {**params, "startIndex": start}, log, what)
        batch = page.get("features") if isinstance(page, dict) else None
        if batch is None:
            raise SourceError(f"{what}: the answer from {log.last_url} is not a GeoJSON FeatureCollection.",
                              url=log.last_url)
        features.extend(batch)
        if len(batch) < settings.WFS_PAGE_SIZE:
            break
        start += len(batch)
    if not features:
        raise SourceError(f"{what}: {log.urls[0]} returned no features for the province.", url=log.urls[0])
    raw = gpd.GeoDataFrame.from_features(features, crs=settings.CRS_ANALYSIS)
    frame = tables.tidy_boundaries(raw, level=level, origin=url)
    meta = {
        "kind": "boundaries", "year": year, "indeling": year, "level": level,
        "table_id": f"gebiedsindelingen:{LAYERS[level]}",
        "title": f"CBS gebiedsindelingen {year}, {level} (gegeneraliseerd)", "modified": None,
        "source_url": log.urls[0], "origin": "live", "pages": len(log.urls),
        "attribution": catalogue.boundary_attribution(year),
        "municipalities_found": sorted(set(frame["gemeente_code"]) & set(regions.MUNICIPALITIES)),
    }
    return frame, meta


# --------------------------------------------------------------------------- Locatieserver

#: Locatieserver document types, by the placement they give.
GEOCODE_TYPES = {"address": "adres", "postcode": "postcode", "town": "woonplaats"}


class Geocoder:
    """PDOK Locatieserver lookups, cached in ``CACHE_DIR/geocode.json``.

    ``{PDOK_API_URL}/bzk/locatieserver/search/v3_1/free?q=...&fq=type:adres
    &fq=provincienaam:Groningen&rows=1``; the answer's ``response.docs[0]``
    gives ``centroide_rd`` (WKT ``POINT(x y)``, EPSG:28992), ``weergavenaam``
    and ``score``, all kept with the URL and retrieval time. A cached answer
    (also "not found") is never asked again. When the service cannot be
    reached, or once its lookups have taken ``settings.GEOCODE_DEADLINE``
    seconds in all, the geocoder switches itself off for the rest of the run
    (:attr:`unavailable` holds the reason) and :meth:`lookup` returns None
    for anything not in the cache.
    """

    def __init__(self):
        self.path = Path(settings.CACHE_DIR) / "geocode.json"
        self.answers: dict[str, dict] = _read_answers(self.path)
        self.unavailable: str | None = None
        self.requests = 0
        self.started: float | None = None  # monotonic time of the first lookup that asked the service

    @staticmethod
    def url() -> str:
        """The Locatieserver URL of a free-text query (from ``settings.PDOK_API_URL``)."""
        return f"{settings.PDOK_API_URL.rstrip('/')}/bzk/locatieserver/search/v3_1/free"

    def lookup(self, query: str, kind: str) -> dict | None:
        """Geocode ``query`` as ``kind`` (address, postcode, town); None when not found or unavailable."""
        key = f"{kind}|{query.strip().lower()}"
        if key in self.answers:
            return self.answers[key] or None
        if self.unavailable:
            return None
        self.started = self.started if self.started is not None else time.monotonic()
        left = settings.GEOCODE_DEADLINE - (time.monotonic() - self.started)
        if left <= 0:
            self.unavailable = (f"geocoding stopped after {settings.GEOCODE_DEADLINE:g} s (MGG_GEOCODE_DEADLINE); "
                                "the other rows were placed from the geocoding cache or not at all")
            return None
        params = {"q": query, "fq": [f"type:{GEOCODE_TYPES[kind]}", "provincienaam:Groningen"], "rows": 1}
        log = RequestLog()
        try:
            body = get_json(self.url(), params, log, "PDOK Locatieserver",
                            deadline=min(left, settings.HTTP_DEADLINE))
            docs = body["response"]["docs"]
        except SourceError as exc:
            self.unavailable = str(exc)
            return None
        except (KeyError, TypeError):
            self.unavailable = f"PDOK Locatieserver: unexpected answer from {log.last_url}"
            return None
        finally:
            self.requests += len(log.urls)
        answer = {}
        if docs:
            doc = docs[0]
            x, y = (float(v) for v in doc["centroide_rd"].removeprefix("POINT(").rstrip(")").split())
            answer = {"x": x, "y": y, "weergavenaam": doc.get("weergavenaam"), "score": doc.get("score"),
                      "type": doc.get("type"), "url": log.last_url, "retrieved_at": cache.now_utc()}
        self.answers[key] = answer
        return answer or None

    def save(self) -> None:
        """Write the answers atomically to the cache."""
        if self.answers:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            cache.write_json_atomic(self.path, self.answers)


def _read_answers(path: Path) -> dict[str, dict]:
    """The geocoding cache; a damaged or linked file is ignored with a warning (it is rewritten on save)."""
    if not path.exists():
        return {}
    try:
        if path.is_symlink():
            raise ValueError("it is a link")
        answers = json.loads(cache.read_small(path, settings.MAX_ANSWER_BYTES))
        if not isinstance(answers, dict) or not all(isinstance(v, dict) for v in answers.values()):
            raise ValueError("it is not a JSON object of answers")
        return answers
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        warnings.warn(MggWarning(f"The geocoding cache {path} is damaged ({exc}); it is ignored and written anew."),
                      stacklevel=3)
        return {}

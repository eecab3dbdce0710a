"""Settings for mgg_geo, in one place.

Every setting is a module-level constant with a documented default. An
environment variable (named in brackets) overrides the default when the module
is first imported; code and tests may also assign a new value at run time
(``mgg_geo.settings.HTTP_TIMEOUT = 5``). Library code always reads the setting
at call time, never a copy taken at import.

Paths
-----
PROJECT_ROOT
    The folder that holds ``pyproject.toml`` (the package is installed editable).
DATA_DIR [MGG_DATA_DIR]
    ``PROJECT_ROOT/data``: the initiative register and data documentation.
CACHE_DIR [MGG_CACHE_DIR]
    ``DATA_DIR/cache``: downloaded and imported source tables (git-ignored).
SHARED_DATA [MGG_SHARED_DATA]
    ``PROJECT_ROOT/../shared/data``: real example files of CBS, RIVM and PDOK,
    read in place by tests, benchmarks and ``mgg-geo import shared``.
REGISTER_PATH [MGG_REGISTER]
    ``DATA_DIR/initiatives/register.csv``: the shipped initiative register.
MAP_ASSETS [MGG_MAP_ASSETS]
    ``PROJECT_ROOT/assets/node_modules``: Leaflet and its cluster plugin, the
    npm packages pinned in ``assets/package.json`` (``make`` installs them);
    inlined into every interactive map page.

Services
--------
CBS_OPENDATA_URL [MGG_CBS_OPENDATA_URL]
    ``https://opendata.cbs.nl``: CBS OData v3 catalogue (Kerncijfers wijken en buurten).
CBS_THIRD_PARTY_URL [MGG_CBS_THIRD_PARTY_URL]
    ``https://dataderden.cbs.nl``: third-party catalogue (RIVM Gezondheid per wijk en buurt).
PDOK_SERVICE_URL [MGG_PDOK_SERVICE_URL]
    ``https://service.pdok.nl``: PDOK OGC web services (CBS gebiedsindelingen WFS).
PDOK_API_URL [MGG_PDOK_API_URL]
    ``https://api.pdok.nl``: PDOK APIs (Locatieserver).
HTTP_CONNECT_TIMEOUT [MGG_HTTP_CONNECT_TIMEOUT]
    5 seconds to connect: an unreachable service fails fast.
HTTP_TIMEOUT [MGG_HTTP_TIMEOUT]
    30 seconds to read an answer.
HTTP_RETRIES [MGG_HTTP_RETRIES]
    3 retries for HTTP 429/5xx answers, with exponential back-off of
    ``HTTP_BACKOFF`` [MGG_HTTP_BACKOFF] = 1 second; a connection that fails
    or an answer that times out is retried once at most.
MAX_PAGES [MGG_MAX_PAGES]
    200: the most pages one table download may follow before it is treated as
    a runaway ``nextLink`` chain.
WFS_PAGE_SIZE
    1000 features per WFS GetFeature page.

Geography
---------
CRS_ANALYSIS = "EPSG:28992" (RD New, metres) for every computation;
CRS_WEB = "EPSG:4326" for web maps only.
"""

from __future__ import annotations

import os
from pathlib import Path


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
DATA_DIR: Path = _env_path("MGG_DATA_DIR", PROJECT_ROOT / "data")
CACHE_DIR: Path = _env_path("MGG_CACHE_DIR", DATA_DIR / "cache")
SHARED_DATA: Path = _env_path("MGG_SHARED_DATA", (PROJECT_ROOT / ".." / "shared" / "data").resolve())
REGISTER_PATH: Path = _env_path("MGG_REGISTER", DATA_DIR / "initiatives" / "register.csv")
NOTEBOOK_DIR: Path = PROJECT_ROOT / "notebooks"
MAP_ASSETS: Path = _env_path("MGG_MAP_ASSETS", PROJECT_ROOT / "assets" / "node_modules")

CBS_OPENDATA_URL: str = os.environ.get("MGG_CBS_OPENDATA_URL", "https://opendata.cbs.nl")
CBS_THIRD_PARTY_URL: str = os.environ.get("MGG_CBS_THIRD_PARTY_URL", "https://dataderden.cbs.nl")
PDOK_SERVICE_URL: str = os.environ.get("MGG_PDOK_SERVICE_URL", "https://service.pdok.nl")
PDOK_API_URL: str = os.environ.get("MGG_PDOK_API_URL", "https://api.pdok.nl")

HTTP_CONNECT_TIMEOUT: float = _env_float("MGG_HTTP_CONNECT_TIMEOUT", 5.0)
HTTP_TIMEOUT: float = _env_float("MGG_HTTP_TIMEOUT", 30.0)
HTTP_RETRIES: int = _env_int("MGG_HTTP_RETRIES", 3)
HTTP_BACKOFF: float = _env_float("MGG_HTTP_BACKOFF", 1.0)
MAX_PAGES: int = _env_int("MGG_MAX_PAGES", 200)
WFS_PAGE_SIZE: int = 1000
USER_AGENT: str = "mgg_geo/0.1 (Mentaal Gezond Groningen; +https://www.mentaalgezondgroningen.nl)"

CRS_ANALYSIS: str = "EPSG:28992"
CRS_WEB: str = "EPSG:4326"

#: Province bounding box in EPSG:28992 (metres), used to ask PDOK for Groningen only.
PROVINCE_BBOX_RD: tuple[float, float, float, float] = (190_000.0, 540_000.0, 285_000.0, 625_000.0)

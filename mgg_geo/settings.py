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
SCHOOLS_PATH [MGG_SCHOOLS]
    ``SHARED_DATA/initiatives/schools_vo_groningen.csv``: the secondary-school
    locations (DUO "Adressen alle vestigingen VO", or DUO's national file),
    read in place: candidate sites for school-based programmes.
MAP_ASSETS [MGG_MAP_ASSETS]
    ``PROJECT_ROOT/assets/node_modules``: Leaflet and its cluster plugin, the
    npm packages pinned in ``assets/package.json`` (``make`` installs them);
    inlined into every interactive map page.
CHROMIUM [MGG_CHROMIUM]
    ``/usr/bin/chromium`` (Debian's ``chromium`` package): the headless
    browser that prints the reports to PDF (``mgg-geo reports --pdf``).

Time
----
TIMEZONE
    ``Europe/Amsterdam``: every date and time a report prints ("peildatum",
    "gemaakt op") is taken in this zone; :func:`today` is the date there.

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
    3 retries (at most 10) for HTTP 429/5xx answers, with exponential back-off of
    ``HTTP_BACKOFF`` [MGG_HTTP_BACKOFF] = 1 second (at most 60); a connection that fails
    or an answer that times out is retried once at most.
HTTP_DEADLINE [MGG_HTTP_DEADLINE]
    90 seconds for one request as a whole (connect, headers and the complete
    answer): a server that answers a byte at a time cannot hold a run.
MAX_ANSWER_BYTES [MGG_MAX_ANSWER_BYTES]
    200 MB: the largest answer one request may bring (after unpacking).
GEOCODE_DEADLINE [MGG_GEOCODE_DEADLINE]
    120 seconds of PDOK Locatieserver lookups for one register; after that the
    rest is placed from the geocoding cache or on its area code, with a warning.
MAX_PAGES [MGG_MAX_PAGES]
    200: the most pages one table download may follow before it is treated as
    a runaway ``nextLink`` chain.
WFS_PAGE_SIZE
    1000 features per WFS GetFeature page.

The times may be set to at most an hour and ``MAX_PAGES`` to at most 100,000: no setting can make a run wait
without end.

Input limits
------------
MAX_REGISTER_BYTES [MGG_MAX_REGISTER_BYTES]
    50 MB: the largest initiative register, on disk and unpacked (an .xlsx
    workbook is a zip); compressed registers are refused.
MAX_REGISTER_ROWS [MGG_MAX_REGISTER_ROWS]
    200,000 rows in a register.
MAX_IMPORT_BYTES [MGG_MAX_IMPORT_BYTES]
    500 MB: the largest file for the offline route (``mgg-geo import``), on
    disk and unpacked (gzip, xlsx).
MAX_MANIFEST_BYTES
    1 MB: the largest manifest (``*.json``) of the cache that is read; a larger
    one, or one that is not a regular file (a FIFO, a device), is named as
    damaged without being read. The geocoding cache may be as large as
    ``MAX_ANSWER_BYTES``.

Every value read from the environment is checked when this module is first
imported; a value that is not allowed raises one
:class:`~mgg_geo.errors.SettingsError` naming the variable.

Geography
---------
CRS_ANALYSIS = "EPSG:28992" (RD New, metres) for every computation;
CRS_WEB = "EPSG:4326" for web maps only.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from zoneinfo import ZoneInfo

from mgg_geo.errors import SettingsError


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value is not None and value.strip() else None


def _env_path(name: str, default: Path) -> Path:
    value = _env(name)
    if value is None:
        return default
    path = Path(value).expanduser().resolve()
    if path.exists() and not path.is_dir() and name not in ("MGG_REGISTER", "MGG_SCHOOLS"):
        raise SettingsError(f"{name}: {path} is a file; give a folder (or unset {name}).")
    return path


def _env_number(name: str, default, kind, minimum, maximum=None):
    value = _env(name)
    if value is None:
        return default
    span = f"from {minimum} to {maximum}" if maximum is not None else f"of at least {minimum}"
    try:
        number = kind(value.strip())
    except ValueError:
        raise SettingsError(f"{name}: {value!r} is not a {'whole ' if kind is int else ''}number; "
                            f"unset it or give one {span} (default {default}).") from None
    if not math.isfinite(number) or number < minimum or (maximum is not None and number > maximum):
        raise SettingsError(f"{name}: {value!r} is not allowed; give a number {span} (default {default}).")
    return number


def _env_float(name: str, default: float, minimum: float = 0.001, maximum: float | None = None) -> float:
    return _env_number(name, default, float, minimum, maximum)


def _env_int(name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    return _env_number(name, default, int, minimum, maximum)


def _env_url(name: str, default: str) -> str:
    value = _env(name)
    if value is None:
        return default
    if not value.strip().lower().startswith(("http://", "https://")):
        raise SettingsError(f"{name}: {value!r} is not an http(s) URL; unset it or give one like {default}.")
    return value.strip()


PROJECT_ROOT: Path = Path(__file__).resolve().parents[1]
DATA_DIR: Path = _env_path("MGG_DATA_DIR", PROJECT_ROOT / "data")
CACHE_DIR: Path = _env_path("MGG_CACHE_DIR", DATA_DIR / "cache")
SHARED_DATA: Path = _env_path("MGG_SHARED_DATA", (PROJECT_ROOT / ".." / "shared" / "data").resolve())
REGISTER_PATH: Path = _env_path("MGG_REGISTER", DATA_DIR / "initiatives" / "register.csv")
SCHOOLS_PATH: Path = _env_path("MGG_SCHOOLS", SHARED_DATA / "initiatives" / "schools_vo_groningen.csv")
NOTEBOOK_DIR: Path = PROJECT_ROOT / "notebooks"
MAP_ASSETS: Path = _env_path("MGG_MAP_ASSETS", PROJECT_ROOT / "assets" / "node_modules")
CHROMIUM: Path = Path(_env("MGG_CHROMIUM") or "/usr/bin/chromium").expanduser()
TIMEZONE: ZoneInfo = ZoneInfo("Europe/Amsterdam")

CBS_OPENDATA_URL: str = _env_url("MGG_CBS_OPENDATA_URL", "https://opendata.cbs.nl")
CBS_THIRD_PARTY_URL: str = _env_url("MGG_CBS_THIRD_PARTY_URL", "https://dataderden.cbs.nl")
PDOK_SERVICE_URL: str = _env_url("MGG_PDOK_SERVICE_URL", "https://service.pdok.nl")
PDOK_API_URL: str = _env_url("MGG_PDOK_API_URL", "https://api.pdok.nl")

HTTP_CONNECT_TIMEOUT: float = _env_float("MGG_HTTP_CONNECT_TIMEOUT", 5.0, maximum=3600.0)
HTTP_TIMEOUT: float = _env_float("MGG_HTTP_TIMEOUT", 30.0, maximum=3600.0)
HTTP_DEADLINE: float = _env_float("MGG_HTTP_DEADLINE", 90.0, maximum=3600.0)
HTTP_RETRIES: int = _env_int("MGG_HTTP_RETRIES", 3, minimum=0, maximum=10)
HTTP_BACKOFF: float = _env_float("MGG_HTTP_BACKOFF", 1.0, minimum=0.0, maximum=60.0)
MAX_ANSWER_BYTES: int = _env_int("MGG_MAX_ANSWER_BYTES", 200_000_000)
GEOCODE_DEADLINE: float = _env_float("MGG_GEOCODE_DEADLINE", 120.0, maximum=3600.0)
MAX_PAGES: int = _env_int("MGG_MAX_PAGES", 200, maximum=100_000)
MAX_REGISTER_BYTES: int = _env_int("MGG_MAX_REGISTER_BYTES", 50_000_000)
MAX_REGISTER_ROWS: int = _env_int("MGG_MAX_REGISTER_ROWS", 200_000)
MAX_IMPORT_BYTES: int = _env_int("MGG_MAX_IMPORT_BYTES", 500_000_000)
MAX_MANIFEST_BYTES: int = 1_000_000
WFS_PAGE_SIZE: int = 1000
USER_AGENT: str = "mgg_geo/0.1 (Mentaal Gezond Groningen; +https://www.mentaalgezondgroningen.nl)"

CRS_ANALYSIS: str = "EPSG:28992"
CRS_WEB: str = "EPSG:4326"

#: Province bounding box in EPSG:28992 (metres), used to ask PDOK for Groningen only.
PROVINCE_BBOX_RD: tuple[float, float, float, float] = (190_000.0, 540_000.0, 285_000.0, 625_000.0)


def now() -> dt.datetime:
    """The current moment in :data:`TIMEZONE`."""
    return dt.datetime.now(TIMEZONE)


def today() -> dt.date:
    """Today's date in :data:`TIMEZONE` (the default reference date of a register: the same day as "gemaakt op",
    whatever the machine's own zone)."""
    return now().date()

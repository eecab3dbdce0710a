"""The initiative register: the supply side of the analysis.

One row per initiative site or area-wide offer, kept by a policy officer in
Excel. :func:`load` reads it (CSV as Dutch Excel writes it, plain CSV, XLSX,
GeoJSON, GeoPackage), validates every row before any analysis, and places
each row as a point in EPSG:28992.

Schema (Dutch or English headers)
---------------------------------
Required: ``name``/``naam``, ``programme``/``programma`` (STORM, KoPPeLing,
Move aHead or another programme) and a location. Optional: ``organisation``,
``prevention_level`` (universeel, selectief, geïndiceerd, terugvalpreventie;
several separated by ``;``), ``setting``, ``target_group``, ``age_min``,
``age_max``, ``capacity`` (participants or places per year), ``start_date``,
``end_date``, ``status`` (:data:`STATUSES`; empty: actief), ``source_date``
(the date of the newest source: YYYY, YYYY-MM or YYYY-MM-DD), ``source`` (URL),
``notes``, ``municipality``, ``school_code`` (the DUO vestigingscode(s) of a
school-based row, separated by ``;``), ``source_name`` (the row's name in the
facts file it was built from) and ``precision`` (what the source gives of the
location: adres, straat, plaats or gebied).

Status
------
A row counts for coverage only while it is *active*: its ``end_date`` (if
any) is not before the reference date, and its ``status`` is ``actief`` or
one of the statuses asked for (``count_status``). The other statuses mark a
place whose existence today is uncertain: ``gedateerd`` (the source describes
it at one date, and it may have changed since), ``gepland`` (announced, not
known to have opened) and ``gesloten`` (probably closed). Such rows are listed
(reports count them per status) but left out of coverage.

A location is one of, most precise first:

=========  ==============================================  ============
placement  columns                                         how
=========  ==============================================  ============
exact      ``lat``/``lon`` (WGS84) or ``x``/``y`` (RD)     as given
address    ``postcode`` + ``huisnummer``, or street + town  Locatieserver
postcode   ``postcode`` alone                              Locatieserver
town       ``town``/``plaats``                             Locatieserver
area       ``area_code``/``gebiedscode`` (BU/WK/GM)        representative point of the area
=========  ==============================================  ============

An ``area_code`` given *alone* is an area-wide offer (``area_wide``): it
covers every area inside it. Given *with* an address or town, it is the area
the site lies in: the fallback placement when geocoding is unavailable or
finds nothing, and a consistency check otherwise.

Validation gathers every problem before raising; each names file, row (as
Excel shows it: the header is row 1), column and what to do. Errors refuse the
register; warnings keep the row and flag it (e.g. a row without any age
range: it counts for no target group).

Names and free text are data, never markup: they are stored verbatim and
escaped wherever they reach HTML (see :mod:`mgg_geo.present.webmap`).
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from mgg_geo import settings
from mgg_geo.data import catalogue, files, kinds, regions, sources
from mgg_geo.data.pdok import Geocoder
from mgg_geo.errors import DataError, MggError, MggWarning, RegisterError
from mgg_geo.text import cell

PREVENTION_LEVELS = ("universeel", "selectief", "geïndiceerd", "terugvalpreventie")
_LEVEL_ALIASES = {"universal": "universeel", "selective": "selectief", "indicated": "geïndiceerd",
                  "geindiceerd": "geïndiceerd", "relapse prevention": "terugvalpreventie",
                  "terugval": "terugvalpreventie"}


@dataclass(frozen=True)
class Programme:
    """A programme of the platform, defined once.

    Attributes
    ----------
    name
        The name as the register writes it.
    school_based
        The programme runs at a school, school by school (candidate sites for it
        are schools, see :mod:`mgg_geo.supply.schools`).
    label
        A short Dutch description for reports.
    unsure_at
        For a school-based programme, pairs of DUO's ``onderwijsstructuur`` of the vestigingen that may not teach
        all of the programme's school years and what that means in Dutch: a ``BRUGJAAR`` vestiging has the first
        years only (DUO does not say which), and STORM is for years 2 and 4. They stay candidates, flagged.
    ages
        The ages it is for (years, both included; None: any), as its register rows state them: a target group of
        other ages gets no school proposal for it (review: STORM schools were proposed for people of 65 and over).
    """

    name: str
    school_based: bool
    label: str
    unsure_at: tuple[tuple[str, str], ...] = ()
    ages: tuple[float, float] | None = None

    def serves(self, ages: tuple[float, float]) -> bool:
        """Whether the programme is for some of the ages ``ages`` (years, both included)."""
        return self.ages is None or catalogue.ages_meet(self.ages, ages)


#: The named programmes of Mentaal Gezond Groningen.
PROGRAMMES: dict[str, Programme] = {
    "STORM": Programme("STORM", True, "depressiepreventie op school (vo-klas 2 en 4, mbo-jaar 1)",
                       (("BRUGJAAR", "volgens DUO alleen de eerste leerjaren (onderwijsstructuur BRUGJAAR), en "
                                     "STORM is voor klas 2 en 4"),), ages=(13, 20)),
    "KoPPeLing": Programme("KoPPeLing", False, "steun voor kinderen van ouders in GGZ-behandeling"),
    "Move aHead": Programme("Move aHead", False, "begeleid leren voor studenten in het hoger onderwijs"),
}
NAMED_PROGRAMMES = tuple(PROGRAMMES)
#: The school-based programmes (where-next chooses among schools for these).
SCHOOL_BASED = tuple(name for name, p in PROGRAMMES.items() if p.school_based)
#: Statuses of a register row, the counted one first (see the module docstring); English aliases are accepted.
STATUSES = ("actief", "gedateerd", "gepland", "gesloten")
#: The statuses a user may ask to count besides ``actief``.
UNCERTAIN_STATUSES = STATUSES[1:]
_STATUS_ALIASES = {"active": "actief", "dated": "gedateerd", "planned": "gepland", "closed": "gesloten",
                   "onzeker": "gedateerd", "verouderd": "gedateerd"}
PLACEMENTS = ("exact", "address", "postcode", "town", "area")
#: The placements that put a site only approximately (on its town or area): drawn open on every map and counted
#: apart in the reports.
APPROXIMATE = ("town", "area")

#: English column name -> accepted headers (compared case-insensitively, spaces/underscores ignored).
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name", "naam"),
    "programme": ("programme", "program", "programma"),
    "organisation": ("organisation", "organization", "organisatie", "aanbieder"),
    "prevention_level": ("prevention_level", "preventieniveau", "niveau"),
    "setting": ("setting", "omgeving"),
    "target_group": ("target_group", "doelgroep"),
    "age_min": ("age_min", "leeftijd_min", "min_leeftijd"),
    "age_max": ("age_max", "leeftijd_max", "max_leeftijd"),
    "capacity": ("capacity", "capaciteit"),
    "start_date": ("start_date", "startdatum", "start"),
    "end_date": ("end_date", "einddatum", "eind"),
    "status": ("status",),
    "source_date": ("source_date", "brondatum", "datum_bron"),
    "source": ("source", "bron", "url"),
    "notes": ("notes", "opmerkingen", "toelichting"),
    "lat": ("lat", "latitude", "breedtegraad"),
    "lon": ("lon", "lng", "longitude", "lengtegraad"),
    "x": ("x", "x_rd", "rd_x"),
    "y": ("y", "y_rd", "rd_y"),
    "postcode": ("postcode", "postal_code", "zip"),
    "huisnummer": ("huisnummer", "house_number", "housenumber", "nummer"),
    "street": ("street", "straat", "adres", "address"),
    "town": ("town", "plaats", "woonplaats", "city"),
    "municipality": ("municipality", "gemeente"),
    "area_code": ("area_code", "gebiedscode", "code"),
    "school_code": ("school_code", "vestigingscode", "vestigingscodes"),
    "source_name": ("source_name", "bronnaam", "naam_in_bron"),
    "precision": ("precision", "precisie"),
}
_FOLD = {re.sub(r"[\s_\-]", "", a.lower()): key for key, aliases in COLUMNS.items() for a in aliases}
_POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s*$")
#: Text that looks like markup, script or a template: tags, JavaScript and Jinja placeholders (``${``, ``{{``,
#: ``{%``, ``{#``), backticks, javascript: links, event handlers.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!]|\$\{|\{[{%#]|`|javascript:|on\w+\s*=", re.IGNORECASE)
#: Points may lie this far (m) outside the simplified province outline and still count as inside.
PROVINCE_TOLERANCE_M = 500.0


@dataclass(frozen=True)
class Problem:
    """One finding in a register: severity (error or warning), Excel row, column and a message that says
    what to do."""
    severity: str  # "error" or "warning"
    file: str
    row: int | None  # as the user sees it (Excel row; feature number for GeoJSON)
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{Path(self.file).name}" + (f", row {self.row}" if self.row else "") + \
                (f", column {self.column}" if self.column else "")
        return f"{self.severity}: {where}: {self.message}"


@dataclass
class Register:
    """A validated, placed register.

    Attributes
    ----------
    initiatives
        GeoDataFrame (EPSG:28992), one row per initiative: point ``geometry``,
        and for area-wide offers their polygon in ``area`` (a second geometry
        column); ``placement``, ``area_wide``, ``active``, ``row`` (Excel
        row), ``gemeente_code`` and the geocoding match (``geocode_match``,
        ``geocode_score``).
    problems
        Every error and warning found.
    """

    path: Path
    initiatives: gpd.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)
    reference_date: dt.date = field(default_factory=settings.today)

    @property
    def errors(self) -> list[Problem]:
        """The problems that refuse the register."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """The problems that keep the row but flag it."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def active(self) -> gpd.GeoDataFrame:
        """Initiatives that count for coverage (active on the reference date)."""
        return self.initiatives[self.initiatives["active"]]


# --------------------------------------------------------------------------- reading


def read(path: str | Path) -> tuple[pd.DataFrame, int]:
    """Read a register file as text; returns the frame and the offset from index to user row.

    The file is checked against the register limits before it is parsed (size on disk and unpacked, rows,
    no compression, no XML entities: :mod:`mgg_geo.data.files`).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    limits = files.register_limits()
    if suffix in files.GEO_SUFFIXES:
        gdf = files.read_geo(path, limits)
        files.check_rows(path, gdf, limits)
        if gdf.empty:
            raise DataError(f"{path}: the file holds no features.")
        located = isinstance(gdf, gpd.GeoDataFrame) and gdf.active_geometry_name is not None  # a table without
        frame = pd.DataFrame(gdf.drop(columns=gdf.active_geometry_name) if located else gdf)  # geometry: no points
        frame = frame.astype(object).where(frame.notna(), None)
        frame = frame.map(lambda v: None if v is None else str(v))
        frame.attrs["invisible"] = gdf.attrs.get("invisible", [])  # removed by read_geo, said per cell by load
        if located and gdf.geometry.notna().any():
            if gdf.crs is None:
                raise DataError(f"{path}: the geometries have no coordinate reference system.")
            points = gdf.geometry.to_crs(settings.CRS_ANALYSIS)
            frame["x"] = [None if g is None or g.is_empty else f"{g.centroid.x:.2f}" for g in points]
            frame["y"] = [None if g is None or g.is_empty else f"{g.centroid.y:.2f}" for g in points]
            frame.attrs["xy_from_geometry"] = True
        return frame, 1  # feature numbers start at 1
    if suffix in files.EXCEL_SUFFIXES:
        return _read_excel(path, limits), 2
    return files.read_table(path, limits), 2


def _read_excel(path: Path, limits: files.Limits) -> pd.DataFrame:
    sheets = files.read_excel_sheets(path, limits)  # a cell reading "NA" or "NULL" is a name, not missing
    for frame in sheets.values():
        if _required_present(frame.columns):
            return frame
    raise DataError(f"{path}: no sheet has the columns naam/name and programma/programme "
                    f"(sheets: {', '.join(sheets)}). Put the register on its own sheet with a header row.")


def _required_present(columns) -> bool:
    keys = {_FOLD.get(re.sub(r"[\s_\-]", "", str(c).strip().lower())) for c in columns}
    return {"name", "programme"} <= keys


def normalise_columns(frame: pd.DataFrame, origin: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Rename Dutch/English headers to the English schema; returns the frame and {schema: original}."""
    renamed, original = {}, {}
    for col in frame.columns:
        key = _FOLD.get(re.sub(r"[\s_\-]", "", str(col).strip().lower()))
        if key and key not in original:
            renamed[col] = key
            original[key] = str(col)
    frame = frame.rename(columns=renamed)
    for key in COLUMNS:
        if key not in frame:
            frame[key] = None
    return frame[list(COLUMNS)], original


# --------------------------------------------------------------------------- helpers

#: A register cell as written: its text, or None when empty (the one rule for a missing value,
#: :func:`mgg_geo.text.cell`; a name reading "NULL" or "nan" is a name).
_given = partial(cell, missing=None, literal=True)


def _number(value) -> float | None:
    text = _given(value)
    if text is None:
        return None
    text = text.replace(" ", "")
    if re.fullmatch(r"-?\d+,\d+", text):
        text = text.replace(",", ".")
    return float(text)  # ValueError for garbage


def _date(value) -> dt.date | None:
    text = _given(value)
    if text is None:
        return None
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y"):
        try:
            parsed = dt.datetime.strptime(text, fmt).date()
            return parsed
        except ValueError:
            continue
    raise ValueError(text)


def status_of(value) -> str:
    """The canonical status (:data:`STATUSES`) of a cell; empty means ``actief``. ValueError for anything else.

    >>> status_of(" Dated "), status_of(None)
    ('gedateerd', 'actief')
    """
    text = _given(value)
    if text is None:
        return "actief"
    word = text.lower()
    word = _STATUS_ALIASES.get(word, word)
    if word not in STATUSES:
        raise ValueError(text)
    return word


_SOURCE_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def source_date_of(value) -> str | None:
    """A source date as text, to the precision given: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; ValueError for
    anything else (e.g. an impossible month).

    >>> source_date_of("2020"), source_date_of("2021-02"), source_date_of(None)
    ('2020', '2021-02', None)
    """
    text = _given(value)
    if text is None:
        return None
    if text.endswith(".0") and text[:-2].isdigit():  # a year that went through a number column
        text = text[:-2]
    match = _SOURCE_DATE.match(text)
    if not match:
        raise ValueError(text)
    year, month, day = (int(g) if g else 1 for g in match.groups())
    dt.date(year, month, day)  # ValueError for 2020-13 or 2021-02-30
    if not 1900 <= year <= 2100:
        raise ValueError(text)
    return text


def _levels(value) -> tuple[list[str], list[str]]:
    text = _given(value)
    if text is None:
        return [], []
    good, bad = [], []
    for part in re.split(r"[;,/+]| en ", text):
        word = re.sub(r"\(.*?\)", "", part).strip().lower()
        if not word:
            continue
        word = _LEVEL_ALIASES.get(word, word)
        (good if word in PREVENTION_LEVELS else bad).append(word)
    return good, bad


def boundary_layers(*, year: int | None = None, offline: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """Gemeente, wijk and buurt boundaries of the province (cache first)."""
    layers = {}
    for level in regions.LEVELS:
        try:
            dataset = sources.boundaries(year, level, offline=offline)
        except MggError:
            if level == "gemeente":
                raise
            continue
        layers[level] = dataset.frame.set_index("code")
        layers[level].attrs["year"] = dataset.manifest.get("year")
    return layers


class _AreaCodes:
    """The areas a register's ``gebiedscode`` values name, in the boundary year they were written in.

    CBS renumbers areas and gives old codes to other places (Het Hogeland's buurt BU19660103 is Potmaar in
    2021 and Ulrum in 2024), so a register's codes are read in the boundary year they were most likely written
    in. When the boundaries used hold every code of the register, that is their year. Otherwise, per level, it
    is a year whose cached boundaries hold the most of the register's codes at that level; among those, the
    year that holds the most codes of all levels together (a register is written in one year), then the year
    nearest the one used (:attr:`reading`; the register says so once). A code the chosen year lacks is looked
    up in the year used, then in the other cached years, nearest first (the row then says which year). A cached
    year that cannot be read is left out with a warning. ``layers`` are :func:`boundary_layers`; their
    ``attrs["year"]`` names the year used.
    """

    def __init__(self, layers: dict[str, gpd.GeoDataFrame], codes: list[str]):
        self.layers = layers
        self._others: dict[str, dict[int, gpd.GeoDataFrame]] = {}
        #: Per level, the other year the register's codes are read in, how many of them it holds and the
        #: boundaries used hold, and how many codes of that level the register has.
        self.reading: dict[str, tuple[int, int, int, int]] = {}
        wanted = {level: {c for c in codes if regions.level_of(c) == level} for level in regions.LEVELS}
        #: Per level, the register's codes that the boundaries used lack.
        self.lacking = {level: sorted(wanted[level] - set(self._index(level, None))) for level in regions.LEVELS}
        if not any(self.lacking.values()):
            return  # the boundaries used hold every code
        held = {level: {year: len(wanted[level] & set(self._index(level, year))) for year in self._years(level)}
                for level in regions.LEVELS if wanted[level]}
        overall: dict = {}
        for counts in held.values():
            for year, n in counts.items():
                overall[year] = overall.get(year, 0) + n
        for level, counts in held.items():
            most = max(counts.values())
            chosen = max((y for y, n in counts.items() if n == most),
                         key=lambda y, level=level: (overall[y], -self._distance(level, y)))
            if chosen is not None:  # another year than the boundaries used
                self.reading[level] = (chosen, counts[chosen], counts.get(None, 0), len(wanted[level]))

    def _years(self, level: str) -> list:
        """The years whose ``level`` boundaries are at hand: None for those used (when there are), then the
        other cached years."""
        return ([None] if self.layers.get(level) is not None else []) + list(self.others(level))

    def _index(self, level: str, year) -> pd.Index:
        """The codes of the ``level`` boundaries of ``year`` (None: those used)."""
        if year is None:
            layer = self.layers.get(level)
            return layer.index if layer is not None else pd.Index([])
        return self.others(level)[year].index

    def _distance(self, level: str, year) -> float:
        """How far ``year`` lies from the year used (0 for the boundaries used themselves; 1 for any other year
        when the boundaries used have none)."""
        used = self.year(level)
        if year is None or year == used:
            return 0
        return abs(year - used) if used is not None else 1

    def year(self, level: str) -> int | None:
        """The boundary year used at ``level`` (None: boundaries given without one, or none at that level)."""
        layer = self.layers.get(level)
        return None if layer is None else layer.attrs.get("year")

    def others(self, level: str) -> dict[int, gpd.GeoDataFrame]:
        """The cached boundaries of ``level`` of every year but the one used, by year, nearest that year first
        (:meth:`_distance`; the newer of two as near; read once)."""
        if level not in self._others:
            used = self.year(level)
            found = {}
            for other in sorted(sources.boundary_years(level), key=lambda y: (self._distance(level, y), -y)):
                if other == used:
                    continue
                try:
                    dataset = sources.boundaries_at(other, level, offline=True)
                except MggError as exc:  # a damaged entry of another year: that year is not searched
                    warnings.warn(MggWarning(str(exc)), stacklevel=2)
                    continue
                if dataset is not None:
                    found[other] = dataset.frame.set_index("code")
            self._others[level] = found
        return self._others[level]

    def find(self, code: str):
        """``(geometry, year)`` of area ``code``: ``year`` names the other year a code was found in on its own
        (None when it is an area of the boundaries used or of the year the register is read in); ``(None,
        None)`` when no boundaries at hand hold it."""
        level = regions.level_of(code)
        if level in self.reading and code in (frame := self.others(level)[self.reading[level][0]]).index:
            return frame.geometry.loc[code], None
        layer = self.layers.get(level)
        if layer is not None and code in layer.index:
            return layer.geometry.loc[code], None
        for other, frame in self.others(level).items():
            if code in frame.index:
                return frame.geometry.loc[code], other
        return None, None

    def unknown(self, code: str) -> str:
        """Why ``code`` was not found, and the import that would place it when it is a code of another year."""
        level = regions.level_of(code)
        used = self.year(level)
        years = [y for y in (used, *self.others(level)) if y is not None]
        where = f"{level} boundaries of {', '.join(map(str, years))}" if years else "boundaries used"
        return (f"unknown area code {code}: not a {level} of the province in the {where}; if it is a code of "
                f"another year, import that year's {level} boundaries "
                f"({kinds.BOUNDARIES.import_command(level=level, year='YEAR')})")

    def notes(self) -> list[str]:
        """What the register says once: the levels whose codes are read in another year than the one used."""
        out = []
        for level, (other, n_other, n_used, total) in self.reading.items():
            used = self.year(level)
            lacking = self.lacking[level]
            shown = ", ".join(lacking[:3]) + (f" and {len(lacking) - 3} more" if len(lacking) > 3 else "")
            out.append(f"the {level} codes are read in the {level} boundaries of {other}, which hold {n_other} of "
                       f"the register's {total}" + (f" (those of {used}, the boundaries used, hold {n_used}"
                                                    + (f": they lack {shown})" if lacking else ")")
                                                    if used else "")
                       + f"; each row with a {level} code is placed on its area of {other}")
        return out


# --------------------------------------------------------------------------- load


def ended(initiatives: pd.DataFrame, reference_date) -> pd.Series:
    """Per row of a loaded register, whether its ``end_date`` lies before ``reference_date``: the row is listed
    but does not count (see "Status" above); False without an end date."""
    if "end_date" not in initiatives:
        return pd.Series(False, index=initiatives.index)
    return pd.to_datetime(initiatives["end_date"], errors="coerce") < pd.Timestamp(reference_date)


def is_project_register(path) -> bool:
    """Whether ``path`` is the project's own register (``settings.REGISTER_PATH``), not one a user gave."""
    return Path(path).resolve() == Path(settings.REGISTER_PATH).resolve()


def load(path: str | Path, *, boundaries: dict[str, gpd.GeoDataFrame] | None = None,
         reference_date: dt.date | str | None = None, geocode: bool = True, offline: bool = False,
         strict: bool = True, count_status: tuple[str, ...] | list[str] = ()) -> Register:
    """Read, validate and place an initiative register.

    Parameters
    ----------
    path
        CSV, XLSX, GeoJSON or GeoPackage file.
    boundaries
        ``{"gemeente": gdf, "wijk": gdf, "buurt": gdf}`` indexed by code, in
        EPSG:28992; default: :func:`boundary_layers` (cache first).
    reference_date
        Initiatives whose ``end_date`` lies before it are inactive (listed,
        excluded from coverage). Default: today.
    geocode
        Use PDOK Locatieserver for addresses, postcodes and towns.
    strict
        Raise :class:`~mgg_geo.errors.RegisterError` when there are errors.
    count_status
        Statuses besides ``actief`` whose rows count for coverage (of
        :data:`UNCERTAIN_STATUSES`; default none).

    Returns
    -------
    Register
    """
    path = Path(path)
    origin = str(path)
    if not path.is_file():
        raise RegisterError(f"{path}: no such file.", [Problem("error", origin, None, None, "no such file")])
    ref = reference_date if isinstance(reference_date, dt.date) else (
        dt.date.fromisoformat(reference_date) if reference_date else settings.today())
    counted = {"actief", *(status_of(s) for s in count_status)}
    try:
        raw, offset = read(path)
    except DataError as exc:
        raise RegisterError(str(exc), [Problem("error", origin, None, None, str(exc))]) from exc
    frame, original = normalise_columns(raw, origin)
    if raw.attrs.get("xy_from_geometry"):
        original.update(x="geometry", y="geometry")  # the coordinates come from the features' geometry
    problems: list[Problem] = []

    def add(severity: str, i: int | None, column: str | None, message: str) -> None:
        named = ", ".join(dict.fromkeys(original.get(c.strip(), c.strip()) for c in column.split(","))) \
            if column else None
        problems.append(Problem(severity, origin, None if i is None else i + offset, named, message))

    if not _required_present(original):
        missing = [k for k in ("name", "programme") if k not in original]
        add("error", None, None, f"the header lacks {' and '.join(missing)} (naam/name, programma/programme); "
                                 f"found: {', '.join(map(str, raw.columns))}")
        raise RegisterError(_summary(path, problems), problems)

    for i, column in raw.attrs.get("invisible", []):  # removed on reading (files.visible_frame): said per cell
        add("warning", i, column, "contained invisible characters (such as U+202E, which turns the text around "
                                  "it right to left, or a zero-width space); they were removed")
    layers = boundaries if boundaries is not None else boundary_layers(offline=offline)
    given = frame["area_code"].map(regions.normalise_code)
    codes = _AreaCodes(layers, [c for c in given if regions.is_area_code(c) and regions.level_of(c) in regions.LEVELS])
    for note in codes.notes():
        add("warning", None, "area_code", note)
    province = layers["gemeente"].geometry.union_all().buffer(PROVINCE_TOLERANCE_M)
    geocoder = Geocoder() if geocode else None
    records = []
    for i, row in frame.iterrows():
        record = _place_row(i, row, add, codes, province, geocoder, ref, counted)
        if record is not None:
            record["row"] = i + offset
            records.append(record)
    if geocoder is not None:
        geocoder.save()
        if geocoder.unavailable:
            add("warning", None, None, f"geocoding unavailable ({geocoder.unavailable}); rows with an area code "
                                       "were placed on that area instead")
    _flag_duplicates(frame, add)
    columns = list(COLUMNS) + ["row", "placement", "area_wide", "active", "gemeente_code", "geocode_match",
                               "geocode_score", "prevention_levels"]
    initiatives = gpd.GeoDataFrame(records, columns=columns + ["geometry"], geometry="geometry",
                                   crs=settings.CRS_ANALYSIS)
    initiatives["area"] = gpd.GeoSeries(
        [codes.find(code)[0] if wide else None
         for code, wide in zip(initiatives["area_code"].map(regions.normalise_code), initiatives["area_wide"],
                               strict=True)],
        index=initiatives.index, crs=settings.CRS_ANALYSIS)
    register = Register(path=path, initiatives=initiatives, problems=problems, reference_date=ref)
    if strict and register.errors:
        raise RegisterError(_summary(path, problems), problems)
    return register


def _summary(path: Path, problems: list[Problem]) -> str:
    errors = [p for p in problems if p.severity == "error"]
    lines = [f"{path}: {len(errors)} error(s) in the initiative register; nothing was used. Fix them and try again:"]
    lines += [f"  {p}" for p in errors[:50]]
    if len(errors) > 50:
        lines.append(f"  ... and {len(errors) - 50} more (run 'mgg-geo register check {path}')")
    return "\n".join(lines)


def _flag_duplicates(frame: pd.DataFrame, add) -> None:
    keyed = frame.drop(columns=["notes", "source"]).astype(object).fillna("").astype(str).agg("|".join, axis=1)
    for i in np.flatnonzero(keyed.duplicated().to_numpy()):
        first = int(np.flatnonzero((keyed == keyed.iloc[i]).to_numpy())[0])
        add("warning", frame.index[i], None, f"duplicate of the row above (same as data row {first + 1}); "
                                             "both are kept: delete one if it is the same site")


def _place_row(i, row, add, codes: _AreaCodes, province, geocoder, ref: dt.date, counted: set[str]) -> dict | None:
    ok = True

    def error(column, message):
        nonlocal ok
        ok = False
        add("error", i, column, message)

    name, programme = _given(row["name"]), _given(row["programme"])
    if name is None:
        error("name", "missing required field: the initiative's name")
    for column in ("name", "programme", "organisation"):
        text = _given(row[column])
        if text and _MARKUP.search(text):
            add("warning", i, column, f"{text!r} contains markup, script or template-like text; it is kept "
                                      "and always shown as plain text, never evaluated")
    if programme is None:
        error("programme", "missing required field: programme (STORM, KoPPeLing, Move aHead or another name)")
    values = {}
    for column in ("age_min", "age_max", "capacity"):
        try:
            values[column] = _number(row[column])
        except ValueError:
            error(column, f"{row[column]!r} is not a number")
            values[column] = None
    if values["capacity"] is not None and values["capacity"] < 0:
        error("capacity", f"negative capacity ({values['capacity']:g}); give participants or places per year")
    if None not in (values["age_min"], values["age_max"]) and values["age_min"] > values["age_max"]:
        error("age_max", f"age_max {values['age_max']:g} is below age_min {values['age_min']:g}")
    if values["age_min"] is None and values["age_max"] is None and _given(row["age_min"]) is None \
            and _given(row["age_max"]) is None:
        add("warning", i, "age_min, age_max", "no age range: it counts for no target group, so reports leave it "
                                              "out of coverage and name it on page 1; fill in the youngest and/or "
                                              "oldest age (or run with --include-unknown-ages)")
    dates = {}
    for column in ("start_date", "end_date"):
        try:
            dates[column] = _date(row[column])
        except ValueError:
            error(column, f"{row[column]!r} is not a date; write it as YYYY-MM-DD")
            dates[column] = None
    if dates["start_date"] and dates["end_date"] and dates["end_date"] < dates["start_date"]:
        error("end_date", f"end date {dates['end_date']} lies before start date {dates['start_date']}")
    try:
        status = status_of(row["status"])
    except ValueError:
        error("status", f"unknown status {row['status']!r}; use {', '.join(STATUSES)} (empty: actief)")
        status = "actief"
    try:
        source_date = source_date_of(row["source_date"])
    except ValueError:
        error("source_date", f"{row['source_date']!r} is not a source date; write YYYY, YYYY-MM or YYYY-MM-DD")
        source_date = None
    levels, unknown = _levels(row["prevention_level"])
    if unknown:
        error("prevention_level", f"unknown prevention level {', '.join(repr(u) for u in unknown)}; use "
                                  f"{', '.join(PREVENTION_LEVELS)} (several separated by ';')")

    layers = codes.layers
    point, placement, match, score, area_wide, columns = _locate(i, row, error, add, codes, geocoder)
    gemeente = None
    if point is not None:
        if not province.contains(point):
            error(columns, f"the location ({point.x:.0f}, {point.y:.0f} in RD, from {columns}) lies outside the "
                           "province of Groningen; check the coordinates or the address")
        else:
            hits = layers["gemeente"].index[layers["gemeente"].geometry.intersects(point.buffer(1))]
            gemeente = hits[0] if len(hits) else _nearest(layers["gemeente"], point)
            given = _given(row["municipality"])
            if given:
                try:
                    code = regions.resolve_municipality(given)
                    # boundaries of before a merger: the municipality the placed one is part of now
                    now = regions.successor(gemeente, regions.MUNICIPALITIES_SINCE)
                    if code != now:
                        add("warning", i, "municipality", f"placed in {regions.MUNICIPALITIES.get(now, now)} "
                                                          f"although the row says {given}")
                except MggError:
                    add("warning", i, "municipality", f"unknown municipality {given!r}")
    elif ok:
        error(None, "no location: give lat/lon, x/y, an address (postcode + huisnummer or street + town), "
                    "a town or an area code")
    if not ok:
        return None
    active = dates["end_date"] is None or dates["end_date"] >= ref
    if not active:
        add("warning", i, "end_date", f"ended on {dates['end_date']}: listed, but not counted for coverage")
    elif status not in counted:
        active = False
        add("warning", i, "status", f"status {status}: listed, but not counted for coverage (count it with "
                                    f"--include-status {status})")
    record = {k: _given(row[k]) for k in COLUMNS}
    record.update(values)
    record.update({"status": status, "source_date": source_date})
    record.update({"start_date": dates["start_date"], "end_date": dates["end_date"], "row": None,
                   "placement": placement, "area_wide": area_wide, "active": active, "gemeente_code": gemeente,
                   "geocode_match": match, "geocode_score": score, "prevention_levels": ";".join(levels),
                   "geometry": point, "name": name, "programme": programme})
    return record


def _nearest(layer: gpd.GeoDataFrame, point: Point) -> str:
    return layer.geometry.distance(point).idxmin()


def _locate(i, row, error, add, codes: _AreaCodes, geocoder):
    """Return (point, placement, geocode match, score, area_wide, the columns that gave the location)."""
    area_code = regions.normalise_code(row["area_code"]) or None
    area_point = area = other = None
    code_given = area_code is not None
    if area_code is not None:
        if not regions.is_area_code(area_code) or regions.level_of(area_code) not in regions.LEVELS:
            error("area_code", f"{row['area_code']!r} is not a BU/WK/GM code (e.g. BU00140000, WK001400, GM0014)")
            area_code = None
        else:
            area, other = codes.find(area_code)
            if area is None:
                error("area_code", codes.unknown(area_code))
                area_code = None
            else:
                area_point = area.representative_point()
    # exact coordinates
    for a, b, crs in (("lat", "lon", "EPSG:4326"), ("x", "y", settings.CRS_ANALYSIS)):
        if _given(row[a]) is None and _given(row[b]) is None:
            continue
        try:
            u, v = _number(row[a]), _number(row[b])
        except ValueError:
            bad = a if not _is_number(row[a]) else b
            error(bad, f"{row[bad]!r} is not a coordinate")
            return None, None, None, None, False, None
        if u is None or v is None:
            error(b if u is not None else a, f"{a} and {b} must both be given")
            return None, None, None, None, False, None
        if crs == "EPSG:4326":
            if 50 <= v <= 54 and 3 <= u <= 8:
                error(a, f"lat {u:g} / lon {v:g} look swapped (Groningen lies near lat 53.2, lon 6.6)")
                return None, None, None, None, False, None
            if not (-90 <= u <= 90 and -180 <= v <= 180):
                error(a, f"lat {u:g} / lon {v:g} are not WGS84 coordinates")
                return None, None, None, None, False, None
            point = gpd.GeoSeries([Point(v, u)], crs=crs).to_crs(settings.CRS_ANALYSIS).iloc[0]
        else:
            if u > 300_000 and v < 300_000:
                error(a, f"x {u:g} / y {v:g} look swapped (RD x lies below 300,000, y above 300,000)")
                return None, None, None, None, False, None
            point = Point(u, v)
        return point, "exact", None, None, False, f"{a}, {b}"
    # geocoding
    postcode, number = _given(row["postcode"]), _given(row["huisnummer"])
    street, town = _given(row["street"]), _given(row["town"])
    if postcode and not _POSTCODE.match(postcode):
        error("postcode", f"{postcode!r} is not a Dutch postcode (1234 AB)")
        return None, None, None, None, False, None
    queries = []
    if postcode and number:
        queries.append(("address", f"{postcode.replace(' ', '')} {number}"))
    if street and town:
        queries.append(("address", f"{street} {number or ''} {town}".replace("  ", " ")))
    if postcode:
        queries.append(("postcode", postcode.replace(" ", "")))
    if town:
        queries.append(("town", town))
    for kind, query in queries:
        if geocoder is None:
            break
        answer = geocoder.lookup(query, kind)
        if answer is not None:
            point = Point(answer["x"], answer["y"])
            if area is not None and not area.buffer(PROVINCE_TOLERANCE_M).contains(point):
                add("warning", i, "area_code", f"geocoded '{query}' to {answer['weergavenaam']}, outside its area "
                                               f"code {area_code}")
            return point, kind, answer.get("weergavenaam"), answer.get("score"), False, _address_columns(kind)
    if area_point is not None:
        if other is not None:  # a code of another boundary year: its area of that year
            used = codes.year(regions.level_of(area_code))
            add("warning", i, "area_code", f"{area_code} is a {regions.level_of(area_code)} of {other}, not of "
                                           f"{used if used else 'the boundaries used'}: placed on its area of {other}")
        if queries:
            why = "geocoding unavailable" if geocoder is None or geocoder.unavailable else "not found by Locatieserver"
            add("warning", i, "area_code", f"placed on area {area_code} ({why}: "
                                           f"{', '.join(q for _, q in queries)})")
        return area_point, "area", None, None, not queries, "area_code"
    if queries:
        why = "geocoding unavailable" if geocoder is None or geocoder.unavailable else "not found by Locatieserver"
        error("town" if town else "postcode", f"could not place {', '.join(q for _, q in queries)} ({why}); "
                                              f"{'give a known' if code_given else 'add an'} area code (gebiedscode) "
                                              "or coordinates")
    return None, None, None, None, False, None


def _address_columns(kind: str) -> str:
    return {"address": "postcode, huisnummer, street, town", "postcode": "postcode", "town": "town"}[kind]


def _is_number(value) -> bool:
    try:
        _number(value)
        return True
    except ValueError:
        return False

"""Secondary schools as candidate sites for a school-based programme (STORM).

The school list is DUO's open dataset "Adressen alle vestigingen VO" (one
row per vestiging: code, name, address, postcode, town, municipality), as
DUO publishes it (semicolon CSV, upper-case headers) or as a regional extract
with lower-case headers (``settings.SCHOOLS_PATH``; by default the extract in
the shared data folder, read in place). :func:`load` reads it within the
register limits, keeps the vestigingen of the province's municipalities and
places each one as a point in EPSG:28992:

=========  ========================================================  ==========================
placement  how                                                       precision
=========  ========================================================  ==========================
address    PDOK Locatieserver, postcode + house number               the building
postcode   PDOK Locatieserver, postcode alone                        the street (a few houses)
town       the town: Locatieserver (woonplaats), or offline the      approximate: every school
           buurt that holds the town's centre (:func:`town_area`)    of the town on one point
area       the municipality (the town could not be placed)           approximate
=========  ========================================================  ==========================

Without network (offline, or Locatieserver unreachable) every school is
placed on its town's central buurt, found from the CBS buurt and wijk names
(:func:`town_area`): that is approximate, and all schools of one town share
a point. The placement is kept per school (``placement``, ``placed_on``) and
every report and map states it.

:func:`running` tells which vestigingen run a programme according to the
register (its ``school_code`` column).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from mgg_geo import settings
from mgg_geo.data import cache, files, regions
from mgg_geo.data.pdok import Geocoder
from mgg_geo.errors import DataError, MggError, MggWarning
from mgg_geo.text import cell

#: Schema name -> accepted headers (case, spaces, hyphens and underscores ignored): the regional extract's and
#: DUO's own.
COLUMNS: dict[str, tuple[str, ...]] = {
    "school_code": ("vestigingscode", "vestigingsnummer", "brinvestigingsnummer"),
    "institution": ("instellingscode", "brinnummer", "brin"),
    "name": ("vestigingsnaam",),
    "street": ("straatnaam",),
    "number": ("huisnummertoevoeging", "huisnummer"),
    "postcode": ("postcode",),
    "town": ("plaatsnaam",),
    "municipality_number": ("gemeentenummer",),
    "municipality": ("municipality", "gemeentenaam", "gemeentenaamduo"),
    "province": ("provincie",),
    "structure": ("onderwijsstructuur",),
    "website": ("internetadres",),
}
REQUIRED = ("school_code", "name", "street", "number", "postcode", "town")
_FOLD = {re.sub(r"[\s_\-]", "", a): key for key, aliases in COLUMNS.items() for a in aliases}
_POSTCODE = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})\s*$")
#: Words of a buurt or wijk name that mark a town's centre, and words that mark the land around it.
CENTRE_WORDS = ("centrum", "stadshart", "midden", "dorp", "kern")
RURAL_WORDS = ("buitengebied", "verspreide huizen", "bedrijventerrein", "industriegebied", "industrieterrein")
#: A geocoded school may lie this far (m) outside its municipality and still count as placed there.
MUNICIPALITY_TOLERANCE_M = 500.0
#: Columns of the placed school frame besides the geometry.
PLACED_COLUMNS = ["school_code", "institution", "name", "street", "number", "postcode", "town", "address",
                  "gemeente_code", "structure", "placement", "placed_on", "placed_on_name", "geocode_match",
                  "geocode_score", "buurt_code", "buurt_name"]


@dataclass
class Schools:
    """The placed schools of the province and where they came from.

    Attributes
    ----------
    frame
        GeoDataFrame (EPSG:28992), one row per vestiging (:data:`PLACED_COLUMNS`).
    path, sha256
        The school file and its checksum.
    outside
        Rows of the file outside the province's municipalities (left out).
    problems
        Warnings (a school that could not be placed precisely, geocoding unavailable).
    """

    frame: gpd.GeoDataFrame
    path: Path
    sha256: str
    outside: int = 0
    problems: list[str] = field(default_factory=list)

    def manifest(self) -> dict:
        """Where the list came from, for the sources of a report (JSON-safe)."""
        return {"kind": "schools", "source_file": str(self.path), "sha256": self.sha256, "rows": int(len(self.frame)),
                "outside": int(self.outside), "title": "DUO, Adressen alle vestigingen VO",
                "placements": {k: int(v) for k, v in self.frame["placement"].value_counts().items()}}


def town_name(raw) -> str:
    """A DUO town as it is written: "WINSUM GN" -> "Winsum", "OUDE PEKELA" -> "Oude Pekela".

    >>> town_name("HAREN GN"), town_name("TER APEL"), town_name("Groningen (Beijum)")
    ('Haren', 'Ter Apel', 'Groningen (Beijum)')
    """
    text = cell(raw, "", squeeze=True, literal=True)
    text = re.sub(r"\s+GN$", "", text, flags=re.IGNORECASE)
    return text.title() if text.isupper() else text


def read(path: str | Path) -> tuple[pd.DataFrame, int]:
    """Read a DUO school file within the register limits: the province's vestigingen, as text.

    Returns the frame (schema columns of :data:`COLUMNS`, ``gemeente_code`` added) and the number of rows
    outside the province that were left out.

    Raises
    ------
    DataError
        A missing or unreadable file, a missing column, or a row without a required value (named by its row).
    """
    path = Path(path)
    raw = files.read_table(path, files.register_limits())
    renamed, seen = {}, set()
    for column in raw.columns:
        key = _FOLD.get(re.sub(r"[\s_\-]", "", str(column).strip().lower()))
        if key and key not in seen:
            renamed[column] = key
            seen.add(key)
    missing = [k for k in REQUIRED if k not in seen]
    if missing or not ({"municipality_number", "municipality"} & seen):
        need = [COLUMNS[k][0] for k in missing] + ([] if {"municipality_number", "municipality"} & seen
                                                    else ["gemeentenummer or gemeentenaam"])
        raise DataError(f"{path}: not a DUO list of school locations: the columns {', '.join(need)} are missing "
                        f"(found: {', '.join(map(str, raw.columns))}).")
    frame = raw[list(renamed)].rename(columns=renamed).map(cell, missing=None, squeeze=True, literal=True)
    for key in COLUMNS:
        if key not in frame:
            frame[key] = None
    codes = []
    for number, name in zip(frame["municipality_number"], frame["municipality"], strict=True):
        code = None
        if number and re.fullmatch(r"\d{1,4}", number):
            code = f"GM{int(number):04d}"
        elif name:
            try:
                code = regions.resolve_municipality(name)
            except MggError:
                code = None
        codes.append(code)
    frame["gemeente_code"] = codes
    inside = frame["gemeente_code"].isin(list(regions.MUNICIPALITIES))
    if frame["province"].notna().any():
        inside &= frame["province"].fillna("").str.casefold().eq("groningen") | frame["province"].isna()
    province = frame[inside].copy()
    problems = []
    for i, row in province.iterrows():
        for key in REQUIRED:
            if row[key] is None:
                problems.append(f"row {i + 2}: no {COLUMNS[key][0]}")
        if row["postcode"] and not _POSTCODE.match(row["postcode"]):
            problems.append(f"row {i + 2}: {row['postcode']!r} is not a Dutch postcode (1234 AB)")
    if problems:
        raise DataError(f"{path}: " + "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if
                                                                  len(problems) > 10 else "")
                        + ". Correct the school file (DUO 'Adressen alle vestigingen VO').")
    duplicated = province["school_code"][province["school_code"].duplicated()]
    if len(duplicated):
        raise DataError(f"{path}: vestigingscode {duplicated.iloc[0]} appears more than once.")
    province["town"] = province["town"].map(town_name)
    province["postcode"] = province["postcode"].map(lambda p: "{} {}".format(*_POSTCODE.match(p).groups()).upper())
    return province.reset_index(drop=True), int((~inside).sum())


# --------------------------------------------------------------------------- placing a town offline


def _fold_place(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[-–/,]", " ", str(text).lower())).strip()


def _has_word(name: str, word: str) -> bool:
    return re.search(rf"(?<![\w']){re.escape(word)}(?![\w'])", name) is not None


def _rural(name: str) -> bool:
    return any(w in name for w in RURAL_WORDS)


def town_area(town: str, gemeente_code: str, layers: dict[str, gpd.GeoDataFrame]) -> tuple[str, str] | None:
    """The area (code, name) that holds the centre of ``town`` in municipality ``gemeente_code``, from the CBS
    buurt and wijk names alone; None when the names do not tell.

    In this order, first among buurten, then among wijken: the area named exactly as the town ("Ulrum"); the
    area whose name holds the town and a centre word ("Uithuizen Centrum", "Centrum Leek en omgeving", "Ten Boer
    Dorp"); for the municipality's main town, the area named "Centrum"; within the wijken named after the town,
    the buurt with a centre word ("Stadshart-Noord" in "Foxham en Hoogezand-Noord"); the only non-rural buurt
    whose name starts with the town, or the one wijk that holds all of them. A part in brackets ("Groningen
    (Beijum)") is tried before the town. Rural areas (buitengebied, verspreide huizen, bedrijventerrein) are
    never chosen.
    """
    main = re.sub(r"\(.*?\)", "", str(town)).strip()
    inner = re.findall(r"\((.*?)\)", str(town))
    wanted = [_fold_place(t) for t in [*inner, main] if t.strip()]
    gm_name = _fold_place(regions.MUNICIPALITIES.get(gemeente_code, ""))
    own: dict[str, pd.Series] = {}
    for level in ("buurt", "wijk"):
        layer = layers.get(level)
        if layer is not None:
            part = layer[layer["gemeente_code"] == gemeente_code]
            names = pd.Series([_fold_place(n) for n in part["name"]], index=part.index, dtype=object)
            own[level] = names[[not _rural(n) for n in names]]

    def named(level: str, code: str) -> tuple[str, str]:
        return code, str(layers[level].at[code, "name"])

    def centre(level: str, codes) -> str | None:
        """The one area of ``codes`` with the strongest centre word (None when none, or a tie)."""
        for word in CENTRE_WORDS:
            hits = [c for c in codes if _has_word(own[level][c], word)]
            if hits:  # a tie goes to the shortest name ("Stadskanaal Centrum" before "Stadskanaal Noord Centrum")
                words = [len(own[level][c].split()) for c in hits]
                best = [c for c, w in zip(hits, words, strict=True) if w == min(words)]
                return best[0] if len(best) == 1 else None
        return None

    for want in wanted:
        for level, names in own.items():  # buurten first: the area named as the town, or with a centre word
            hits = [c for c, n in names.items() if n == want]
            if len(hits) == 1:
                return named(level, hits[0])
            found = centre(level, [c for c, n in names.items() if _has_word(n, want)])
            if found:
                return named(level, found)
        if want == gm_name:  # the municipality's main town: its area named "Centrum"
            for level, names in own.items():
                hits = [c for c, n in names.items() if n == "centrum"]
                if len(hits) == 1:
                    return named(level, hits[0])
        if "buurt" in own and "wijk" in own:  # the centre buurt of the wijken named after the town
            wijken = [c for c, n in own["wijk"].items() if _has_word(n, want)]
            found = centre("buurt", [c for c in _buurten_in(layers, wijken) if c in own["buurt"].index])
            if found:
                return named("buurt", found)
        starts = [c for c, n in own.get("buurt", pd.Series(dtype=object)).items() if n.startswith(want)]
        if len(starts) == 1:
            return named("buurt", starts[0])
        if len(starts) > 1 and "wijk" in layers:
            holding = _wijk_of(layers, starts)
            if holding is not None:
                return named("wijk", holding)
    return None


def _buurten_in(layers: dict[str, gpd.GeoDataFrame], wijken: list[str]) -> list[str]:
    """The buurten whose representative point lies in one of ``wijken``."""
    if not wijken:
        return []
    buurten, shapes = layers["buurt"], layers["wijk"].geometry.loc[wijken]
    points = buurten.geometry.representative_point()
    return [c for c, p in points.items() if shapes.contains(p).any()]


def _wijk_of(layers: dict[str, gpd.GeoDataFrame], buurten: list[str]) -> str | None:
    """The one wijk that holds every buurt of ``buurten`` (by their representative points), or None."""
    points = layers["buurt"].geometry.loc[buurten].representative_point()
    holders = set()
    for point in points:
        hits = layers["wijk"].index[layers["wijk"].geometry.contains(point)]
        if len(hits) != 1:
            return None
        holders.add(hits[0])
    return holders.pop() if len(holders) == 1 else None


# --------------------------------------------------------------------------- placing the schools


def place(frame: pd.DataFrame, layers: dict[str, gpd.GeoDataFrame], geocoder: Geocoder | None = None,
          problems: list[str] | None = None) -> gpd.GeoDataFrame:
    """Place every school of ``frame`` (from :func:`read`) as a point (see the module docstring).

    Parameters
    ----------
    layers
        ``{"gemeente": gdf, "wijk": gdf, "buurt": gdf}`` indexed by code (EPSG:28992).
    geocoder
        PDOK Locatieserver lookups (None: offline, placed on the town's buurt).
    problems
        Collects a warning per school that could not be placed as asked.
    """
    problems = problems if problems is not None else []
    records = []
    municipalities = layers["gemeente"].geometry
    towns: dict[tuple[str, str], tuple[str, str] | None] = {}  # town_area per (town, municipality): many schools
    for _, s in frame.iterrows():
        number = re.sub(r"\s+", "", s["number"] or "")
        postcode = (s["postcode"] or "").replace(" ", "")
        queries = [("address", f"{postcode} {number}"), ("postcode", postcode), ("town", s["town"])]
        point = placement = match = score = placed_on = placed_name = None
        for kind, query in queries if geocoder is not None else ():
            answer = geocoder.lookup(query, kind)
            if answer is None:
                continue
            candidate = Point(answer["x"], answer["y"])
            if s["gemeente_code"] in municipalities.index and not municipalities.loc[s["gemeente_code"]].buffer(
                    MUNICIPALITY_TOLERANCE_M).contains(candidate):
                problems.append(f"{s['name']} ({s['school_code']}): Locatieserver placed '{query}' at "
                                f"{answer.get('weergavenaam')}, outside {regions.MUNICIPALITIES[s['gemeente_code']]}; "
                                "not used")
                continue
            point, placement, match, score = candidate, kind, answer.get("weergavenaam"), answer.get("score")
            break
        if point is None:
            key = (s["town"], s["gemeente_code"])
            if key not in towns:
                towns[key] = town_area(*key, layers)
            found = towns[key]
            if found is not None:
                placed_on, placed_name = found
                level = regions.level_of(placed_on)
                point, placement = layers[level].geometry.loc[placed_on].representative_point(), "town"
            elif s["gemeente_code"] in municipalities.index:
                placed_on, placed_name = s["gemeente_code"], regions.MUNICIPALITIES[s["gemeente_code"]]
                point, placement = municipalities.loc[s["gemeente_code"]].representative_point(), "area"
                problems.append(f"{s['name']} ({s['school_code']}): the town {s['town']} is not a buurt or wijk "
                                "name; placed on the municipality")
            else:
                problems.append(f"{s['name']} ({s['school_code']}): no boundaries for {s['gemeente_code']}; "
                                "left out")
                continue
        records.append({
            "school_code": s["school_code"], "institution": s["institution"], "name": s["name"],
            "street": s["street"], "number": s["number"], "postcode": s["postcode"], "town": s["town"],
            "address": f"{s['street']} {s['number']}, {s['postcode']} {s['town']}",
            "gemeente_code": s["gemeente_code"], "structure": s["structure"], "placement": placement,
            "placed_on": placed_on, "placed_on_name": placed_name, "geocode_match": match,
            "geocode_score": None if score is None else float(score), "geometry": point})
    placed = gpd.GeoDataFrame(records, columns=[*PLACED_COLUMNS[:15], "geometry"], geometry="geometry",
                              crs=settings.CRS_ANALYSIS)
    buurten = layers.get("buurt")
    placed["buurt_code"], placed["buurt_name"] = None, None
    if buurten is not None and len(placed):
        joined = gpd.sjoin(placed[["geometry"]], buurten[["name", "geometry"]].rename_axis("buurt").reset_index(),
                           predicate="within", how="left")
        joined = joined[~joined.index.duplicated()]
        placed["buurt_code"] = joined["buurt"].where(joined["buurt"].notna(), None).astype(object)
        placed["buurt_name"] = joined["name"].where(joined["name"].notna(), None).astype(object)
    return placed[[*PLACED_COLUMNS, "geometry"]]


def load(path: str | Path | None = None, *, layers: dict[str, gpd.GeoDataFrame], geocode: bool = True,
         offline: bool = False) -> Schools:
    """Read and place the school list (default ``settings.SCHOOLS_PATH``).

    Parameters
    ----------
    layers
        The boundary layers (:func:`mgg_geo.supply.initiatives.boundary_layers`).
    geocode
        Ask PDOK Locatieserver (through the geocoding cache); never when ``offline``.
    """
    path = Path(path or settings.SCHOOLS_PATH)
    frame, outside = read(path)
    problems: list[str] = []
    geocoder = Geocoder() if geocode and not offline else None
    placed = place(frame, layers, geocoder, problems)
    if geocoder is not None:
        geocoder.save()
        if geocoder.unavailable:
            problems.append(f"geocoding unavailable ({geocoder.unavailable}); schools not in the geocoding cache "
                            "were placed on their town's buurt")
    return Schools(placed, path, cache.sha256(path), outside, problems)


def available(path: str | Path | None = None) -> bool:
    """Whether the school list exists (``settings.SCHOOLS_PATH`` by default)."""
    return Path(path or settings.SCHOOLS_PATH).is_file()


def load_if_available(path: str | Path | None = None, **kwargs) -> Schools | None:
    """:func:`load`, or None with a warning when the school list is missing (reports then say so)."""
    target = Path(path or settings.SCHOOLS_PATH)
    if not target.is_file():
        warnings.warn(MggWarning(f"No school list at {target} (MGG_SCHOOLS): reports cannot name candidate schools "
                                 "for STORM. Download DUO's 'Adressen alle vestigingen VO' and point MGG_SCHOOLS at "
                                 "it."), stacklevel=2)
        return None
    return load(target, **kwargs)


def running(initiatives: pd.DataFrame, programme: str, reference_date=None) -> dict[str, str]:
    """The vestigingen that run ``programme`` according to the register: ``{vestigingscode: register name}``.

    A register row counts unless it ended before ``reference_date`` (default today) or its status is
    ``gesloten``; its ``school_code`` may name
    several vestigingen (separated by ``;``), e.g. when the source does not say which of a school's
    buildings runs it.
    """
    out: dict[str, str] = {}
    if initiatives is None or not len(initiatives) or "school_code" not in initiatives:
        return out
    rows = initiatives[initiatives["programme"].astype(str).str.casefold() == programme.casefold()]
    for _, row in rows.iterrows():
        if str(row.get("status") or "actief") == "gesloten":
            continue
        end = row.get("end_date")
        reference = pd.Timestamp(reference_date or pd.Timestamp.today()).date()
        if end is not None and pd.notna(end) and pd.Timestamp(end).date() < reference:
            continue
        for code in re.split(r"[;,\s]+", str(row.get("school_code") or "")):
            if code:
                out.setdefault(code.upper(), str(row["name"]))
    return out

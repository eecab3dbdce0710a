"""The offline route: load manually downloaded files into the cache.

For analysts behind strict firewalls. Each importer reads a file, maps its
columns to the catalogue concepts exactly as the live route does, and stores
the result in the cache with a manifest (``origin: import``, ``source_file``
and its sha256). Later analyses cannot tell the routes apart.

Accepted files
--------------
kwb
    CBS kwb downloads (xls, xlsx, csv; the CBS short column names such as
    ``a_inw``, ``p_hh_osm``, ``p_wcorpw``), and CSV exports of the OData table
    (keys such as ``AantalInwoners_5``). The year comes from ``--year``, a
    ``year``/``jaar`` column (one cache entry per year found) or the file name
    (``kwb-2021.xls``, ``85984NED``).
health
    StatLine CSV exports of the RIVM tables (comma or semicolon, UTF-8 with or
    without BOM, decimal point or comma; keys such as ``Eenzaam_28`` or
    titles). Point estimates (``Marges`` MW00000) only; one entry per period.
boundaries
    GeoJSON or GeoPackage with CBS codes (``statcode``, ``buurtcode``, ...), in
    any CRS; stored in EPSG:28992.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import settings
from mgg_geo.data import cache, catalogue, kinds, regions, tables
from mgg_geo.data.files import import_limits, read_geo, read_table
from mgg_geo.errors import DataError

#: The Persoonskenmerken category 'totaal' in the young-adult monitor (16-25 years).
YOUNG_ADULTS_TOTAL = "T009002"

#: The example files of the shared data folder, by source kind (:mod:`mgg_geo.data.kinds`; see
#: ``mgg-geo import shared``), with the importer's parameters.
SHARED_EXAMPLES: tuple[tuple[str, str, dict], ...] = (
    ("boundaries", "boundaries/gemeenten_2024_groningen_rd.geojson", {"level": "gemeente", "year": 2024}),
    ("boundaries", "boundaries/wijken_2024_groningen_rd.geojson", {"level": "wijk", "year": 2024}),
    ("boundaries", "boundaries/buurten_2024_groningen_rd.geojson", {"level": "buurt", "year": 2024}),
    # the indelingen of the older tables (RIVM 2020, KWB 2021): geometry for the crosswalks
    *(("boundaries", f"boundaries/{stem}_{year}_groningen_rd.geojson", {"level": level, "year": year})
      for year in (2020, 2021) for stem, level in (("gemeenten", "gemeente"), ("wijken", "wijk"),
                                                   ("buurten", "buurt"))),
    ("kwb", "cbs/kwb2021_2022_via_capybara/kwb_2021_2022_gm_wk_decimalfixed_groningen.csv", {}),
    ("kwb", "cbs/kwb2024_85984NED_partial/kwb2024_85984NED_gm_wk_8cols_groningen.csv", {"year": 2024}),
    # municipality figures in the 2020 indeling (12 municipalities): the fingerprints of the Eemsdelta merger
    ("kwb", "cbs/wijkbuurtkaart2020_gemeenten_via_buurtvergelijker/gemeenten_2020_groningen.csv",
     {"year": 2020, "table_id": "wijkbuurtkaart-2020", "title": "CBS Wijk- en buurtkaart 2020, gemeenten"}),
    ("health", "cbs/rivm_50090NED_gezondheid_wijk_buurt/gezondheid_2012_2016_2020_groningen.csv",
     {"table_id": "50090NED"}),
    ("youth", "cbs/rivm_50140NED_jongvolwassenen_2024/50140NED_groningen.csv", {"year": 2024}),
)


# --------------------------------------------------------------------------- reading


def _year_from_name(path: Path) -> int | None:
    text = path.name
    for year, table in catalogue.KWB_TABLES.items():
        if table.lower() in text.lower():
            return year
    match = re.search(r"(?<!\d)(20[0-4]\d)(?!\d)", text)
    return int(match.group(1)) if match else None


def _table_id_from_name(path: Path) -> str | None:
    match = re.search(r"(\d{5}NED)", path.name, flags=re.IGNORECASE)
    return match.group(1).upper() if match else None


def _column(raw: pd.DataFrame, *names: str) -> str | None:
    lower = {c.lower(): c for c in raw.columns}
    return next((lower[n.lower()] for n in names if n.lower() in lower), None)


def _manifest_columns(mapping: dict[str, str]) -> dict:
    return {k: {"column": col, "title": catalogue.CONCEPTS[k].label, "unit": catalogue.CONCEPTS[k].unit}
            for k, col in mapping.items()}


def _file_fields(path: Path) -> dict:
    return {"origin": "import", "source_file": str(path.resolve()), "source_sha256": cache.sha256(path),
            "retrieved_at": cache.now_utc()}


# --------------------------------------------------------------------------- kwb


def import_kwb(path: str | Path, *, year: int | None = None, table_id: str | None = None,
               title: str | None = None) -> list[cache.Entry]:
    """Import a CBS Kerncijfers wijken en buurten file; returns one cache entry per year.

    The codes belong to the indeling of the reference year (``indeling`` in the manifest).
    """
    path = Path(path)
    raw = read_table(path)
    code_col = tables.guess_code_column(raw, ("gwb_code_10", "gwb_code", "Codering_3", "WijkenEnBuurten", "code"))
    if code_col is None:
        raise DataError(f"{path}: no column with CBS area codes (gwb_code, Codering_3, ...); is this a kwb file?")
    mapping = catalogue.match_columns(list(raw.columns), catalogue.KWB_CONCEPTS)
    if not mapping:
        raise DataError(
            f"{path}: none of the Kerncijfers columns were recognised. Expected CBS short names such as a_inw, "
            "p_hh_osm, p_wcorpw (kwb xls/csv download) or OData keys such as AantalInwoners_5."
        )
    name_col = _column(raw, "regio", "statnaam", "naam",
                       "Gemeentenaam_1" if code_col.lower() != "codering_3" else "WijkenEnBuurten")
    if name_col is None and raw[code_col].map(regions.normalise_code).str.startswith("GM").all():
        name_col = _column(raw, "gm_naam", "gemeentenaam")  # only municipality rows: their names
    if name_col is not None and raw[name_col].map(regions.is_area_code).all():
        name_col = None
    year_col = _column(raw, "year", "jaar")
    if year is not None:
        groups = [(year, raw)]
    elif year_col is not None:
        groups = [(int(float(y)), part) for y, part in raw.groupby(raw[year_col].str.strip())]
    else:
        guessed = _year_from_name(path)
        if guessed is None:
            raise DataError(f"{path}: cannot tell the year of this file; pass --year YYYY.")
        groups = [(guessed, raw)]
    stored = []
    for y, part in groups:
        frame = tables.tidy_table(part, code_column=code_col, mapping=mapping,
                                  names=part[name_col] if name_col else None, origin=str(path))
        if frame.empty:
            raise DataError(f"{path}: no rows of the province of Groningen ({y}).")
        frame, used, empty = tables.drop_empty_concepts(frame, mapping)
        manifest = {
            "kind": "kwb", "year": y, "indeling": y,
            "table_id": table_id or catalogue.KWB_TABLES.get(y) or _table_id_from_name(path),
            "title": title or f"Kerncijfers wijken en buurten {y}",
            "modified": None, **_file_fields(path), "columns": _manifest_columns(used),
            "absent": sorted({c.key for c in catalogue.KWB_CONCEPTS} - set(used)),
            "notes": [f"columns without any value in this file: {', '.join(empty)}"] if empty else [],
        }
        stored.append(cache.store(frame, manifest))
    return stored


# --------------------------------------------------------------------------- health


def import_health(path: str | Path, *, year: int | None = None, table_id: str | None = None,
                  indeling: int | None = None) -> list[cache.Entry]:
    """Import a StatLine CSV export of an RIVM health table; returns one entry per period.

    Parameters
    ----------
    year
        Survey year, when the file has no ``Perioden`` column.
    table_id
        StatLine table id (e.g. 50090NED) when the file name does not carry it.
    indeling
        The boundary year of the file's codes; known for the catalogue's
        tables (50090NED: 2020, 50120NED: 2022, 50150NED: 2024), required for
        any other.
    """
    path = Path(path)
    raw = read_table(path)
    code_col = tables.guess_code_column(raw, ("Codering_3", "WijkenEnBuurten", "RegioS", "Regio", "gwb_code"))
    if code_col is None:
        raise DataError(f"{path}: no column with CBS region codes (WijkenEnBuurten, RegioS, Codering_3, ...).")
    table_id = (table_id or _table_id_from_name(path) or "").upper() or None
    spec = catalogue.table(table_id)
    indeling = indeling or (spec.indeling if spec is not None else None)
    if indeling is None:
        raise DataError(f"{path}: table {table_id or 'unknown'} is not in the catalogue, so the boundary year of its "
                        "codes is unknown; pass --table (50090NED, 50120NED, 50150NED, 50140NED) or --indeling YYYY.")
    marges = _column(raw, "Marges")
    if marges is not None:
        raw = raw[raw[marges].str.strip() == "MW00000"]
    persons = _column(raw, "Persoonskenmerken")
    if persons is not None and (raw[persons].str.strip() == YOUNG_ADULTS_TOTAL).any():
        raw = raw[raw[persons].str.strip() == YOUNG_ADULTS_TOTAL]
    mapping = catalogue.match_columns(list(raw.columns), catalogue.HEALTH_CONCEPTS)
    if not mapping:
        raise DataError(f"{path}: none of the health indicators were recognised (e.g. Eenzaam_28, "
                        "HoogRisicoOpAngstOfDepressie_25, MoeiteMetRondkomen_38).")
    age_col = _column(raw, "Leeftijd")
    if age_col is not None:
        age = raw[age_col].str.strip().map(lambda v: catalogue.HEALTH_AGE_GROUPS.get(v, v))
    else:
        age = pd.Series("16-25" if table_id == kinds.YOUTH.table_id else "18+", index=raw.index)
    period_col = _column(raw, "Perioden")
    if period_col is not None and year is None:
        groups = [(int(p.strip()[:4]), part) for p, part in raw.groupby(raw[period_col].str.strip())]
    else:
        guessed = year or _year_from_name(path)
        if guessed is None:
            raise DataError(f"{path}: cannot tell the survey year; pass --year YYYY.")
        groups = [(guessed, raw)]
    name_col = _column(raw, "Gemeentenaam_1")  # the municipality's name: an area name on gemeente rows only
    stored = []
    for y, part in groups:
        names = None
        if name_col:
            is_gm = part[code_col].map(regions.normalise_code).str.startswith("GM")
            names = part[name_col].where(is_gm)
        frame = tables.tidy_table(part, code_column=code_col, mapping=mapping, names=names,
                                  extra={"age_group": age}, origin=str(path))
        if frame.empty:
            raise DataError(f"{path}: no rows of the province of Groningen ({y}).")
        frame, used, empty = tables.drop_empty_concepts(frame, mapping)
        if not used:
            continue
        manifest = {
            "kind": "health", "year": y, "indeling": indeling, "table_id": table_id or "import",
            "title": spec.title if spec is not None else f"RIVM/GGD'en/CBS gezondheidscijfers ({path.stem})",
            "modified": None, **_file_fields(path), "columns": _manifest_columns(used),
            "age_groups": sorted(frame["age_group"].dropna().unique().tolist()),
            "absent": sorted({c.key for c in catalogue.HEALTH_CONCEPTS} - set(used)),
        }
        stored.append(cache.store(frame, manifest))
    if not stored:
        raise DataError(f"{path}: every recognised health column is empty.")
    return stored


# --------------------------------------------------------------------------- boundaries


def import_boundaries(path: str | Path, *, level: str | None = None, year: int | None = None) -> cache.Entry:
    """Import boundaries (GeoJSON/GeoPackage) of one level and year."""
    path = Path(path)
    gdf = read_geo(path, import_limits())
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf or gdf.geometry.isna().all() or gdf.empty:
        raise DataError(f"{path}: holds no geometries; give a GeoJSON or GeoPackage with area boundaries.")
    if level is None:
        code_col = _column(gdf, "statcode", "buurtcode", "wijkcode", "gemeentecode", "code")
        levels = gdf[code_col].map(lambda c: regions.level_of(c) if regions.is_area_code(c) else None) \
            if code_col else pd.Series(dtype=object)
        if levels.dropna().empty:
            raise DataError(f"{path}: cannot tell the level; pass --level buurt|wijk|gemeente.")
        level = levels.mode().iloc[0]
    if year is None:
        jaar = _column(gdf, "jaar")
        year = int(gdf[jaar].dropna().iloc[0]) if jaar else _year_from_name(path)
        if year is None:
            raise DataError(f"{path}: cannot tell the boundary year; pass --year YYYY.")
    frame = tables.tidy_boundaries(gdf, level=level, origin=str(path))
    simplified = next((name for prefix, name in catalogue.SIMPLIFIED_BY.items()
                       if any(str(c).lower().startswith(prefix) for c in gdf.columns)), None)
    derived = _column(gdf, "geometry_derived_from")  # e.g. "dissolved buurten": the buurt file's simplification
    from_buurten = bool(derived) and gdf[derived].astype(str).str.contains("buurt", case=False).any()
    manifest = {
        "kind": "boundaries", "year": int(year), "indeling": int(year), "level": level, "table_id": "import",
        "title": f"CBS {level}grenzen {year} ({path.name})", "modified": None, **_file_fields(path),
        "attribution": catalogue.boundary_attribution(year), "columns": {},
        **({"simplified_by": simplified} if simplified else {}), **({"derived_from": "buurt"} if from_buurten else {}),
    }
    return cache.store(frame, manifest)


def import_shared(folder: str | Path | None = None, *, if_empty: bool = False) -> list[cache.Entry]:
    """Import the example files of the shared data folder (``settings.SHARED_DATA``).

    Parameters
    ----------
    if_empty
        Do nothing when the cache already holds entries.
    """
    folder = Path(folder or settings.SHARED_DATA)
    if if_empty and cache.entries():
        return []
    if not folder.is_dir():
        raise DataError(f"{folder}: the shared data folder does not exist; set MGG_SHARED_DATA to its location.")
    stored: list[cache.Entry] = []
    for kind, relative, options in SHARED_EXAMPLES:
        stored.extend(kinds.get(kind).import_file(folder / relative, **options))
    return stored

"""Turn raw CBS/RIVM/PDOK tables into the project's tidy form.

Live downloads (:mod:`mgg_geo.data.cbs`, :mod:`mgg_geo.data.pdok`) and manual imports
(:mod:`mgg_geo.data.imports`) all end here, so a figure means the same whichever
route it came by.

Tidy source table
    One row per area (and, for health, per age group): ``code`` (stripped CBS
    code), ``level`` (gemeente, wijk, buurt, or land/ggd for reference rows),
    ``name``, ``gemeente_code``, one float column per concept found (see
    :mod:`mgg_geo.data.catalogue`) and ``<concept>__suppressed``: True where the
    source held a missing marker. Only rows of the province (current or 2020
    indeling) and the reference rows Nederland / GGD Groningen are kept.

Missing markers
    ``.`` (StatLine, kwb downloads, untyped OData, padded or not), JSON
    ``null`` / empty cells, and the Wijk- en buurtkaart sentinels
    ``-99999999``, ``-99999997`` and ``-99997``. Each becomes NaN with its
    suppressed flag set; none ever becomes 0.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import settings
from mgg_geo.data import catalogue, regions
from mgg_geo.errors import DataError

SENTINELS = (-99999999.0, -99999997.0, -99997.0)
_MISSING_TEXT = {"", ".", "..", "x", "-", "na", "nan", "none", "null", "<na>"}
_DECIMAL_COMMA = re.compile(r"^-?\d{1,3}(\.\d{3})*,\d+$|^-?\d+,\d+$")


def parse_values(values: pd.Series, *, column: str = "", origin: str = "") -> tuple[pd.Series, pd.Series]:
    """Parse one source column into floats and a suppressed flag.

    Parameters
    ----------
    values
        Numbers, or strings as CBS writes them (``"   135.5"``, ``"12,3"``, ``"."``).
    column, origin
        Column and file/URL, for the error message.

    Returns
    -------
    (pandas.Series, pandas.Series)
        Float values (NaN where missing) and a boolean flag, True where the
        source held a missing marker.

    Raises
    ------
    DataError
        When a cell is neither a number nor a missing marker; the message
        names the column, the first bad rows and their values.
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = values.astype("float64")
    else:
        text = values.astype("string").str.strip()
        missing = text.isna() | text.str.lower().isin(_MISSING_TEXT)
        comma = text.str.match(_DECIMAL_COMMA).fillna(False)
        text = text.where(~comma, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
        bad = numbers.isna() & ~missing
        if bad.any():
            rows = [int(i) for i in np.flatnonzero(bad.to_numpy())[:5]]
            examples = ", ".join(f"row {r + 2}: {values.iloc[r]!r}" for r in rows)
            raise DataError(
                f"{origin}: column {column!r} holds {int(bad.sum())} value(s) that are neither a number nor a "
                f"CBS missing marker ('.', empty): {examples}. Fix or remove these cells and import again."
            )
    sentinel = numbers.isin(SENTINELS)
    numbers = numbers.mask(sentinel)
    return numbers, numbers.isna()


def codes_from(raw: pd.DataFrame, column: str) -> pd.Series:
    """Normalised area codes of a column; names of known regions become their code."""
    codes = raw[column].map(regions.normalise_code)
    if not codes.map(regions.is_area_code).any():
        by_name = {regions._fold(n): c for c, n in {**regions.MUNICIPALITIES, **regions.FORMER_MUNICIPALITIES,
                                                      **regions.REFERENCE_CODES}.items()}
        by_name[regions._fold("GGD Groningen (GG)")] = "GG0111"
        codes = raw[column].map(lambda v: by_name.get(regions._fold(v), ""))
    return codes


def guess_code_column(raw: pd.DataFrame, preferred: tuple[str, ...]) -> str | None:
    """The column holding area codes: a preferred name, else the one with most code-like values."""
    lower = {c.lower(): c for c in raw.columns}
    for name in preferred:
        col = lower.get(name.lower())
        if col is not None and raw[col].map(regions.is_area_code).any():
            return col
    best, best_hits = None, 0
    for col in raw.columns:
        if raw[col].dtype == object or pd.api.types.is_string_dtype(raw[col]):
            hits = int(raw[col].head(2000).map(regions.is_area_code).sum())
            if hits > best_hits:
                best, best_hits = col, hits
    if best is None:
        for name in preferred:  # names of regions instead of codes (StatLine title exports)
            col = lower.get(name.lower())
            if col is not None and codes_from(raw, col).astype(bool).any():
                return col
    return best


def tidy_table(
    raw: pd.DataFrame,
    *,
    code_column: str,
    mapping: dict[str, str],
    names: pd.Series | None = None,
    extra: dict[str, pd.Series] | None = None,
    origin: str,
) -> pd.DataFrame:
    """Build a tidy source table (see the module docstring).

    Parameters
    ----------
    raw
        The table as read or downloaded.
    code_column
        Column with the CBS area codes (padded or not).
    mapping
        ``{concept key: raw column}`` from :func:`mgg_geo.data.catalogue.match_columns`.
    names
        Area names aligned with ``raw`` (optional).
    extra
        Further columns to carry, aligned with ``raw`` (e.g. ``age_group``).
    origin
        File or URL, for error messages.
    """
    codes = codes_from(raw, code_column)
    keep = codes.map(lambda c: regions.in_province(c) or c in regions.REFERENCE_CODES).to_numpy()
    raw = raw.loc[keep]
    codes = codes.loc[keep]
    out = pd.DataFrame(index=raw.index)
    out["code"] = codes
    out["level"] = codes.map(regions.level_of)
    out["gemeente_code"] = codes.map(lambda c: regions.municipality_of(c) if c[:2] in ("GM", "WK", "BU") else "")
    if names is not None:
        out["name"] = names.loc[raw.index].astype("string").str.strip()
    else:
        out["name"] = pd.Series(pd.NA, index=raw.index, dtype="string")
    for key, series in (extra or {}).items():
        out[key] = series.loc[raw.index]
    for key, column in mapping.items():
        values, suppressed = parse_values(raw[column], column=column, origin=origin)
        out[key] = values
        out[f"{key}__suppressed"] = suppressed
    check_plausible(out, origin=origin, columns=mapping)
    return out.reset_index(drop=True)


def check_plausible(frame: pd.DataFrame, *, origin: str, columns: dict[str, str]) -> None:
    """Refuse percentages outside 0-100 and negative counts (a sign of a lost decimal separator)."""
    problems = []
    for key, column in columns.items():
        concept = catalogue.CONCEPTS.get(key)
        if concept is None or key not in frame:
            continue
        values = frame[key]
        if concept.is_percentage:
            bad = values[(values > 100) | (values < 0)]
            if len(bad):
                problems.append(
                    f"column {column!r} ({concept.label}, %) has {len(bad)} value(s) outside 0-100, e.g. "
                    f"{bad.iloc[0]:g} for {frame.loc[bad.index[0], 'code']}"
                )
        elif concept.unit == "aantal":
            bad = values[values < 0]
            if len(bad):
                problems.append(f"column {column!r} ({concept.label}) has {len(bad)} negative count(s)")
    if problems:
        raise DataError(
            f"{origin}: implausible figures: " + "; ".join(problems) + ". The file may have lost its decimal "
            "separators (e.g. '11,8' read as 118); export it again from CBS or repair the column."
        )


def drop_empty_concepts(frame: pd.DataFrame, mapping: dict[str, str]) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Remove concept columns without a single value (not published in this vintage)."""
    empty = [k for k in mapping if frame[k].isna().all()]
    frame = frame.drop(columns=[c for k in empty for c in (k, f"{k}__suppressed")])
    return frame, {k: v for k, v in mapping.items() if k not in empty}, empty


def tidy_boundaries(gdf: gpd.GeoDataFrame, *, level: str, origin: str) -> gpd.GeoDataFrame:
    """Tidy boundaries: ``code``, ``name``, ``level``, ``gemeente_code``, geometry in EPSG:28992.

    Accepts the property names of PDOK gebiedsindelingen (``statcode``,
    ``statnaam``), of the Wijk- en buurtkaart (``buurtcode``/``wijkcode``/
    ``gemeentecode`` and ``..naam``) and plain ``code``/``naam``. Invalid
    geometries are repaired with ``make_valid``; rows outside the province and
    of another level are dropped.
    """
    if level not in regions.LEVELS:
        raise DataError(f"{origin}: level must be one of {', '.join(regions.LEVELS)}, not {level!r}.")
    if gdf.crs is None:
        raise DataError(f"{origin}: the file has no coordinate reference system; save it with one (EPSG:28992).")
    lower = {c.lower(): c for c in gdf.columns}
    code_col = next((lower[c] for c in ("statcode", f"{level}code", "code", "gwb_code") if c in lower), None)
    if code_col is None:
        raise DataError(
            f"{origin}: no column with area codes; expected one of statcode, {level}code, code. "
            f"Columns found: {', '.join(map(str, gdf.columns))}."
        )
    name_col = next((lower[c] for c in ("statnaam", f"{level}naam", "naam", "name") if c in lower), None)
    codes = gdf[code_col].map(regions.normalise_code)
    keep = codes.map(lambda c: regions.is_area_code(c) and regions.level_of(c) == level and regions.in_province(c))
    if not keep.any():
        raise DataError(
            f"{origin}: no {level} of the province of Groningen in column {code_col!r} "
            f"(first codes: {', '.join(codes.head(3))}). Check --level and the file."
        )
    gdf = gdf.loc[keep.to_numpy()].to_crs(settings.CRS_ANALYSIS)
    out = gpd.GeoDataFrame(
        {
            "code": codes.loc[gdf.index].to_numpy(),
            "name": (gdf[name_col].astype("string").to_numpy() if name_col else pd.NA),
            "level": level,
            "gemeente_code": [regions.municipality_of(c) for c in codes.loc[gdf.index]],
        },
        geometry=gdf.geometry.make_valid().to_numpy(),
        crs=settings.CRS_ANALYSIS,
    )
    if out["code"].duplicated().any():
        out = out.dissolve(by="code", as_index=False, aggfunc="first")[list(out.columns)]
    return out.sort_values("code").reset_index(drop=True)

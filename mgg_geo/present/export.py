"""Exports of an analysis for GIS users and spreadsheets: GeoPackage, CSV and XLSX.

Column names are documented in the README ("Analysis"); Dutch labels come
from :mod:`mgg_geo.present.labels`. Geometry is in EPSG:28992.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import settings
from mgg_geo.analysis.chain import Analysis
from mgg_geo.data import cache, catalogue
from mgg_geo.errors import DataError
from mgg_geo.present import labels

#: Columns of the exported area table, in order (documented in the README).
EXPORT_COLUMNS = (
    ["name", "gemeente_code", "gemeente_name", "level", "population", "target_population", "pop_0_14", "pop_15_24",
     "pop_65plus"]
    + [i.key for i in catalogue.INDICATORS]
    + ["need_index", "need_rank", "rank_median", "rank_p05", "rank_p95", "rank_uncertain", "need_status",
       "share_present", "indicators_missing", "partial_data"] + [f"need_{d}" for d in catalogue.DOMAINS]
    + ["leading_domain", "leading_indicator", "below_min_population", "ranked", "reach", "coverage_class",
       "nearest_km", "n_1km", "n_3km", "n_5km", "access", "access_norm", "n_sites_physical", "n_area_wide",
       "area_wide_offers", "need_class", "gap_class", "gap_label", "gap_score", "priority", "figures_origin"]
)
#: Columns of the exported initiatives (sites) layer.
SITE_COLUMNS = ["name", "programme", "organisation", "gemeente_code", "area_wide", "area_code", "placement",
                "placement_label", "geocode_match", "geocode_score", "age_min", "age_max", "active", "row"]


def export_table(result: Analysis) -> gpd.GeoDataFrame:
    """The area table for GIS users and spreadsheets: documented columns plus per-programme coverage."""
    minimum = result.parameters["min_population"]
    frame = result.areas.assign(
        figures_origin=labels.figures_origin(result.vintages).reindex(result.areas.index).fillna("eigen cijfers"),
        gap_label=labels.gap_labels(result.areas["need_class"], result.areas["coverage_class"]),
        below_min_population=~(pd.to_numeric(result.areas["population"], errors="coerce") >= minimum))
    extra = [c for c in frame.columns if "__" in c and not c.endswith("__suppressed")]
    cols = [c for c in EXPORT_COLUMNS if c in frame] + extra
    out = frame[cols + ["geometry"]].reset_index()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


def export_sites(result: Analysis) -> gpd.GeoDataFrame:
    """The initiatives that count for the target group, with how precisely each is placed."""
    sites = result.sites.assign(placement_label=result.sites["placement"].map(labels.PLACEMENTS))
    return gpd.GeoDataFrame(sites[[c for c in SITE_COLUMNS if c in sites]], geometry=sites.geometry,
                            crs=settings.CRS_ANALYSIS).reset_index(drop=True)


def spreadsheet_text(value):
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading apostrophe.

    Names come from the register, which anyone may edit; in a CSV or XLSX export they stay data.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def neutralised(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with every text cell through :func:`spreadsheet_text`: in every export format (a GeoPackage
    layer is opened in spreadsheets too), register text stays data."""
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = out[column].map(spreadsheet_text)
    return out


def write(result: Analysis, path: str | Path) -> Path:
    """Write the area table as GeoPackage, CSV or XLSX (by extension), atomically.

    The GeoPackage has a second layer ``initiatieven`` and the workbook a
    second sheet with the initiatives and their placement precision; next to
    a CSV they go to ``<name>_initiatieven.csv``. CSV and XLSX carry the
    geometry as WKT (EPSG:28992) in column ``geometry``.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".csv", ".xlsx"):
        raise DataError(f"{path}: choose .gpkg, .csv or .xlsx as the extension.")
    table, sites = neutralised(export_table(result)), neutralised(export_sites(result))

    def plain(frame: gpd.GeoDataFrame) -> pd.DataFrame:
        return pd.DataFrame(frame.drop(columns="geometry")).assign(geometry=frame.geometry.to_wkt())

    with cache.atomic_file(path, suffix=suffix) as tmp:
        if suffix == ".gpkg":
            tmp.unlink()  # GDAL creates the GeoPackage itself
            table.to_file(tmp, driver="GPKG", layer="gebieden")
            sites.to_file(tmp, driver="GPKG", layer="initiatieven")
        elif suffix == ".csv":
            plain(table).to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            with pd.ExcelWriter(tmp) as writer:
                plain(table).to_excel(writer, index=False, sheet_name="gebieden")
                plain(sites).to_excel(writer, index=False, sheet_name="initiatieven")
    if suffix == ".csv":
        with cache.atomic_file(path.with_name(f"{path.stem}_initiatieven.csv"), suffix=".csv") as tmp:
            plain(sites).to_csv(tmp, index=False, encoding="utf-8-sig")
    return path

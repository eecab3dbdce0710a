"""Exports of an analysis for GIS users and spreadsheets: GeoPackage, CSV and XLSX.

Column names are documented in the README ("Analysis"); Dutch labels come
from :mod:`mgg_geo.present.labels`. Geometry is in EPSG:28992.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import rules, settings
from mgg_geo.analysis.chain import Analysis, estimated_flags
from mgg_geo.data import cache, catalogue
from mgg_geo.errors import DataError
from mgg_geo.present import fmt, labels, mapclasses
from mgg_geo.text import is_missing, visible

#: Columns of the exported area table, in order (documented in the README).
EXPORT_COLUMNS = (
    ["name", "gemeente_code", "gemeente_name", "level", "population", "target_population", "pop_0_14", "pop_15_24",
     "pop_65plus"]
    + [i.key for i in catalogue.INDICATORS]
    + ["need_index", "need_rank", "rank_median", "rank_p05", "rank_p95", "rank_uncertain", "need_status",
       "share_present", "indicators_missing", "partial_data"] + [f"need_{d}" for d in catalogue.DOMAINS]
    + ["leading_domain", "leading_indicator", "below_min_population", "ranked", "reach", "coverage_class",
       "nearest_km", *rules.count_columns(), "access", "access_norm", "n_sites_physical", "n_area_wide",
       "area_wide_offers", "need_class", "need_class_high", "need_class_low", "gap_class", "gap_label", "gap_score",
       "priority", "figures_origin", "figures_estimated"]
)
#: Columns of the exported initiatives (sites) layer.
SITE_COLUMNS = ["name", "programme", "organisation", "gemeente_code", "area_wide", "area_code", "placement",
                "placement_label", "geocode_match", "geocode_score", "age_min", "age_max", "active", "row"]


def export_table(result: Analysis) -> gpd.GeoDataFrame:
    """The area table for GIS users and spreadsheets: documented columns plus per-programme coverage."""
    minimum = result.parameters["min_population"]
    frame = result.areas.assign(
        figures_origin=labels.figures_origin(result.vintages).reindex(result.areas.index).fillna("eigen cijfers"),
        figures_estimated=estimated_flags(result),
        gap_label=labels.gap_labels(result.areas),
        below_min_population=~(pd.to_numeric(result.areas["population"], errors="coerce") >= minimum))
    if "ranked" in frame:  # the flag is a ranked area's: empty for an unranked one (it read False for areas
        # without any figure)
        frame["partial_data"] = frame["partial_data"].astype(object).where(frame["ranked"].astype(bool), None)
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
    """Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first, or one of =, +, -, @ after a
    separator , ; or tab) gets an apostrophe before it.

    Names come from the register, which anyone may edit; in a CSV or GeoPackage export (no cell types) they stay
    data. The workbook needs no apostrophe: its cells are typed (:func:`_text_only`).
    """
    if not isinstance(value, str):
        return value
    # a formula can also start after a separator: Dutch Excel splits a comma-separated file on ";", so that
    # "Club;=1+1" became a cell "=1+1" (attack on the CSV export); each such start gets its apostrophe too
    value = _AFTER_SEPARATOR.sub(r"\1'\2", value)
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


#: A separator of either convention (, ; tab) followed by a formula's first character, spaces between.
_AFTER_SEPARATOR = re.compile(r"([,;\t]\s*)([=+\-@])")


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

    GeoPackage and CSV carry the documented columns (English names, full precision) for GIS and scripts: the
    GeoPackage has a second layer ``initiatieven``; next to a CSV they go to ``<name>_initiatieven.csv``, and the CSV
    carries the geometry as WKT (EPSG:28992) in column ``geometry``. XLSX is the workbook for policy advisors
    (:func:`write_workbook`: Dutch headers, rounded values, a sheet per municipality, no geometry).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".csv", ".xlsx"):
        raise DataError(f"{path}: choose .gpkg, .csv or .xlsx as the extension.")
    beside = path.with_name(f"{path.stem}_initiatieven.csv")
    for target in (path, beside) if suffix == ".csv" else (path,):  # all or nothing: checked before any is written
        if target.is_symlink() or target.exists() and not target.is_file():
            raise DataError(f"{target}: is not a file mgg_geo can write (a folder or a link); move it away or choose "
                            "another --out.")
    if suffix == ".xlsx":
        return write_workbook(result, path)
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
    if suffix == ".csv":
        with cache.atomic_file(beside, suffix=".csv") as tmp:
            plain(sites).to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


# --------------------------------------------------------------------------- the advisors' workbook


@dataclass(frozen=True)
class Column:
    """A column of the advisors' workbook: the area table's ``key``, its Dutch ``header``, what it ``means``, and how
    it is shown: ``kind`` is ``number`` (rounded to ``decimals``), ``share`` (a 0-1 share as a percentage rounded to
    ``decimals``), ``yesno`` ("ja"/"nee") or ``text``."""

    key: str
    header: str
    means: str
    kind: str = "number"
    decimals: int = 0


_CLASS_WORDS = {1: "laag", 2: "midden", 3: "hoog"}


def _indicator_header(indicator: catalogue.Indicator) -> str:
    label = indicator.label.replace(" (lager = meer behoefte)", "")
    if indicator.unit == "%":
        return f"{label} (%)"
    if indicator.unit.replace(" ", "") in ("x1.000euro", "x1000euro"):
        return f"{label} (× € 1.000)"
    return label  # "Personen met bijstand per 1.000 inwoners": the unit is in the name


def workbook_columns(result: Analysis) -> list[Column]:
    """The columns of the advisors' workbook, in order, for this analysis (its target group, domains, programmes)."""
    group = catalogue.target_group(result.parameters["target_group"])
    reach = fmt.radius(result.parameters["reach_m"])
    missing = fmt.percent(result.parameters.get("max_missing_share", rules.MAX_MISSING_SHARE))
    low, high = rules.COVERAGE_BREAKS
    columns = [
        Column("code", "Code", "CBS-code van het gebied, in de gebiedsindeling van de kaarten", "text"),
        Column("name", "Gebied", "naam van de wijk of buurt", "text"),
        Column("gemeente_name", "Gemeente", "gemeente waarin het gebied ligt", "text"),
        Column("population", "Inwoners", "aantal inwoners (CBS Kerncijfers wijken en buurten)"),
        Column("target_population", f"Doelgroep: {group.label}", f"aantal {group.label} (CBS, leeftijdsgroepen)"),
        Column("pop_0_14", "Inwoners 0–14 jaar", "aantal inwoners van 0 tot 15 jaar (CBS)"),
        Column("pop_15_24", "Inwoners 15–24 jaar", "aantal inwoners van 15 tot 25 jaar (CBS)"),
        Column("pop_65plus", "Inwoners 65 jaar of ouder", "aantal inwoners van 65 jaar of ouder (CBS)"),
    ]
    for indicator in catalogue.INDICATORS:
        lower = "; lager betekent meer behoefte" if indicator.direction < 0 else ""
        columns.append(Column(indicator.key, _indicator_header(indicator),
                              f"{indicator.label.replace(' (lager = meer behoefte)', '')}, domein "
                              f"{catalogue.DOMAINS.get(indicator.domain, '').lower()}{lower}; leeg: niet gepubliceerd "
                              "of geheimgehouden (nooit 0)", decimals=0 if "euro" in indicator.unit else 1))
    columns += [
        Column("need_index", "Behoefte-index", "gemiddelde van de domeinscores; 0 is het gemiddelde van de provincie, "
               "hoger is meer behoefte (zie Methode in de rapporten)", decimals=2),
        *(Column(f"need_{d}", f"Behoefte: {label.lower()}", f"score van het domein {label.lower()} (0 = gemiddelde "
                 "provincie)", decimals=2) for d, label in catalogue.DOMAINS.items()),
        Column("leading_domain", "Vooral door (domein)", "het domein dat het meest bijdraagt aan de behoefte", "text"),
        Column("leading_indicator", "Vooral door (cijfer)", "het cijfer dat dat domein het meest bepaalt", "text"),
        Column("need_rank", "Plaats in de provincie", "rang onder de gerangschikte gebieden van de provincie (1 = de "
               "hoogste behoefte)"),
        Column("rank_p05", "Marge: plaats van", f"in {labels.rank_interval_share()} van de herhalingen met andere "
               "gewichten en methode valt de plaats tussen 'van' en 'tot'"),
        Column("rank_p95", "Marge: plaats tot", "zie 'Marge: plaats van'"),
        Column("rank_uncertain", "Plaats onzeker",
               f"ja: de marge is breder dan {fmt.share_words(rules.UNCERTAIN_SPREAD)} van de ranglijst", "yesno"),
        Column("need_class", "Behoefteklasse", "laag, midden of hoog: " + mapclasses.NEED_GROUPS[
            result.parameters.get("class_breaks", "provincie")], "text"),
        Column("reach", f"Dekking: % van de doelgroep binnen {reach}", f"deel van de doelgroep dat binnen {reach} "
               "(hemelsbreed) van een fysieke locatie woont, gemeten per buurt", "share"),
        Column("coverage_class", "Dekkingsklasse", f"laag: minder dan {fmt.share_words(low)} binnen bereik; midden: "
               f"{fmt.share_span(low, high)}; hoog: {fmt.share_words(high)} of meer", "text"),
        Column("gap_label", "Behoefte tegen dekking", "de combinatie van behoefte- en dekkingsklasse; 'hoge behoefte, "
               "lage dekking' is waar een nieuwe inspanning het meest oplevert; 'op de grens met ...': de marge van "
               "de plaats loopt over een grens tussen de behoefteklassen", "text"),
        Column("priority", "Prioriteit in de gemeente", "volgorde binnen de gemeente (1 eerst): klasse, dan "
               "behoefte-index; leeg: niet gerangschikt"),
        Column("unranked_reason", "Niet gerangschikt omdat", "waarom een gebied geen plaats in de prioriteiten heeft",
               "text"),
        Column("nearest_km", "Afstand tot de dichtstbijzijnde locatie (km)", "gemiddelde afstand (hemelsbreed) van de "
               "buurten van het gebied tot de dichtstbijzijnde fysieke locatie", decimals=1),
        *(Column(rules.radius_column(r), f"Locaties binnen {fmt.radius(r)}",
                 f"gemiddeld aantal fysieke locaties binnen {fmt.radius(r)}", decimals=1) for r in rules.RADII_M),
        Column("access_norm", "Bereikbaarheid (1 = gemiddelde provincie)", "E2SFCA: aanbod gedeeld door de doelgroep "
               "in de omgeving, minder zwaar naarmate de afstand groter is, gedeeld door het gemiddelde van de "
               "provincie", decimals=2),
        Column("n_sites_physical", "Fysieke locaties in het gebied", "aantal fysieke locaties in het register die in "
               "het gebied liggen"),
        Column("area_wide_offers", "Gemeentebreed aanbod", "aanbod voor alle inwoners zonder vaste locatie "
               "(programma's); telt niet mee in de afstand", "text"),
        Column("share_present", "Aanwezige behoeftecijfers (%)", "deel van de behoeftecijfers dat een waarde heeft",
               "share"),
        Column("partial_data", "Onvolledige gegevens", f"ja: {labels.PARTIAL_RULE.format(share=missing)}; leeg "
               "voor een niet gerangschikt gebied (zie 'Niet gerangschikt omdat')", "yesno"),
        Column("indicators_missing", "Ontbrekende behoeftecijfers", "de behoeftecijfers zonder waarde", "text"),
        Column("figures_origin", "Herkomst van de cijfers", "eigen cijfers, of per bron hoe de cijfers op het gebied "
               "zijn gebracht (zie Datakwaliteit in de rapporten)", "text"),
        Column("figures_estimated", labels.ESTIMATED.capitalize(), f"ja: {labels.ESTIMATED_RULE}, zoals de "
               f"rapporten het gebied markeren met '{labels.ESTIMATED}' (zie Datakwaliteit)", "yesno"),
    ]
    for programme in sorted({c.split("__", 1)[1] for c in result.areas.columns if c.startswith("reach__")}):
        columns += [Column(f"reach__{programme}", f"Dekking {programme}: % binnen {reach}",
                           f"deel van de doelgroep binnen {reach} van een locatie van {programme}", "share"),
                    Column(f"nearest_km__{programme}", f"Afstand tot {programme} (km)",
                           f"gemiddelde afstand tot de dichtstbijzijnde locatie van {programme}", decimals=1)]
    return columns


#: The initiatives sheet: column, Dutch header.
SITE_HEADERS = {"name": "Naam", "programme": "Programma", "organisation": "Organisatie", "gemeente_name": "Gemeente",
                "area_wide": "Gemeentebreed (zonder vaste plek)", "area_code": "Gebiedscode",
                "placement_label": "Plaatsing", "age_min": "Leeftijd van", "age_max": "Leeftijd tot",
                "active": "Actief op de peildatum", "row": "Rij in het register"}


def _cell(value, column: Column):
    """A workbook value: rounded number, percentage, ja/nee or text (exactly as given: :func:`_text_only` keeps it
    text); None when missing."""
    if is_missing(value):
        return None
    if column.kind == "yesno":
        return "ja" if bool(value) else "nee"
    if column.kind == "text":
        return str(value) or None
    number = float(value) * (100 if column.kind == "share" else 1)
    number = fmt.rounded(number, column.decimals)  # as the reports round
    return int(number) if column.decimals == 0 else number


def _text_only(sheet) -> None:
    """Every text cell of ``sheet`` stored as text: openpyxl would store a text starting with ``=`` as a formula
    and ``#N/A`` as an error value. A workbook cell has a type, so register text keeps its own spelling ("@ease
    Groningen", not "'@ease Groningen" as in CSV, which has no types) and is never run."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def workbook_frame(result: Analysis) -> tuple[pd.DataFrame, list[Column]]:
    """The area table as the workbook shows it: Dutch values (classes as words, codes as labels), one row per area,
    ordered by municipality and priority; no geometry (the GeoPackage has it)."""
    minimum = result.parameters["min_population"]
    table = export_table(result).drop(columns="geometry").set_index("code", drop=False)
    areas = result.areas.reindex(table.index)
    table["need_class"] = areas["need_class"].map(_CLASS_WORDS)
    table["coverage_class"] = areas["coverage_class"].map(_CLASS_WORDS)
    table["leading_domain"] = areas["leading_domain"].map(catalogue.DOMAINS)
    table["leading_indicator"] = areas["leading_indicator"].map(
        lambda k: catalogue.INDICATOR_BY_KEY[k].label.replace(" (lager = meer behoefte)", "")
        if k in catalogue.INDICATOR_BY_KEY else None)
    table["indicators_missing"] = areas["indicators_missing"].map(
        lambda keys: "; ".join(catalogue.INDICATOR_BY_KEY[k].label for k in str(keys).split("; ")
                               if k in catalogue.INDICATOR_BY_KEY) or None if isinstance(keys, str) else None)
    table["area_wide_offers"] = areas["area_wide_offers"].map(
        lambda v: ", ".join(v) if isinstance(v, (list, tuple)) else v)
    table["unranked_reason"] = areas["unranked"].map(lambda r: labels.unranked(r, minimum) or None) \
        if "unranked" in areas else None
    columns = [c for c in workbook_columns(result) if c.key in table]
    table = table.sort_values(["gemeente_name", "priority", "name"], na_position="last", kind="stable")
    return table, columns


def write_workbook(result: Analysis, path: str | Path) -> Path:
    """The workbook for policy advisors (``.xlsx``), atomically: one sheet per municipality (Dutch headers, rounded
    values, no geometry), a sheet ``Initiatieven`` with the initiatives that count, and a sheet
    ``Bronnen en definities``: what every column means, the source tables and the parameters of the run. Text from
    the register stays text, spelled as in the register (:func:`_text_only`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    from mgg_geo.data import regions
    from mgg_geo.present import sections

    path = Path(path)
    table, columns = workbook_frame(result)
    book = Workbook()
    bold = Font(bold=True)

    def sheet_of(title: str, header: list[str], rows: list[list], widths: list[int], formats=None):
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in rows:
            sheet.append([visible(v) if isinstance(v, str) else v for v in row])  # openpyxl refuses control chars
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        for i, number_format in enumerate(formats or [], start=1):
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=i, max_col=i):
                    cell.number_format = number_format
        sheet.freeze_panes = "C2" if formats else "A2"
        if rows:
            sheet.auto_filter.ref = sheet.dimensions
        _text_only(sheet)
        return sheet

    book.remove(book.active)
    # 1. sources and definitions
    notes = book.create_sheet("Bronnen en definities")
    group = catalogue.target_group(result.parameters["target_group"])
    lines = [["Behoefte en dekking per gebied – Mentaal Gezond Groningen"],
             [f"Doelgroep: {group.label}. Gebieden: {sections.level_word(result)}. Gemaakt op "
              f"{fmt_when(result)}; peildatum register {fmt_date(result.parameters['reference_date'])}."],
             ["Eén blad per gemeente; de geometrie staat in de GeoPackage-uitvoer (mgg-geo analyse --out "
              "gebieden.gpkg). Lege cellen: geen cijfer (niet gepubliceerd, geheimgehouden of niet van toepassing), "
              "nooit 0."], [],
             ["Kolom", "Betekenis", "Afronding"]]
    for column in columns:
        rounding = "tekst" if column.kind == "text" else "ja/nee" if column.kind == "yesno" else (
            f"{column.decimals} {'decimaal' if column.decimals == 1 else 'decimalen'}"
            + (" (procent)" if column.kind == "share" else ""))
        lines.append([column.header, column.means, rounding])
    lines += [[], ["Bron", "Tabel", "Jaar", "Indeling", "Gewijzigd door CBS", "Opgehaald"]]
    source_blocks = sections.sources_blocks(result)
    lines += [list(r) for r in source_blocks[0].table.rows]
    lines += [[]] + [[line] for b in source_blocks[1:] if b.kind == "list" for line in b.items]
    lines += [[], ["Parameter", "Waarde"]] + [list(r) for r in sections.parameters_table(result).rows]
    for line in lines:
        notes.append([visible(v) if isinstance(v, str) else v for v in line])
    _text_only(notes)
    for row in notes.iter_rows():
        if row and row[0].value in ("Kolom", "Bron", "Parameter") or row[0].row == 1:
            for cell in row:
                cell.font = bold
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 48, 100
    # 2. one sheet per municipality
    headers = [c.header for c in columns]
    widths = [max(10, min(40, len(c.header) + 2)) for c in columns]
    formats = [None if c.kind in ("text", "yesno") else ("0" if c.decimals == 0 else "0." + "0" * c.decimals)
               for c in columns]
    for code in result.parameters.get("municipalities", list(regions.MUNICIPALITIES)):
        part = table[table["gemeente_code"] == code]
        if not len(part):
            continue
        rows = [[_cell(r.get(c.key), c) for c in columns] for _, r in part.iterrows()]
        sheet_of(regions.MUNICIPALITIES[code][:31], headers, rows, widths, formats)
    # 3. the initiatives that count
    sites = export_sites(result).drop(columns="geometry")
    sites["gemeente_name"] = sites["gemeente_code"].map(regions.MUNICIPALITIES)
    keys = [k for k in SITE_HEADERS if k in sites]
    site_columns = {k: Column(k, SITE_HEADERS[k], "", "yesno" if k in ("area_wide", "active") else
                              "number" if k in ("age_min", "age_max", "row") else "text") for k in keys}
    sheet_of("Initiatieven", [SITE_HEADERS[k] for k in keys],
             [[_cell(r.get(k), site_columns[k]) for k in keys] for _, r in sites.iterrows()],
             [40, 16, 30, 16, 14, 12, 24, 10, 10, 12, 10])
    with cache.atomic_file(path, suffix=".xlsx") as tmp:
        book.save(tmp)
    return path


def fmt_when(result: Analysis) -> str:
    """When the analysis was made, in Dutch with its zone."""
    return fmt.when(result.parameters["generated_at"])


def fmt_date(value) -> str:
    """A date in Dutch."""
    return fmt.date(value)

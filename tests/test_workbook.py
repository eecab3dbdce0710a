"""The workbook a policy advisor gets from ``mgg-geo analyse --out x.xlsx``: Dutch, rounded, no geometry, a sheet per
municipality and one with sources and definitions."""
from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from mgg_geo.data import regions
from mgg_geo.present import export

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def workbook(province_analysis, tmp_path_factory):
    path = export.write(province_analysis, tmp_path_factory.mktemp("xlsx") / "gebieden.xlsx")
    return load_workbook(path), province_analysis


def test_one_sheet_per_municipality_with_sources_and_definitions(workbook):
    book, result = workbook
    assert book.sheetnames == ["Bronnen en definities", *regions.MUNICIPALITIES.values(), "Initiatieven"]
    for code, name in regions.MUNICIPALITIES.items():
        rows = list(book[name].iter_rows(values_only=True))
        assert len(rows) - 1 == int((result.areas["gemeente_code"] == code).sum())
        assert {r[2] for r in rows[1:]} == {name}  # the Gemeente column


def test_headers_are_dutch_values_rounded_and_there_is_no_geometry(workbook):
    book, result = workbook
    columns = {c.header: c for c in export.workbook_columns(result)}
    english = set(export.EXPORT_COLUMNS) | {"geometry", "code", "name"}
    sheet = book["Het Hogeland"]
    header = [c.value for c in sheet[1]]
    assert not set(header) & english and set(header) <= set(columns)
    for needed in ("Gebied", "Inwoners", "Behoefte-index", "Dekking: % van de doelgroep binnen 3 km",
                   "Prioriteit in de gemeente", "Huishoudens met een laag inkomen (%)"):
        assert needed in header
    for row in sheet.iter_rows(min_row=2, values_only=True):
        for title, value in zip(header, row, strict=True):
            column = columns[title]
            if isinstance(value, float):
                assert round(value, column.decimals) == value, (title, value)
            if isinstance(value, str):
                assert not re.match(r"\s*(MULTI)?POLYGON", value), title  # no WKT
                assert value not in ("True", "False", "nan", "<NA>"), (title, value)
    # the figures are the analysis' own, rounded: Uithuizen's residents, need index and coverage
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    area = result.areas[(result.areas["gemeente_code"] == "GM1966") & (result.areas["name"] == "Uithuizen")].iloc[0]
    uithuizen = rows["Uithuizen"]
    assert uithuizen["Inwoners"] == round(area["population"])
    assert uithuizen["Behoefte-index"] == round(area["need_index"], 2)
    assert uithuizen["Dekking: % van de doelgroep binnen 3 km"] == round(100 * area["reach"])
    assert uithuizen["Behoefte tegen dekking"] == "Hoge behoefte, lage dekking"
    assert uithuizen["Plaats onzeker"] in ("ja", "nee") and uithuizen["Behoefteklasse"] == "hoog"
    # a missing figure is an empty cell, never 0
    eems = result.areas[(result.areas["gemeente_code"] == "GM1979") & result.areas["lonely"].isna()]
    if len(eems):
        sheet = book["Eemsdelta"]
        header = [c.value for c in sheet[1]]
        rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
        assert rows[eems.index[0]]["Eenzaam (18+) (%)"] is None


def test_the_definitions_sheet_explains_every_column_and_names_the_sources(workbook):
    book, result = workbook
    notes = [r for r in book["Bronnen en definities"].iter_rows(values_only=True)]
    explained = {r[0]: r[1] for r in notes if r[0] and r[1]}
    header = [c.value for c in book["Groningen"][1]]
    assert all(explained.get(h) for h in header), [h for h in header if not explained.get(h)]
    text = " ".join(str(v) for r in notes for v in r if v)
    for table in ("85039NED", "50090NED", "PDOK gebiedsindelingen / CBS Wijk- en buurtkaart 2024"):
        assert table in text
    assert "GeoPackage" in text and "nooit 0" in text and "Peildatum register" in text


def test_flags_and_programme_columns_say_what_they_mean_for_every_area(workbook):
    """Review of the exports: Oosterhorn and Tussengebied (no need figures, not ranked) read "Onvolledige gegevens:
    nee", and every wijk read "Dekking KoPPeLing 0%" though KoPPeLing has no place (area-wide only); both are empty
    and gone now (an unranked area's flag is empty; a programme without a place has no coverage columns). "1
    decimaal", not "1 decimal"."""
    book, result = workbook
    sheet = book["Eemsdelta"]
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    for name in ("Oosterhorn", "Tussengebied"):
        assert rows[name]["Onvolledige gegevens"] is None and rows[name]["Niet gerangschikt omdat"]
    ranked = [r for r in rows.values() if not r["Niet gerangschikt omdat"]]
    assert ranked and all(r["Onvolledige gegevens"] in ("ja", "nee") for r in ranked)
    groningen = book["Groningen"]
    header = [c.value for c in groningen[1]]
    assert not [h for h in header if h and "KoPPeLing" in h and ("Dekking" in h or "Afstand" in h)]
    assert [h for h in header if h and h.startswith("Dekking STORM")]  # a programme with places keeps its columns
    notes = [r for r in book["Bronnen en definities"].iter_rows(values_only=True)]
    assert not any(isinstance(v, str) and v.endswith(" decimal") for r in notes for v in r)


def test_a_control_character_in_an_area_name_does_not_stop_the_workbook(province_analysis, tmp_path):
    """An area named "Wijk\\x0bA" (a vertical tab, from any boundaries file) made openpyxl refuse the workbook, with
    "unexpected IllegalCharacterError ... (a bug in mgg_geo)" and no file (attack on the export): the workbook
    shows the name as it is seen, without the character."""
    import copy

    result = copy.deepcopy(province_analysis)
    code = result.areas.index[0]
    result.areas.loc[code, "name"] = "Wijk\x0bA\u202e"
    book = load_workbook(export.write(result, tmp_path / "gebieden.xlsx"))
    names = {r[1] for sheet in book.worksheets[1:-1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert "WijkA" in names and not any("\x0b" in str(n) for n in names)

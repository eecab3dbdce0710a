"""The offline route: synthetic files of every format, then every real example file."""
import csv
import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from mgg_geo.data import cache, imports, kinds, sources
from mgg_geo.errors import DataError

KWB_ROWS = [
    ("GM0047", "Veendam", "Gemeente", "27000", "11,2", "."),
    ("WK004700", "Wijk 00 Veendam-kern", "Wijk", "15000", "13,4", "40"),
    ("WK004701", "Wijk 01 Veendam-buitengebied", "Wijk", "3000", ".", "5"),
]


def _write_kwb_csv(path, sep=";", encoding="cp1252"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(["gwb_code", "regio", "recs", "a_inw", "p_hh_lkk", "p_wcorpw"])
    writer.writerows(KWB_ROWS)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.mark.parametrize("sep, encoding", [(";", "cp1252"), (",", "utf-8-sig"), ("\t", "utf-8")])
def test_import_kwb_csv_dialects(tmp_path, sep, encoding):
    path = _write_kwb_csv(tmp_path / "kwb-2023.csv", sep, encoding)
    (entry,) = imports.import_kwb(path)
    m = entry.manifest
    assert (m["kind"], m["year"], m["table_id"], m["origin"]) == ("kwb", 2023, "85618NED", "import")
    frame = entry.load()
    assert frame["code"].tolist() == ["GM0047", "WK004700", "WK004701"]
    assert frame.loc[0, "low_income_share"] == pytest.approx(11.2)
    assert np.isnan(frame.loc[2, "low_income_share"]) and frame.loc[2, "low_income_share__suppressed"]
    assert np.isnan(frame.loc[0, "corporation_share"]) and frame.loc[0, "corporation_share__suppressed"]
    assert m["columns"]["low_income_share"]["column"] == "p_hh_lkk"
    assert m["source_sha256"] == cache.sha256(path)


def test_import_kwb_xlsx(tmp_path):
    frame = pd.DataFrame(KWB_ROWS, columns=["gwb_code", "regio", "recs", "a_inw", "p_hh_lkk", "p_wcorpw"])
    path = tmp_path / "kwb-2022.xlsx"
    frame.to_excel(path, index=False)
    (entry,) = imports.import_kwb(path)
    assert entry.manifest["year"] == 2022 and entry.load()["population"].tolist() == [27000, 15000, 3000]


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"gwb_code;a_inw\n", "no rows"),
    (b"\x00\x01\x02binary\x00", "binary"),
    (b"foo;bar\n1;2\n", "no column with CBS area codes"),
    (b"gwb_code;foo\nGM0014;2\n", "none of the Kerncijfers columns"),
])
def test_bad_kwb_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "kwb-2021.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        imports.import_kwb(path)


def test_import_kwb_needs_a_year(tmp_path):
    with pytest.raises(DataError, match="--year"):
        imports.import_kwb(_write_kwb_csv(tmp_path / "kerncijfers.csv"))


def test_import_health_statline_csv(tmp_path):
    text = ("ID;Leeftijd;Marges;WijkenEnBuurten;Perioden;Eenzaam_28;HoogRisicoOpAngstOfDepressie_25\n"
            "1;20300;MW00000;WK004700  ;2020JJ00;47,5;        .\n"
            "2;80200;MW00000;WK004700  ;2020JJ00;51,0;9,1\n"
            "3;20300;MOG0095;WK004700  ;2020JJ00;40,0;7,0\n")
    path = tmp_path / "50090NED_export.csv"
    path.write_text(text, encoding="utf-8-sig")
    (entry,) = imports.import_health(path)
    frame = entry.load()
    assert entry.manifest["table_id"] == "50090NED" and entry.manifest["year"] == 2020
    assert frame["age_group"].tolist() == ["18+", "65+"]  # the 95% bound row is dropped
    assert frame["lonely"].tolist() == [47.5, 51.0]
    assert np.isnan(frame.loc[0, "anxiety_depression_high"]) and frame.loc[0, "anxiety_depression_high__suppressed"]


def test_import_boundaries_reprojects_to_rd(tmp_path):
    gdf = gpd.GeoDataFrame({"statcode": ["WK004700", "WK004701"], "statnaam": ["Kern", "Buiten"]},
                           geometry=[box(6.85, 53.09, 6.88, 53.11), box(6.88, 53.09, 6.91, 53.11)], crs="EPSG:4326")
    path = tmp_path / "wijken.geojson"
    gdf.to_file(path, driver="GeoJSON")
    entry = imports.import_boundaries(path, year=2024)
    frame = entry.load()
    assert entry.manifest["level"] == "wijk" and frame.crs.to_epsg() == 28992
    assert frame.total_bounds[0] > 200_000  # metres, not degrees
    assert "simplified_by" not in entry.manifest  # nothing in the file says who simplified it
    # a cartomap/nl extract tells by its own column: its maps and sources credit cartomap (CBS's terms)
    gdf.assign(cartomap_feature_id=["a", "b"]).to_file(tmp_path / "cartomap.geojson", driver="GeoJSON")
    manifest = imports.import_boundaries(tmp_path / "cartomap.geojson", year=2024).manifest
    assert manifest["simplified_by"] == "cartomap/nl"
    assert "gegeneraliseerde grenzen, vereenvoudigd door cartomap/nl en voor weergave." in \
        kinds.BOUNDARIES.attribution_line(manifest)
    # wijken dissolved from those buurten say so in a column of their own: they take the buurten's credit
    buurten = gpd.GeoDataFrame({"statcode": ["BU00470000"], "cartomap_feature_id": ["a"]},
                               geometry=[box(6.85, 53.09, 6.88, 53.11)], crs="EPSG:4326")
    buurten.to_file(tmp_path / "buurten.geojson", driver="GeoJSON")
    gdf.assign(geometry_derived_from="dissolved buurten").to_file(tmp_path / "wijken2.geojson", driver="GeoJSON")
    wijken = imports.import_boundaries(tmp_path / "wijken2.geojson", year=2023).manifest
    assert wijken["derived_from"] == "buurt" and sources.simplified_by(wijken) is None  # no buurten of 2023 yet
    imports.import_boundaries(tmp_path / "buurten.geojson", year=2023)
    assert sources.simplified_by(wijken) == "cartomap/nl"
    assert sources.simplified_by(entry.manifest) is None
    with pytest.raises(DataError, match="no buurt of the province"):
        imports.import_boundaries(path, level="buurt", year=2024)


def test_import_boundaries_garbage(tmp_path):
    path = tmp_path / "x.geojson"
    path.write_text(json.dumps({"type": "nonsense"}))
    with pytest.raises(DataError, match="cannot be read as GeoJSON"):
        imports.import_boundaries(path, level="wijk", year=2024)


# ---------------------------------------------------------------- the real example files


@pytest.mark.shared
def test_every_shared_example_imports(shared_data):
    stored = imports.import_shared(shared_data)
    names = {e.name for e in stored}
    assert {"kwb_2021_85039NED", "kwb_2022_85318NED", "kwb_2024_85984NED", "health_2020_50090NED",
            "health_2024_50140NED", "boundaries_2024_wijk", "boundaries_2024_buurt"} <= names
    kwb = cache.find("kwb", year=2021).load()
    assert kwb.query("level == 'wijk'").shape[0] == 122 and kwb["gemeente_code"].nunique() == 10
    # income is present for 2021 only, so the default KWB year offline is 2021
    assert sources.kwb(offline=True).manifest["year"] == 2021
    health = cache.find("health", year=2020).load()
    assert health.groupby("age_group")["lonely__suppressed"].sum().to_dict() == {"18+": 47, "65+": 87}
    assert imports.import_shared(shared_data, if_empty=True) == []


@pytest.mark.shared
@pytest.mark.parametrize("relative, kind", [
    ("cbs/kwb2021_2022_via_capybara/kwb_2021_2022_gm_wk_decimalfixed_NL.csv", "kwb"),
    ("cbs/rivm_50090NED_gezondheid_wijk_buurt/gezondheid_2020_18plus_NL.csv.gz", "health"),
    ("cbs/rivm_50140NED_jongvolwassenen_2024/50140NED_TypedDataSet_22092025_192544_NL.csv", "health"),
    ("boundaries/wijken_2024_groningen_wgs84.geojson", "boundaries"),
    ("boundaries/gemeenten_2023_groningen_kerncijfers_wgs84.geojson", "boundaries"),
])
def test_national_and_other_example_files(shared_data, relative, kind):
    path = shared_data / relative
    if kind == "kwb":
        entries = imports.import_kwb(path)
        assert {e.manifest["year"] for e in entries} == {2021, 2022}
    elif kind == "health":
        entries = imports.import_health(path, year=2024 if "50140" in relative else None,
                                        table_id=None if "50140" in relative else "50090NED")
        assert all(set(e.manifest["municipalities"]) >= {"GM0014", "GM1950"} for e in entries)
    else:
        entry = imports.import_boundaries(path)
        assert len(entry.load()) == 10 or entry.manifest["level"] == "wijk"


@pytest.mark.shared
def test_capybara_verbatim_with_lost_decimals_is_refused(shared_data):
    path = shared_data / "cbs/kwb2021_2022_via_capybara/capybara_data_csv_verbatim.csv.gz"
    with pytest.raises(DataError, match="p_hh_lkk.*outside 0-100"):
        imports.import_kwb(path)
    assert cache.entries() == []

"""The area frame on the real shared data: every figure lands on the area it describes.

The shared data pairs KWB 2021 (indeling 2021) and RIVM 2020 (indeling 2020) with the 2024 boundaries.
Het Hogeland renumbered its wijken in 2022 and Eemsdelta was formed in 2021; KWB 2022 already uses the
new numbering with village names and serves as an independent check.
"""
import shutil

import geopandas as gpd
import numpy as np
import pytest

from mgg_geo import analysis, cli
from mgg_geo.data import areas, cache, regions, vintages
from mgg_geo.present import export

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def frame(imported_cache):
    saved = areas.settings.CACHE_DIR
    areas.settings.CACHE_DIR = imported_cache
    try:
        return areas.build("wijk", offline=True)
    finally:
        areas.settings.CACHE_DIR = saved


def kwb(use_imported, year):
    return cache.find("kwb", year=year).load()


def test_every_table_declares_its_indeling(frame):
    assert {k: (m["year"], m["indeling"]) for k, m in frame.sources.items()} == {
        "kwb": (2021, 2021), "health": (2020, 2020), "boundaries": (2024, 2024)}
    assert len(frame.areas) == 123 and frame.areas.crs.to_epsg() == 28992
    assert set(frame.areas["gemeente_code"]) == set(regions.MUNICIPALITIES)


def test_het_hogeland_villages_carry_their_own_figures(use_imported, frame):
    hh = frame.areas[frame.areas["gemeente_code"] == "GM1966"]
    check = kwb(use_imported, 2022).set_index("code")  # the 2022 table already uses the new numbering
    for code, row in hh.iterrows():
        if code == "WK196614":  # Eemshavengebied: no residents in either year
            assert row["population"] == 0
            continue
        reference = check.loc[code]
        assert reference["name"] == row["name"]  # KWB 2022 and the 2024 boundaries name the same village
        # one year of change at most a few per cent: the figure belongs to this village, not another
        assert row["population"] == pytest.approx(reference["population"], rel=0.04), (code, row["name"])
    assert hh.loc["WK196608", ["name", "population"]].tolist() == ["Bedum", 10495]  # old WK196600
    # joined by code, old WK196608 (2,180 residents) would have landed on Bedum and 10,495 residents vanished
    youth = hh[["pop_0_14", "pop_15_24"]].sum().sum()
    gm = check.loc["GM1966"]
    assert youth == pytest.approx(gm["pop_0_14"] + gm["pop_15_24"], rel=0.02)


def test_het_hogeland_health_figures_follow_the_renumbering(use_imported, frame):
    rivm = cache.find("health", year=2020).load().query("age_group == '18+' and level == 'wijk'").set_index("code")
    hh = frame.areas
    assert hh.loc["WK196608", "lonely"] == rivm.loc["WK196600", "lonely"] == 42.4  # Bedum
    assert hh.loc["WK196602", "lonely"] == rivm.loc["WK196610", "lonely"]  # Leens
    assert hh.loc["WK196601", "lonely"] == rivm.loc["WK196609", "lonely"]  # Ulrum
    # Warffum: CBS changed old WK196608's boundary in 2021 and no 2020 figures can say how: missing, with a reason
    assert np.isnan(hh.loc["WK196609", "lonely"])
    row = frame.vintages.query("code == 'WK196609' and source == 'RIVM 2020'").iloc[0]
    assert row["cause"] == "cbs_boundary_changed" and not isinstance(row["relation"], str)
    listed = frame.quality.query("code == 'WK196609' and source == 'RIVM 2020'").iloc[0]
    assert listed["problem"] == "missing" and listed["residents"] == 2180


def test_eemsdelta_health_recovered_from_its_former_municipalities(use_imported, frame):
    rivm = cache.find("health", year=2020).load().query("age_group == '18+' and level == 'gemeente'").set_index("code")
    old = kwb(use_imported, 2020).set_index("code")  # municipalities in the 2020 indeling
    olds = ["GM0003", "GM0010", "GM0024"]
    expected = np.average(rivm.loc[olds, "lonely"], weights=old.loc[olds, "population"])
    ems = frame.areas[frame.areas["gemeente_code"] == "GM1979"]
    assert len(ems) == 19 and ems["lonely"].notna().all()
    assert ems["lonely"].to_numpy() == pytest.approx(expected)
    relations = frame.vintages.query("source == 'RIVM 2020'").set_index("code").loc[ems.index]
    assert (relations["relation"] == "merged").all() and not relations["exact"].any()
    assert (relations["from_codes"] == "GM0003, GM0010, GM0024").all()


def test_groningen_reshaped_wijken_are_estimates(frame):
    rel = frame.vintages.query("source == 'KWB 2021'").set_index("code")["relation"]
    assert rel[["WK001401", "WK001408", "WK001409"]].tolist() == ["reshaped"] * 3  # Oud-Zuid, Hoogkerk, Nieuw-West
    assert rel["WK001400"] == "same"


def test_wijk_residents_add_up_to_cbs_municipality_row_for_every_vintage(use_imported, frame):
    # each KWB table in its own indeling ...
    for year in (2021, 2022, 2024):
        totals = vintages.check_totals(kwb(use_imported, year))
        assert set(totals.index) >= set(regions.MUNICIPALITIES) and totals["ok"].all(), (year, totals)
    # ... and after moving KWB 2021 onto the 2024 wijken
    assert set(frame.totals.index) == set(regions.MUNICIPALITIES) and frame.totals["ok"].all(), frame.totals
    # the same holds when the reports use KWB 2022 or 2024 instead
    for year in (2022, 2024):
        other = areas.build("wijk", kwb_year=year, offline=True)
        assert other.totals["ok"].all() and len(other.totals) == 10, (year, other.totals)


def test_quality_lists_every_conversion_with_residents(frame):
    moved = frame.vintages[frame.vintages["relation"] != "same"]
    listed = frame.quality.set_index(["code", "source"])
    for row in moved.itertuples():
        assert (row.code, row.source) in listed.index
    assert set(frame.quality["problem"]) >= {"converted", "estimated", "missing"}
    assert frame.quality.query("problem != 'unused'")["residents"].notna().all()


def test_export_says_how_figures_were_obtained(use_imported, tmp_path):
    result = analysis.run(draws=0, offline=True, geocode=False, reference_date="2026-01-01")
    table = export.export_table(result).set_index("code")
    assert table.loc["WK196608", "figures_origin"] == ("KWB 2021: andere code (was WK196600); "
                                                        "RIVM 2020: andere code (was WK196600)")
    assert table.loc["WK001400", "figures_origin"] == "eigen cijfers"
    assert "geen cijfers" in table.loc["WK196609", "figures_origin"]


def test_crosswalk_is_cached_with_its_inputs(frame, use_imported):
    entry = next(e for e in cache.entries("crosswalk") if e.name == "crosswalk_wijk_2021_2024")
    assert {i["name"] for i in entry.manifest["inputs"]} >= {"kwb_2021_85039NED", "kwb_2024_85984NED"}
    assert entry.manifest["method"] == "fingerprint"
    stored = vintages._from_frame(entry.load(), entry.manifest)
    assert stored.links.set_index("from_code").loc["WK196600", "to_code"] == "WK196608"


def test_cli_prints_the_crosswalk_per_municipality(use_imported, capsys):
    assert cli.main(["data", "vintages", "--gemeente", "Het Hogeland", "--offline"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("WK196600"))
    assert line.split()[:5] == ["WK196600", "Wijk", "00", "WK196608", "Bedum"] and "renumbered" in line
    assert "WK196609  Warffum" in out and "missing" in out
    assert "GM1966  Het Hogeland  47845  47834  +11" in out


def test_geometry_crosswalk_from_imported_boundaries_of_another_year(imported_cache, tmp_path, monkeypatch):
    private = tmp_path / "cache"
    shutil.copytree(imported_cache, private)
    monkeypatch.setattr(areas.settings, "CACHE_DIR", private)
    # an older indeling written in code: Pekela's two wijken as one
    now = cache.find("boundaries", year=2024, level="wijk").load()
    pekela = now[now["gemeente_code"] == "GM0765"]
    old = gpd.GeoDataFrame({"statcode": ["WK076500"], "statnaam": ["Pekela"]},
                           geometry=[pekela.geometry.union_all()], crs=now.crs)
    path = tmp_path / "wijken_2019.geojson"
    old.to_file(path, driver="GeoJSON")
    assert cli.main(["import", "boundaries", str(path), "--level", "wijk", "--year", "2019"]) == 0
    cw = vintages.crosswalk("wijk", 2019, 2024, offline=True)
    assert cw.method == "geometry"
    pek = cw.links[cw.links["from_code"] == "WK076500"]
    assert set(pek["to_code"]) == {"WK076500", "WK076501"} and set(pek["relation"]) == {"split"}
    assert pek["count_weight"].sum() == pytest.approx(1.0)

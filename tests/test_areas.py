"""The area frame on the real shared data: every figure lands on the area it describes.

The shared data pairs KWB 2021 (indeling 2021) and RIVM 2020 (indeling 2020) with the 2024 boundaries, and
holds the boundaries of 2020 and 2021 too. Het Hogeland renumbered its wijken in 2022 and Eemsdelta was formed
in 2021; KWB 2022 already uses the new numbering with village names and serves as an independent check.
The values pinned below were read by hand from the CBS/RIVM files (RIVM 50090NED, rows 2020JJ00, 18+).
"""
import shutil

import geopandas as gpd
import pandas as pd
import pytest

from mgg_geo import analysis, cli
from mgg_geo.data import areas, cache, conversion, regions, vintages
from mgg_geo.errors import DataError
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


def rivm(frame_level="wijk"):
    return cache.find("health", year=2020).load().query("age_group == '18+' and level == @frame_level") \
        .set_index("code")


def provenance(frame, code, source="RIVM 2020"):
    return frame.vintages.query("code == @code and source == @source").iloc[0]


#: Eemsdelta's wijken with their own 2020 wijk (CBS: code changed, boundary unchanged; the buurten continue),
#: and the 2020 loneliness of that wijk (%, 18+), read from the RIVM file by hand.
EEMSDELTA_OWN = {"WK197901": ("WK001001", "Delfzijl-Centrum", 52.7), "WK197902": ("WK001002", "West", 47.6),
                 "WK197903": ("WK001003", "Farmsum", 48.4), "WK197906": ("WK001006", "Noord", 54.6),
                 "WK197909": ("WK001009", "Buitengebied Zuid-Termunten", 49.0),
                 "WK197916": ("WK002400", "Buitengebied Noord-Loppersum", 42.1),
                 "WK197917": ("WK002401", "Buitengebied Noord-Stedum", 40.8),
                 "WK197918": ("WK002402", "Buitengebied Noord-Middelstum", 42.6),
                 "WK197919": ("WK002403", "Buitengebied Noord-'t Zandt", 41.4)}


def test_eemsdelta_wijken_carry_their_own_2020_figures(use_imported, frame):
    own = rivm()
    for code, (old, name, lonely) in EEMSDELTA_OWN.items():
        row = provenance(frame, code)
        assert frame.areas.at[code, "name"] == name
        assert (row["relation"], row["from_codes"], row["exact"]) == ("renumbered", old, True), code
        assert frame.areas.at[code, "lonely"] == own.at[old, "lonely"] == lonely, code
        assert frame.areas.at[code, "anxiety_depression_high"] == own.at[old, "anxiety_depression_high"]
    loppersum = frame.areas.loc[["WK197916", "WK197917", "WK197918", "WK197919"], "lonely"]
    assert loppersum.nunique() == 4 and (loppersum < 43).all()  # four villages, four figures
    # the Appingedam wijken lie in Appingedam's one 2020 wijk: its figure, as an estimate from the overlap
    for code in ("WK197911", "WK197912", "WK197913", "WK197915"):
        row = provenance(frame, code)
        assert (row["relation"], row["tier"], row["from_codes"]) == ("reshaped", "overlap", "WK000300"), code
        assert frame.areas.at[code, "lonely"] == own.at["WK000300", "lonely"] == 49.4
    assert frame.areas.at["WK197914", "lonely"] == pytest.approx(49.4, abs=0.05)  # 3 % of it lay in Delfzijl
    # Tuikwerd gave a third of its area to Tussengebied (10 residents): Tuikwerd keeps its figure as an
    # estimate, Tussengebied gets no estimated rate; Oosterhorn has no residents at all
    assert provenance(frame, "WK197904")[["relation", "tier"]].tolist() == ["reshaped", "overlap"]
    assert frame.areas.at["WK197904", "lonely"] == own.at["WK001004", "lonely"] == 53.4
    assert provenance(frame, "WK197910")["withheld"] == "few_residents"
    assert provenance(frame, "WK197908")["withheld"] == "no_residents"
    assert frame.areas.loc[["WK197908", "WK197910"], "lonely"].isna().all()
    # nothing of Eemsdelta is the blended municipality figure any more
    assert not (frame.vintages.query("source == 'RIVM 2020'")["relation"] == "average").any()


def test_warffum_has_the_figures_of_its_old_wijk(use_imported, frame):
    row = provenance(frame, "WK196609")
    assert frame.areas.at["WK196609", "name"] == "Warffum"
    # CBS moved its coastline and Rottumeroog out between 2021 and 2024 (land 3,054 -> 2,900 ha): an estimate,
    # but one whose only source is its own old wijk WK196608
    assert (row["relation"], row["tier"], row["from_codes"]) == ("reshaped", "overlap", "WK196608")
    assert frame.areas.at["WK196609", "lonely"] == rivm().at["WK196608", "lonely"] == 44.7
    assert frame.areas.at["WK196609", "population"] == 2180  # old WK196608 in KWB 2021, whole


def test_eemshavengebied_gets_no_rates(use_imported, frame):
    assert frame.areas.at["WK196614", "population"] == 0  # no count lands where nobody lives
    for source in ("KWB 2021", "RIVM 2020"):
        row = provenance(frame, "WK196614", source)
        assert row["withheld"] == "no_residents" and row["from_codes"] == "WK196605"
    rates = ["lonely", "anxiety_depression_high", "making_ends_meet", "low_income_share", "one_person_share"]
    assert frame.areas.loc["WK196614", rates].isna().all()
    listed = frame.quality.query("code == 'WK196614'")
    assert set(listed["problem"]) == {"withheld"} and set(listed["cause"]) == {"no_residents"}


def test_no_rate_lands_on_an_area_without_residents(frame):
    empty = frame.areas.index[frame.areas["population"] == 0]
    moved = frame.vintages[frame.vintages["code"].isin(empty) & (frame.vintages["relation"] != "same")]
    assert len(moved) and (moved["withheld"] == "no_residents").all()
    assert frame.areas.loc[moved["code"].unique(), ["lonely", "low_income_share"]].isna().all().all()


def test_each_missing_figure_says_why(frame):
    """Oosterhorn (no residents) counted as "niet gepubliceerd" for its KWB figures, and Tussengebied's RIVM figures,
    which the report chose not to estimate, counted as nothing at all: each missing figure now has one reason."""
    why = areas.missing_reasons(frame.areas, frame.vintages)
    assert set(why.loc["WK197908"].dropna()) == {"empty"}  # Oosterhorn: no residents, whatever CBS marked
    assert why.loc["WK197908"].notna().all()
    tussengebied = why.loc["WK197910"]  # 10 residents, 0 households
    assert tussengebied["making_ends_meet"] == tussengebied["lonely"] == "not_converted"  # RIVM: withheld
    assert tussengebied["low_income_share"] == tussengebied["woz_value"] == "suppressed"  # CBS kept it secret
    assert tussengebied["one_person_share"] == "empty"  # a share of no households
    assert why.at["WK197914", "low_income_share"] == "suppressed" and why.at["WK197914", "lonely"] is None
    has = frame.areas[why.columns].notna()
    assert (why.isna() == has).all().all()  # a reason exactly where the figure is missing
    assert set(why.stack().dropna()) <= set(areas.MISSING_REASONS)


def test_a_buurt_frame_without_kerncijfers_per_buurt_names_the_import(use_imported):
    """The shared Kerncijfers have no buurt rows: a report per buurt stops with the import to do, instead of
    reporting every buurt with 0 residents and 'te klein om te rangschikken' (missing is not 0)."""
    with pytest.raises(DataError, match=r"The Kerncijfers of 2021 \(85039NED\) in the cache have no buurt rows: "
                                        r"import a Kerncijfers wijken en buurten file with buurten"):
        areas.build("buurt", offline=True)


def test_groningen_reshaped_wijken_are_estimates(frame):
    rel = frame.vintages.query("source == 'KWB 2021'").set_index("code")
    # Oud-Zuid, Hoogkerk, Nieuw-West: land 370/1,450/701 ha in 2021, 406/1,296/818 ha in 2024
    assert rel.loc[["WK001401", "WK001408", "WK001409"], "relation"].tolist() == ["reshaped"] * 3
    assert set(rel.loc[["WK001401", "WK001408", "WK001409"], "tier"]) == {"overlap"}
    assert rel.loc["WK001400", "relation"] == "same"
    assert "WK001408" in rel.loc["WK001409", "from_codes"]  # Nieuw-West took part of Hoogkerk


def test_a_rate_from_two_old_wijken_is_weighted_by_their_residents_in_both_sources(use_imported, frame):
    """Nieuw-West (WK001409) of 2024 took part of Hoogkerk (WK001408): its rates come from both old wijken. KWB 2021
    weighs them by their residents of 2021; the RIVM figures of 2020 do the same (CBS: both wijken unchanged from
    2020 to 2021, so their residents of 2021 are the nearest count), not by area (0.83/0.17, which a review found
    moved Nieuw-West below Noordoost)."""
    weights = {}
    for source in ("KWB 2021", "RIVM 2020"):
        links = frame.crosswalks[source].links
        mine = links[links["to_code"] == "WK001409"].set_index("from_code")["rate_weight"]
        weights[source] = mine.reindex(["WK001408", "WK001409"]).to_numpy()
    assert weights["RIVM 2020"] == pytest.approx(weights["KWB 2021"], abs=0.01)
    assert weights["RIVM 2020"][1] == pytest.approx(0.95, abs=0.01)
    old = rivm().loc[["WK001408", "WK001409"], "lonely"].to_numpy()
    assert frame.areas.at["WK001409", "lonely"] == pytest.approx(float(weights["RIVM 2020"] @ old), abs=0.05)


def test_wijk_residents_add_up_to_cbs_municipality_row_for_every_vintage(use_imported, frame):
    # each KWB table in its own indeling ...
    for year in (2021, 2022, 2024):
        totals = conversion.check_totals(kwb(use_imported, year))
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
    assert set(frame.quality["problem"]) >= {"converted", "estimated", "withheld"}
    assert frame.quality.query("problem != 'unused'")["residents"].notna().all()


def test_export_says_how_figures_were_obtained(use_imported, tmp_path):
    result = analysis.run(draws=0, offline=True, geocode=False, reference_date="2026-01-01")
    table = export.export_table(result).set_index("code")
    assert table.loc["WK196608", "figures_origin"] == ("KWB 2021: omgenummerd (was WK196600); "
                                                        "RIVM 2020: omgenummerd (was WK196600)")
    assert table.loc["WK001400", "figures_origin"] == "eigen cijfers"
    assert table.loc["WK197901", "figures_origin"] == "RIVM 2020: omgenummerd (was WK001001)"
    assert table.loc["WK197911", "figures_origin"] == "RIVM 2020: geschat uit overlap (uit WK000300)"
    assert table.loc["WK196614", "figures_origin"] == ("KWB 2021: geen cijfers: het gebied heeft geen inwoners; "
                                                        "RIVM 2020: geen cijfers: het gebied heeft geen inwoners")
    assert table.loc["WK197901", "lonely"] == 52.7 and table.loc["WK197906", "lonely"] == 54.6


def test_crosswalk_is_cached_with_its_inputs(frame, use_imported):
    entry = next(e for e in cache.entries("crosswalk") if e.name == "crosswalk_wijk_2021_2024")
    assert {i["name"] for i in entry.manifest["inputs"]} >= {"kwb_2021_85039NED", "kwb_2024_85984NED",
                                                             "boundaries_2021_wijk", "boundaries_2024_wijk"}
    assert entry.manifest["method"] == "geometry"
    stored = vintages._from_frame(entry.load(), entry.manifest)
    assert stored.links.set_index("from_code").loc["WK196600", "to_code"] == "WK196608"
    again = vintages.crosswalk("wijk", 2021, 2024, offline=True, source_codes=stored.links["from_code"].unique())
    pd.testing.assert_frame_equal(again.links, stored.links)


def test_cli_lists_each_wijk_with_sources_relation_evidence_and_share(use_imported, capsys):
    assert cli.main(["data", "vintages", "--gemeente", "Eemsdelta", "--offline"]) == 0
    out = capsys.readouterr().out
    lines = {x.split()[0]: x for x in out.splitlines() if x.startswith("WK1979")}
    assert lines["WK197901"].split()[:6] == ["WK197901", "Delfzijl-Centrum", "renumbered", "geometry", "WK001001",
                                             "Centrum"]
    assert "1 of its 1 buurten continue" in lines["WK197901"] and "code changed, boundary unchanged" in out
    assert lines["WK197911"].split()[2:5] == ["reshaped", "overlap", "WK000300"]
    assert "1.00" in lines["WK197911"]
    tussen = out.splitlines()[out.splitlines().index(lines["WK197910"]) + 1]
    assert lines["WK197910"].split()[4:6] == ["WK001004", "Tuikwerd"] and "0.51" in lines["WK197910"]
    assert "WK000300" in tussen and "0.49" in tussen and "rates withheld" in lines["WK197910"]
    assert "GM1979 Eemsdelta: 9 renumbered, 8 reshaped, 1 renumbered (no_residents), 1 reshaped (few_residents)" \
        in out
    assert "GM1979  Eemsdelta     45595  45587  +8" in out
    assert cli.main(["data", "vintages", "--gemeente", "Het Hogeland", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "GM1966  Het Hogeland  47845  47834  +11" in out
    warffum = next(x for x in out.splitlines() if x.startswith("WK196609"))
    assert warffum.split()[:5] == ["WK196609", "Warffum", "reshaped", "overlap", "WK196608"]


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

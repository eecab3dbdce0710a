"""Crosswalks between indelingen: hand-checkable synthetic worlds, properties, and the real data.

The synthetic worlds are written in code: municipality GM0765 (Pekela, 2 wijken in reality) is used as a
sandbox whose "wijken" are squares of known land area and residents.
"""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from shapely.geometry import box

from mgg_geo.data import conversion, crosswalks, regions, vintages
from mgg_geo.errors import DataError

GM = "GM0765"


def fp(rows, level="wijk"):
    """Fingerprint frame from (code, name, land ha, residents, households[, CBS change indicator])."""
    records = []
    for row in rows:
        code, name, land, pop, hh, *change = row
        records.append({"code": code, "name": name, "gemeente_code": regions.municipality_of(code),
                        "land_area": float(land), "population": float(pop), "households": float(hh),
                        "boundary_change": float(change[0]) if change else np.nan})
    return pd.DataFrame(records).set_index("code")


def relations(cw):
    return {(r.from_code, r.to_code): r.relation for r in cw.links.itertuples()}


# ---------------------------------------------------------------- fingerprints: reuse, split, merge, rename


def test_renumbered_codes_follow_land_and_residents_not_the_code():
    # two villages swap codes; the reused code WK076501 would land on the wrong village if joined by code
    old = fp([("WK076500", "Wijk 00", 3000, 2000, 900), ("WK076501", "Wijk 01", 1200, 6000, 2700)])
    new = fp([("WK076500", "Oude Pekela", 1210, 6100, 2720), ("WK076501", "Nieuwe Pekela", 2990, 2010, 905)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2021, target_year=2024)
    assert relations(cw) == {("WK076500", "WK076501"): "renumbered", ("WK076501", "WK076500"): "renumbered"}
    assert cw.unmatched.empty and cw.method == "fingerprint"


def test_population_alone_is_not_enough():
    # equal residents, different land: the land area decides (as for Het Hogeland's Leens and Ulrum)
    old = fp([("WK076500", "Wijk 00", 3657, 3215, 1525), ("WK076501", "Wijk 01", 6617, 3165, 1540)])
    new = fp([("WK076501", "Ulrum", 6585, 3215, 1540), ("WK076502", "Leens", 3669, 3230, 1525)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2021, target_year=2024)
    # "Wijk 01" carries no name, so the kept code with a matching land area is simply the same area
    assert relations(cw) == {("WK076500", "WK076502"): "renumbered", ("WK076501", "WK076501"): "same"}


def test_same_code_with_other_residents_is_not_the_same_area():
    # WK076501 keeps its land area but now names a town four times as large: not linked by code
    old = fp([("WK076500", "Wijk 00", 3000, 5400, 2500), ("WK076501", "Wijk 01", 3211, 1430, 680)])
    new = fp([("WK076501", "Uithuizen", 3274, 5470, 2690), ("WK076502", "Kloosterburen", 3187, 1455, 685)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2021, target_year=2024)
    assert relations(cw)[("WK076501", "WK076502")] == "renumbered"
    assert ("WK076501", "WK076501") not in relations(cw)


def test_split_merge_and_rename():
    old = fp([("WK076500", "Wijk 00 Kern", 500, 4000, 1800),            # renamed only
              ("WK076501", "Wijk 01", 6600, 4800, 2100),                # split into 02 and 03
              ("WK076504", "Noord", 900, 700, 300), ("WK076505", "Zuid", 1100, 800, 350)])  # merged into 04
    new = fp([("WK076500", "Centrum", 505, 4050, 1810),
              ("WK076502", "Dorp", 4700, 4800, 2100), ("WK076503", "Haven", 1800, 0, 0),
              ("WK076504", "Buitengebied", 2000, 1520, 650)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2021, target_year=2024)
    rel = relations(cw)
    assert rel[("WK076500", "WK076500")] == "renamed"
    # the leftovers form one group; 1 source and 2 targets is a split, 2 and 1 a merge: both live in one group
    # here, because fingerprints alone cannot tell which leftover went where
    group = {k: v for k, v in rel.items() if k[0] != "WK076500"}
    assert set(group.values()) == {"reshaped"} and len(group) == 9  # 3 sources x 3 targets
    figures = pd.DataFrame({"population": [4000, 4800, 700, 800], "low_income_share": [10.0, 20.0, 30.0, 40.0]},
                           index=["WK076500", "WK076501", "WK076504", "WK076505"])
    out, prov = conversion.convert(figures, cw, ["population", "low_income_share"])
    assert out["population"].sum() == 10300  # counts are conserved
    # counts follow the target residents (4800 : 0 : 1520); rates are weighted by source residents
    assert out.loc["WK076503", "population"] == 0
    assert out.loc["WK076502", "population"] == pytest.approx(6300 * 4800 / 6320)
    assert out.loc["WK076502", "low_income_share"] == pytest.approx((20 * 4800 + 30 * 700 + 40 * 800) / 6300)
    assert out.loc["WK076500", "low_income_share"] == 10.0 and prov.loc["WK076500", "exact"]
    assert not prov.loc["WK076502", "exact"]


def test_clean_split_and_merge_groups():
    split = crosswalks.from_fingerprints(fp([("WK076501", "Wijk 01", 6582, 4835, 2100)]),
                                       fp([("WK076513", "Uithuizermeeden", 4671, 4800, 2085),
                                           ("WK076514", "Eemshavengebied", 1781, 0, 0)]),
                                       level="wijk", source_year=2021, target_year=2022)
    assert set(relations(split).values()) == {"split"}
    links = split.links.set_index("to_code")
    assert links.loc["WK076513", "count_weight"] == 1.0 and links.loc["WK076514", "count_weight"] == 0.0
    assert (links["rate_weight"] == 1.0).all()  # both inherit the rate
    merged = crosswalks.from_fingerprints(fp([("WK076504", "Noord", 900, 700, 300),
                                            ("WK076505", "Zuid", 1100, 800, 350)]),
                                        fp([("WK076504", "Buitengebied", 2010, 1510, 655)]),
                                        level="wijk", source_year=2021, target_year=2022)
    assert set(relations(merged).values()) == {"merged"}
    assert merged.links.set_index("from_code")["rate_weight"].to_dict() == pytest.approx(
        {"WK076504": 700 / 1500, "WK076505": 800 / 1500})


def test_ambiguous_twins_stay_missing_rather_than_guess():
    # two renumbered areas with identical fingerprints: either pairing fits, so neither is linked
    old = fp([("WK076500", "Wijk 00", 2000, 1500, 700), ("WK076501", "Wijk 01", 2000, 1500, 700),
              ("WK076502", "Wijk 02", 9000, 8000, 3500)])
    new = fp([("WK076510", "A", 2000, 1500, 700), ("WK076511", "B", 2000, 1500, 700),
              ("WK076512", "C", 9000, 8100, 3520)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2021, target_year=2024)
    rel = relations(cw)
    assert rel.pop(("WK076502", "WK076512")) == "renumbered"
    assert set(rel.values()) == {"reshaped"} and len(rel) == 4  # the twins form one group: an estimate
    figures = pd.DataFrame({"lonely": [40.0, 50.0, 45.0]}, index=["WK076500", "WK076501", "WK076502"])
    out, _ = conversion.convert(figures, cw, ["lonely"])
    # neither twin gets the other's figure: both get the group's (equal residents: the plain mean)
    assert out.loc[["WK076510", "WK076511"], "lonely"].tolist() == [45.0, 45.0]


def test_cbs_change_indicator_links_unchanged_codes_and_explains_the_rest():
    # no figures of the source year: only CBS's own indicator (1 = unchanged) links codes
    new = fp([("WK076500", "Kern", 500, 4000, 1800, 1), ("WK076501", "Buiten", 4000, 8000, 3500, 3),
              ("WK076502", "Nieuw", 400, 300, 120, 2)])
    cw = crosswalks.from_fingerprints(None, new, level="wijk", source_year=2020, target_year=2021)
    assert relations(cw) == {("WK076500", "WK076500"): "same"} and cw.method == "indicator"
    assert set(cw.links["tier"]) == {"indicator"}
    causes = cw.unmatched.set_index("code")["cause"].to_dict()
    assert causes == {"WK076501": "cbs_boundary_changed", "WK076502": "cbs_code_changed"}
    assert cw.pending.empty  # no codes of 2020 known: nothing to identify the old code of WK076502 with
    # the indicator only speaks of the year before
    later = crosswalks.from_fingerprints(None, new, level="wijk", source_year=2019, target_year=2021)
    assert later.links.empty


def test_merged_municipality_is_matched_within_its_former_municipalities():
    # Eemsdelta (GM1979) from Appingedam, Delfzijl, Loppersum: the merger table scopes the matching
    old = fp([("WK000300", "Appingedam", 2378, 11642, 5528), ("WK001001", "Centrum", 27, 790, 565),
              ("WK002400", "Loppersum", 11104, 9537, 4297)])
    new = fp([("WK197911", "Appingedam", 2330, 11490, 5510), ("WK197901", "Delfzijl-Centrum", 27, 780, 565),
              ("WK197916", "Loppersum", 11104, 9500, 4305)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2020, target_year=2021)
    assert relations(cw) == {("WK000300", "WK197911"): "renumbered", ("WK001001", "WK197901"): "renumbered",
                             ("WK002400", "WK197916"): "renumbered"}


# ---------------------------------------------------------------- geometry


def squares(codes_boxes, year):
    return gpd.GeoDataFrame({"code": [c for c, _ in codes_boxes], "name": [c for c, _ in codes_boxes]},
                            geometry=[box(*b) for _, b in codes_boxes], crs="EPSG:28992")


X, Y = 250_000, 560_000


def test_geometry_same_split_merge_and_reshape():
    old = squares([("WK076500", (X, Y, X + 1000, Y + 1000)),             # unchanged
                   ("WK076501", (X + 1000, Y, X + 3000, Y + 1000)),      # split in two halves
                   ("WK076502", (X, Y + 1000, X + 1000, Y + 2000)),      # merged with 03
                   ("WK076503", (X + 1000, Y + 1000, X + 2000, Y + 2000))], 2019)
    new = squares([("WK076500", (X, Y, X + 1000, Y + 1000)),
                   ("WK076510", (X + 1000, Y, X + 2000, Y + 1000)), ("WK076511", (X + 2000, Y, X + 3000, Y + 1000)),
                   ("WK076512", (X, Y + 1000, X + 2000, Y + 2000))], 2024)
    cw = crosswalks.from_geometry(old, new, level="wijk", source_year=2019, target_year=2024,
                                population=pd.Series({"WK076500": 100, "WK076501": 400, "WK076502": 300,
                                                      "WK076503": 100}))
    rel = relations(cw)
    assert rel[("WK076500", "WK076500")] == "same"
    assert rel[("WK076501", "WK076510")] == rel[("WK076501", "WK076511")] == "split"
    assert rel[("WK076502", "WK076512")] == rel[("WK076503", "WK076512")] == "merged"
    links = cw.links.set_index(["from_code", "to_code"])
    assert links.loc[("WK076501", "WK076510"), "count_weight"] == pytest.approx(0.5)
    # the merged square's rate is weighted by residents: 300 and 100
    assert links.loc[("WK076502", "WK076512"), "rate_weight"] == pytest.approx(0.75)


def test_geometry_drops_slivers_of_generalised_boundaries():
    old = squares([("WK076500", (X, Y, X + 1000, Y + 1000)), ("WK076501", (X + 1000, Y, X + 2000, Y + 1000))], 2019)
    new = squares([("WK076500", (X, Y, X + 1010, Y + 1000)), ("WK076501", (X + 1010, Y, X + 2000, Y + 1000))], 2024)
    cw = crosswalks.from_geometry(old, new, level="wijk", source_year=2019, target_year=2024)
    assert relations(cw) == {("WK076500", "WK076500"): "same", ("WK076501", "WK076501"): "same"}


def test_geometry_needs_rd_new():
    old = squares([("WK076500", (X, Y, X + 1000, Y + 1000))], 2019).to_crs(4326)
    with pytest.raises(DataError, match="EPSG:28992"):
        crosswalks.from_geometry(old, old, level="wijk", source_year=2019, target_year=2024)


def test_boundaries_cbs_declares_unchanged_carry_the_figures_of_a_year_without_boundaries():
    """KWB 2022 without 2022 boundaries: Groningen's wijken of 2022 are those of 2021 (CBS's indicator 1 for every
    one), so their 2022 figures reach the 2024 wijken through the overlap of the 2021 and 2024 boundaries, as those
    of 2021 do; they were moved unchanged onto a reshaped wijk before (Hoogkerk's 12,220 residents on its 2022
    boundary shown for the 2024 one). A municipality that changed in 2022 keeps CBS's figures (fingerprints)."""
    from mgg_geo.data import sources

    def kwb(rows, year):  # (code, land ha, residents, CBS change indicator)
        return sources.Dataset(pd.DataFrame(
            [{"code": c, "level": "wijk", "gemeente_code": regions.municipality_of(c), "name": c, "land_area": land,
              "population": pop, "households": pop / 2, "boundary_change": change} for c, land, pop, change in rows]),
            {"name": f"kwb_{year}", "kind": "kwb", "year": year, "indeling": year})

    def bounds(boxes, year):
        frame = squares(boxes, year).assign(level="wijk")
        return sources.Dataset(frame.assign(gemeente_code=frame["code"].map(regions.municipality_of)),
                               {"name": f"boundaries_{year}_wijk", "kind": "boundaries", "year": year})

    ev = vintages.Evidence("wijk", offline=True, assume=frozenset({("kwb", 2022), ("kwb", 2024)}))
    ev._bounds[(2021, "wijk")] = bounds([("WK001400", (X, Y, X + 1000, Y + 1000)),
                                         ("WK001401", (X + 1000, Y, X + 2000, Y + 1000)),
                                         ("WK003799", (X, Y + 5000, X + 1000, Y + 6000))], 2021)
    ev._bounds[(2024, "wijk")] = bounds([("WK001400", (X, Y, X + 1200, Y + 1000)),  # took a fifth of WK001401
                                         ("WK001401", (X + 1200, Y, X + 2000, Y + 1000)),
                                         ("WK003701", (X, Y + 5000, X + 1000, Y + 6000))], 2024)
    ev._kwb[2022] = kwb([("WK001400", 100, 1000, 1), ("WK001401", 100, 500, 1), ("WK003700", 100, 800, 3)], 2022)
    ev._kwb[2024] = kwb([("WK001400", 120, 1150, 1), ("WK001401", 80, 350, 1), ("WK003701", 100, 810, 3)], 2024)
    carried = ev.boundaries(2022)
    assert carried.manifest["carried_from"] == 2021 and carried.manifest["municipalities"] == ["GM0014"]
    assert vintages.path(ev, 2022, 2024) == [(2022, 2024, "geometry")]
    cw = vintages.derive("wijk", 2022, 2024, evidence=ev)
    moved, prov = conversion.convert(pd.DataFrame({"population": [1000.0, 500.0, 800.0]},
                                                  index=["WK001400", "WK001401", "WK003700"]), cw, ["population"])
    assert moved["population"].to_dict() == pytest.approx({"WK001400": 1100.0, "WK001401": 400.0, "WK003701": 800.0})
    assert prov.loc["WK001400", "tier"] == "overlap" and prov.loc["WK003701", "tier"] == "fingerprint"
    assert cw.unmatched.empty


# ---------------------------------------------------------------- chains and conversion


def test_compose_multiplies_weights_and_keeps_exactness():
    first = crosswalks.from_fingerprints(None, fp([("WK076500", "Kern", 500, 4000, 1800, 1),
                                                 ("WK076501", "Buiten", 4000, 8000, 3500, 1)]),
                                       level="wijk", source_year=2020, target_year=2021)
    second = crosswalks.from_fingerprints(fp([("WK076500", "Kern", 500, 4000, 1800),
                                            ("WK076501", "Buiten", 4000, 8000, 3500)]),
                                        fp([("WK076501", "Kern", 505, 4010, 1805),
                                            ("WK076502", "Dorp", 2600, 5000, 2200),
                                            ("WK076503", "Veld", 1400, 3000, 1300)]),
                                        level="wijk", source_year=2021, target_year=2024)
    chain = crosswalks.compose(first, second)
    rel = relations(chain)
    assert rel[("WK076500", "WK076501")] == "renumbered"
    assert rel[("WK076501", "WK076502")] == rel[("WK076501", "WK076503")] == "split"
    assert chain.method == "indicator+fingerprint"
    weights = chain.links.set_index(["from_code", "to_code"])["count_weight"]
    assert weights[("WK076501", "WK076502")] == pytest.approx(5000 / 8000)
    with pytest.raises(DataError, match="Cannot chain"):
        crosswalks.compose(second, first)


def test_convert_missing_and_suppressed_never_become_numbers():
    cw = crosswalks.from_fingerprints(fp([("WK076504", "Noord", 900, 700, 300), ("WK076505", "Zuid", 1100, 800, 350)]),
                                    fp([("WK076504", "Buitengebied", 2010, 1510, 655)]),
                                    level="wijk", source_year=2021, target_year=2022)
    figures = pd.DataFrame({"population": [700.0, 800.0], "lonely": [40.0, np.nan],
                            "lonely__suppressed": [False, True], "urbanity": [4.0, 5.0]},
                           index=["WK076504", "WK076505"])
    out, _ = conversion.convert(figures, cw, ["population", "lonely", "urbanity"])
    assert out.loc["WK076504", "population"] == 1500
    assert np.isnan(out.loc["WK076504", "lonely"]) and out.loc["WK076504", "lonely__suppressed"]
    assert np.isnan(out.loc["WK076504", "urbanity"])  # a code is not averaged


def test_fill_from_municipality_inherits_rates_only():
    converted = pd.DataFrame(columns=["lonely", "population"])
    provenance = pd.DataFrame(columns=["relation", "from_codes", "exact"])
    municipal = pd.DataFrame({"lonely": [48.27], "lonely__suppressed": [False], "population": [45857.0]},
                             index=["GM1979"])
    out, prov = conversion.fill_from_municipality(converted, provenance, municipal, ["WK197901", "WK001400"],
                                                ["lonely", "population"], source=2020, target=2024)
    assert list(out.index) == ["WK197901"]  # GM0014 did not merge: its wijk stays missing
    assert out.loc["WK197901", "lonely"] == 48.27 and np.isnan(out.loc["WK197901", "population"])
    assert prov.loc["WK197901", ["relation", "tier"]].tolist() == ["average", "average"]
    assert prov.loc["WK197901", "from_codes"] == "GM0003, GM0010, GM0024"


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(50, 9000), st.integers(0, 20000)), min_size=2, max_size=7),
       st.integers(0, 3), st.lists(st.floats(0, 100), min_size=7, max_size=7))
def test_property_totals_survive_and_rates_stay_within_their_sources(areas, cut, rates):
    """Whatever the crosswalk finds, counts are conserved for linked sources and rates stay in range."""
    old = fp([(f"WK0765{i:02d}", f"Wijk {i:02d}", land, pop, pop // 2) for i, (land, pop) in enumerate(areas)])
    # the new indeling: renumber every area, and merge the first `cut` areas into one
    merged = areas[:cut] if cut >= 2 else []
    rows = [("WK076590", "Samen", sum(a for a, _ in merged), sum(p for _, p in merged),
             sum(p // 2 for _, p in merged))] if merged else []
    rest = areas[len(merged):]
    rows += [(f"WK07655{i}", f"Gebied {i}", land, pop, pop // 2) for i, (land, pop) in enumerate(rest)]
    cw = crosswalks.from_fingerprints(old, fp(rows), level="wijk", source_year=2021, target_year=2024)
    figures = pd.DataFrame({"population": [float(p) for _, p in areas],
                            "lonely": rates[:len(areas)]}, index=old.index)
    out, _ = conversion.convert(figures, cw, ["population", "lonely"])
    linked = sorted(set(cw.links["from_code"]))
    assert out["population"].sum() == pytest.approx(figures.loc[linked, "population"].sum())
    for code, group in cw.links.groupby("to_code"):
        sources = figures.loc[group["from_code"], "lonely"]
        assert sources.min() - 1e-9 <= out.loc[code, "lonely"] <= sources.max() + 1e-9
    # nothing is linked across municipalities, and every link has weights in [0, 1]
    assert cw.links[["count_weight", "rate_weight"]].apply(lambda c: c.between(0, 1)).all().all()


def test_cached_crosswalk_round_trips_exactly():
    cw = crosswalks.from_fingerprints(fp([("WK076500", "Wijk 00", 3000, 2000, 900),
                                        ("WK076501", "Wijk 01", 2880, 1350, 640)]),
                                    fp([("WK076510", "Kern", 2990, 2010, 905),
                                        ("WK076511", "Usquert", 2721, 1370, 650)]),
                                    level="wijk", source_year=2021, target_year=2024)
    back = vintages._from_frame(vintages._to_frame(cw), {"level": "wijk", "source_indeling": 2021,
                                                         "indeling": 2024, "method": cw.method})
    pd.testing.assert_frame_equal(back.links, cw.links, check_dtype=False)
    assert back.links.set_index("to_code")["exact"].to_dict() == {"WK076510": True, "WK076511": False}
    assert back.target_names == cw.target_names and back.source_names == cw.source_names


# ---------------------------------------------------------------- evidence, strongest first


def test_indicator_and_buurt_continuity_identify_a_renumbered_area():
    """CBS says only the code changed (2); the old code is the one whose buurten continue, by code or by name."""
    new = fp([("WK197901", "Delfzijl-Centrum", 27, 790, 565, 2), ("WK197902", "West", 152, 3535, 1600, 2),
              ("WK197916", "Noord-Loppersum", 2647, 3380, 1500, 2)])
    old_codes = ["WK001001", "WK001002", "WK002400", "WK002401"]
    cw = crosswalks.from_fingerprints(None, new, level="wijk", source_year=2020, target_year=2021,
                                    source_codes=old_codes)
    assert cw.links.empty and len(cw.pending) == 3 * 4  # every vanished code of the former municipalities
    old_buurten = pd.DataFrame({
        "code": ["BU00100101", "BU00100202", "BU00100203", "BU00240000", "BU00240001", "BU00240002", "BU00240009",
                 "BU00240100", "BU00240101"],
        "name": ["", "", "", "Loppersum", "Garrelsweer", "Wirdum", "Verspreide huizen", "Stedum", "Westeremden"]})
    new_buurten = pd.DataFrame({
        "code": ["BU19790101", "BU19790202", "BU19790203", "BU19791673", "BU19791674", "BU19791675"],
        "name": ["Centrum-Delfzijl", "Over de Gracht", "Scheepvaartbuurt", "Loppersum", "Garrelsweer", "Wirdum"]})
    for frame in (old_buurten, new_buurten):
        frame["wijk"] = "WK" + frame["code"].str[2:8]
    done = crosswalks.resolve_pending(cw, old_buurten, new_buurten)
    # Centrum by buurt code (0101), although Loppersum's Stedum also has a buurt ..0101: the Dice score tells
    assert relations(done) == {("WK001001", "WK197901"): "renumbered", ("WK001002", "WK197902"): "renumbered",
                               ("WK002400", "WK197916"): "renumbered"}
    assert set(done.links["tier"]) == {"indicator"} and done.links["exact"].all() and done.pending.empty
    assert done.unmatched.empty
    evidence = done.links.set_index("to_code")["evidence"]
    assert "by name" in evidence["WK197916"] and "by code" in evidence["WK197901"]
    # without buurten of both years the code stays unidentified, with CBS's reason
    left = crosswalks.resolve_pending(cw, None, new_buurten)
    assert left.links.empty and set(left.unmatched["cause"]) == {"cbs_code_changed"}


def test_continuity_is_a_dice_score():
    one = pd.DataFrame({"code": ["BU19790101"], "name": [""]})
    four = pd.DataFrame({"code": ["BU00240100", "BU00240101", "BU00240102", "BU00240109"], "name": [""] * 4})
    assert crosswalks.continuity(four, one)[0] == pytest.approx(2 * 1 / 5)  # one shared key is no continuity
    assert crosswalks.continuity(one.assign(code=["BU00100101"]), one)[0] == 1.0


def world(codes_boxes):
    return gpd.GeoDataFrame({"code": [c for c, _ in codes_boxes], "name": [c for c, _ in codes_boxes]},
                            geometry=[box(*b) for _, b in codes_boxes], crs="EPSG:28992")


def test_combine_takes_the_strongest_evidence_per_area():
    """Identical geometry, a hint confirmed by dominant overlap, CBS land area, and estimates for the rest."""
    old = world([("WK076500", (X, Y, X + 1000, Y + 1000)),                   # identical, CBS says changed
                 ("WK076501", (X + 1000, Y, X + 2000, Y + 1000)),            # identical
                 ("WK076502", (X, Y + 1000, X + 1000, Y + 2000)),            # 90 %: coast, land unchanged
                 ("WK076503", (X + 1000, Y + 1000, X + 2000, Y + 2000)),     # 90 %: CBS's indicator says same area
                 ("WK076504", (X, Y + 2000, X + 2000, Y + 3000))])           # split
    new = world([("WK076510", (X, Y, X + 1000, Y + 1000)), ("WK076511", (X + 1000, Y, X + 2000, Y + 1000)),
                 ("WK076512", (X, Y + 1000, X + 1000, Y + 1900)),
                 ("WK076513", (X + 1000, Y + 1000, X + 2000, Y + 1900)),
                 ("WK076514", (X, Y + 1900, X + 1000, Y + 3000)),
                 ("WK076515", (X + 1000, Y + 1900, X + 2000, Y + 3000))])
    hint_links = crosswalks.label(crosswalks.links_frame([
        {"from_code": "WK076503", "to_code": "WK076513", "count_weight": 1.0, "rate_weight": 1.0, "exact": True,
         "tier": "indicator", "evidence": "CBS: code changed, boundary unchanged"},
        {"from_code": "WK076500", "to_code": "WK076510", "count_weight": 1.0, "rate_weight": 1.0, "exact": False,
         "tier": "fingerprint", "evidence": "land 100 -> 90 ha"}]), {}, {})
    hint = crosswalks.Crosswalk("wijk", 2020, 2024, "indicator", hint_links)
    fingerprints = (fp([("WK076502", "A", 100, 500, 200)]), fp([("WK076512", "A", 101, 510, 205)]))
    cw = crosswalks.combine(old, new, level="wijk", source_year=2020, target_year=2024, hint=hint,
                          fingerprints=fingerprints, target_population=pd.Series({"WK076515": 0.0}))
    links = cw.links.set_index(["from_code", "to_code"])
    assert links.loc[("WK076501", "WK076511"), ["relation", "tier"]].tolist() == ["renumbered", "geometry"]
    assert links.loc[("WK076503", "WK076513"), ["relation", "tier"]].tolist() == ["renumbered", "indicator"]
    assert links.loc[("WK076502", "WK076512"), ["relation", "tier"]].tolist() == ["renumbered", "geometry"]
    # identical geometry, but CBS's figures say the boundary changed: an estimate, not the same area
    assert links.loc[("WK076500", "WK076510"), ["relation", "tier"]].tolist() == ["reshaped", "overlap"]
    # the exact pairs keep their whole figure: the 10 % strips of 02 and 03 are not moved into 14 and 15
    assert not links.index.isin([("WK076502", "WK076514"), ("WK076503", "WK076515")]).any()
    assert set(links.loc["WK076504"].index) == {"WK076514", "WK076515"}
    # no count lands where nobody lives: WK076515 has no residents
    assert links.loc[("WK076504", "WK076514"), "count_weight"] == 1.0
    assert links.loc[("WK076504", "WK076515"), "count_weight"] == 0.0
    assert (cw.relation_of()["tier"].loc[["WK076514", "WK076515"]] == "overlap").all()


def test_a_lake_measured_anew_is_no_boundary_change():
    """Schildwolde (WK195213) kept its boundary from 2021 to 2024 while CBS measured the Schildmeer anew: land
    1,721 -> 1,567 ha (9 %), land and water 1,780 ha both years. The total area says the boundary stayed, so the
    identical geometry is the same area, not an estimate; a change of both land and total stays a change."""
    def pair(land, total):
        a, b = fp([("WK195213", "Schildwolde", land[0], 1685, 760)]), fp([("WK195213", "Schildwolde", land[1], 1630,
                                                                            750)])
        a["total_area"], b["total_area"] = total
        return a, b

    lake = crosswalks.from_fingerprints(*pair((1721, 1567), (1780, 1780)), level="wijk", source_year=2021,
                                        target_year=2024)
    assert lake.links[["relation", "exact"]].values.tolist() == [["same", True]]
    assert "land and water 1,780 -> 1,780 ha" in lake.links["evidence"].iloc[0]
    moved = crosswalks.from_fingerprints(*pair((1721, 1567), (1780, 1626)), level="wijk", source_year=2021,
                                         target_year=2024)
    assert moved.links[["relation", "exact"]].values.tolist() == [["reshaped", False]]
    # with both years' geometry: identical boundaries and CBS's word agree, the same area
    square = world([("WK195213", (X, Y, X + 1000, Y + 1000))])
    cw = crosswalks.combine(square, square, level="wijk", source_year=2021, target_year=2024, hint=lake,
                            fingerprints=pair((1721, 1567), (1780, 1780)))
    assert cw.links[["relation", "tier", "exact"]].values.tolist() == [["same", "geometry", True]]
    cw = crosswalks.combine(square, square, level="wijk", source_year=2021, target_year=2024, hint=moved)
    assert cw.links[["relation", "tier"]].values.tolist() == [["reshaped", "overlap"]]


def test_path_prefers_geometry_then_indicator_then_fingerprints():
    def ev(*present):
        return vintages.Evidence("wijk", offline=True, assume=frozenset(present))
    geometry = ev(("boundaries", 2020), ("boundaries", 2024), ("kwb", 2021), ("kwb", 2024))
    assert vintages.path(geometry, 2020, 2024) == [(2020, 2024, "geometry")]
    chain = ev(("kwb", 2021), ("kwb", 2022), ("kwb", 2024), ("boundaries", 2024))
    assert vintages.path(chain, 2020, 2024) == [(2020, 2021, "indicator"), (2021, 2024, "fingerprint")]
    assert vintages.path(ev(("kwb", 2021), ("kwb", 2022), ("boundaries", 2024)), 2020, 2024) is None
    # what would link them: one import each, with its command
    options = vintages.missing(ev(("kwb", 2021), ("kwb", 2022), ("boundaries", 2024)), 2021, 2024)
    assert options == ["the wijk boundaries of 2021 (mgg-geo import boundaries FILE --level wijk --year 2021)",
                       "the Kerncijfers wijken en buurten 2024 (mgg-geo import kwb FILE --year 2024)"]


ORIGIN_CASES = [  # relation, tier, withheld -> label
    ("same", "identity", None, "eigen cijfers"),
    ("renamed", "fingerprint", None, "hernoemd"),
    ("renumbered", "indicator", None, "omgenummerd"),
    ("renumbered", "geometry", None, "omgenummerd"),
    ("split", "overlap", None, "geschat uit overlap"),
    ("merged", "overlap", None, "geschat uit overlap"),
    ("reshaped", "overlap", None, "geschat uit overlap"),
    ("reshaped", "fingerprint", None, "geschat uit kerncijfers"),
    ("split", "fingerprint", None, "geschat uit kerncijfers"),
    ("average", "average", None, "gemiddelde van de voormalige gemeenten"),
    (None, None, None, "geen cijfers"),
    ("renumbered", "indicator", "no_residents", "geen cijfers"),
    ("reshaped", "overlap", "few_residents", "geen cijfers"),
]


@pytest.mark.parametrize(("relation", "tier", "withheld", "expected"), ORIGIN_CASES)
def test_every_relation_has_its_label(relation, tier, withheld, expected):
    from mgg_geo.present import labels

    assert labels.origin_key(relation, tier, withheld) == expected
    assert expected in labels.ORIGINS
    assert set(crosswalks.RELATIONS) <= {r for r, *_ in ORIGIN_CASES}


def test_labels_follow_the_relations_of_a_real_conversion():
    """End to end on a synthetic world: each relation the crosswalk finds gives the label it stands for."""
    from mgg_geo.present import labels

    old = fp([("WK076500", "Wijk 00 Kern", 500, 4000, 1800), ("WK076501", "Wijk 01", 6600, 4800, 2100),
              ("WK076502", "Dorp", 900, 700, 300)])
    new = fp([("WK076500", "Centrum", 505, 4050, 1810), ("WK076510", "Noord", 4700, 4800, 2100),
              ("WK076511", "Haven", 1800, 0, 0), ("WK076512", "Dorp", 1000, 710, 305)])
    cw = crosswalks.from_fingerprints(old, new, level="wijk", source_year=2021, target_year=2024)
    _, prov = conversion.convert(pd.DataFrame({"lonely": [40.0, 45.0, 50.0]}, index=old.index), cw, ["lonely"])
    texts = {c: labels.origin_text(r.relation, r.from_codes, r.tier) for c, r in prov.iterrows()}
    assert texts == {"WK076500": "hernoemd (was WK076500)", "WK076510": "geschat uit kerncijfers (uit WK076501)",
                     "WK076511": "geschat uit kerncijfers (uit WK076501)",
                     "WK076512": "geschat uit kerncijfers (uit WK076502)"}


def test_label_reads_a_groups_first_link_and_every_relation():
    """``label`` by hand: a one-to-one group takes its first link's ``exact`` (read as a truth value, as a missing
    one is not exact), then code and name decide; several sources or targets make a split, a merger or a reshape."""
    links = pd.DataFrame({
        "from_code": ["WK1", "WK1", "WK2", "WK3", "WK4", "WK5", "WK5", "WK6", "WK7", "WK8", "WK8", "WK9"],
        "to_code": ["WK1", "WK1", "WK2", "WK30", "WK4", "WK50", "WK51", "WK60", "WK60", "WK80", "WK81", "WK81"],
        "exact": [None, True, True, True, True, True, True, True, True, True, True, True]})
    names_s = {"WK2": "Wijk 02 Noord", "WK4": "Wijk 04"}
    names_t = {"WK2": "Wijk 02 Zuid", "WK4": "Centrum"}
    out = crosswalks.label(links, names_s, names_t)
    assert out["relation"].tolist() == ["reshaped", "reshaped", "renamed", "renumbered", "same", "split", "split",
                                        "merged", "merged", "reshaped", "reshaped", "reshaped"]
    assert out["exact"].tolist() == [False, False, True, True, True] + [False] * 7
    assert out.groupby("group")["from_code"].nunique().sum() == 9 and out["group"].nunique() == 7

"""Change between vintages: thresholds, comparability, estimates; and the real data on today's areas."""
import pandas as pd
import pytest

from mgg_geo.analysis import trends


def series(values_by_year, basis=None):
    """{year: values} with a basis per code (default ``exact``), e.g. ``basis={2016: {"WK001402": "geometry"}}``."""
    out = {}
    for year, values in values_by_year.items():
        frame = pd.DataFrame(values)
        kinds = (basis or {}).get(year, {})
        out[year] = (frame, pd.Series([kinds.get(c, "exact") for c in frame.index], index=frame.index))
    return out


def test_change_uses_the_latest_two_vintages_and_the_threshold():
    s = series({2012: {"lonely": {"WK001400": 30.0}},
                2016: {"lonely": {"WK001400": 40.0, "WK001401": 40.0, "WK001402": 40.0}},
                2020: {"lonely": {"WK001400": 42.0, "WK001401": 42.1, "WK001402": 37.5}}},
               basis={2016: {"WK001402": "geometry"}, 2020: {"WK001402": "geometry"}})
    out = trends.compare(s, "lonely", "RIVM", threshold=2.0).set_index("code")
    assert (out["first_year"] == 2016).all() and (out["last_year"] == 2020).all()
    assert out["verdict"].to_dict() == {"WK001400": "none", "WK001401": "up", "WK001402": "down"}
    assert out.loc["WK001401", "change"] == pytest.approx(2.1)  # the sign is last minus first
    # both years moved onto today's area by the same overlap: compared, and marked as estimates
    assert out["estimated"].to_dict() == {"WK001400": False, "WK001401": False, "WK001402": True}


def test_a_boundary_change_is_never_a_rise_or_a_fall():
    # Hoogkerk: 12,220 residents in 2022 estimated by CBS's figures alone, 11,335 on the 2024 boundary
    s = series({2022: {"population": {"WK001408": 12220.0, "WK001400": 23065.0, "WK197901": 780.0}},
                2024: {"population": {"WK001408": 11335.0, "WK001400": 24920.0, "WK197901": 805.0}}},
               basis={2022: {"WK001408": "estimate", "WK197901": "average"}})
    out = trends.compare(s, "population", "KWB", threshold=10, share=0.01).set_index("code")
    assert out["verdict"].to_dict() == {"WK001408": "boundary", "WK001400": "up", "WK197901": "not_own"}
    assert not out["estimated"].any()
    # one value own, the other moved by geometry: not the same boundary either
    mixed = series({2016: {"lonely": {"WK001409": 45.4}}, 2020: {"lonely": {"WK001409": 49.8}}},
                   basis={2020: {"WK001409": "geometry"}})
    assert trends.compare(mixed, "lonely", "RIVM", threshold=2.0)["verdict"].tolist() == ["boundary"]
    assert trends.comparable("geometry", "geometry") is None and trends.comparable("exact", "exact") is None


def test_counts_need_both_the_absolute_and_the_relative_threshold():
    s = series({2022: {"population": {"WK001400": 10595.0, "WK001401": 400.0}},
                2024: {"population": {"WK001400": 10660.0, "WK001401": 420.0}}})
    out = trends.compare(s, "population", "KWB", threshold=10, share=0.01).set_index("code")
    assert out["verdict"].to_dict() == {"WK001400": "none", "WK001401": "up"}  # +65 is under 1 %


def test_changed_definitions_and_single_vintages_are_not_compared():
    two = series({2021: {"corporation_share": {"WK001400": 30.0}}, 2024: {"corporation_share": {"WK001400": 40.0}}})
    assert trends.compare(two, "corporation_share", "KWB", threshold=0.5).empty  # housing redefined in 2024
    one = series({2021: {"low_income_share": {"WK001400": 10.0}}})
    assert trends.compare(one, "low_income_share", "KWB", threshold=0.5).empty


@pytest.mark.shared
def test_changes_on_the_shared_data_follow_the_villages(use_imported):
    changes, long = trends.changes(level="wijk", target=2024, offline=True)
    lonely = changes[changes["indicator"] == "lonely"].set_index("code")
    assert (lonely["first_year"] == 2016).all() and (lonely["last_year"] == 2020).all()
    # Bedum (2024 WK196608) is compared with its own 2016 and 2020 figures, those of old WK196600
    assert lonely.loc["WK196608", ["first", "last", "verdict"]].tolist() == [38.9, 42.4, "up"]
    assert not lonely.loc["WK196608", "estimated"]
    # Warffum: both years from its own old wijk WK196608, moved by the same overlap
    assert lonely.loc["WK196609", ["first", "last", "verdict"]].tolist() == [43.3, 44.7, "none"]
    assert lonely.loc["WK196609", "estimated"]
    # Delfzijl-Centrum compares its own figures (no longer the blended Eemsdelta figure that rose everywhere)
    assert lonely.loc["WK197901", ["first", "last", "verdict"]].tolist() == [52.9, 52.7, "none"]
    assert set(lonely.loc[lonely["gemeente_code"] == "GM1979", "verdict"]) != {"up"}
    population = changes[changes["indicator"] == "population"].set_index("code")
    assert (population["first_year"] == 2022).all() and population.loc["WK196608", "verdict"] == "none"
    # Hoogkerk and Nieuw-West: the boundary moved between 2022 and 2024 (land 1,450 -> 1,296 ha and 701 -> 818 ha).
    # Their 2022 wijken are those of 2021 (KWB 2022: CBS's indicator 1), so the 2022 residents are moved onto the
    # 2024 wijken by the overlap of those boundaries, as the 2021 ones are: Hoogkerk 10,873 of its 12,220 of 2022
    # (before: the 12,220 of the old boundary, shown as if on the new one); no fall or rise is stated
    hoogkerk = population.loc["WK001408"]
    assert [round(hoogkerk["first"]), hoogkerk["last"], hoogkerk["verdict"]] == [10873, 11335, "boundary"]
    moved = population.loc[["WK001401", "WK001408", "WK001409"], "first"]
    assert moved.round().tolist() == [20527, 10873, 19576] and moved.sum() == pytest.approx(20250 + 12220 + 18505)
    assert population.loc["WK001409", "verdict"] == population.loc["WK001401", "verdict"] == "boundary"
    assert not population.loc["WK001408", "estimated"]
    basis = long.query("indicator == 'population' and year == 2022").set_index("code")["basis"]
    assert basis[["WK001401", "WK001408", "WK001409"]].tolist() == ["geometry"] * 3
    assert basis.drop(["WK001401", "WK001408", "WK001409"]).eq("exact").all()  # every other wijk: its own figure
    assert not (changes["indicator"] == "low_income_share").any()  # income exists for 2021 only
    assert set(long.query("indicator == 'lonely'")["year"]) == {2012, 2016, 2020}


@pytest.mark.shared
def test_no_trend_of_rates_on_empty_areas(use_imported):
    from mgg_geo.data import areas

    frame = areas.build("wijk", offline=True)
    changes, long = trends.changes(level="wijk", target=2024, offline=True, population=frame.areas["population"],
                                   min_population=100)
    rates = changes[changes["indicator"] != "population"]
    assert not rates["code"].isin(["WK196614", "WK197908", "WK197910"]).any()
    assert not long.query("indicator == 'lonely'")["code"].isin(["WK196614", "WK197908", "WK197910"]).any()

"""Change between vintages: thresholds, comparability, estimates; and the real data on today's areas."""
import pandas as pd
import pytest

from mgg_geo.analysis import trends


def series(values_by_year, estimated_codes=()):
    out = {}
    for year, values in values_by_year.items():
        frame = pd.DataFrame(values)
        out[year] = (frame, pd.Series([c in estimated_codes for c in frame.index], index=frame.index))
    return out


def test_change_uses_the_latest_two_vintages_and_the_threshold():
    s = series({2012: {"lonely": {"WK001400": 30.0}},
                2016: {"lonely": {"WK001400": 40.0, "WK001401": 40.0, "WK001402": 40.0}},
                2020: {"lonely": {"WK001400": 42.0, "WK001401": 42.1, "WK001402": 37.5}}}, estimated_codes={"WK001402"})
    out = trends.compare(s, "lonely", "RIVM", threshold=2.0).set_index("code")
    assert (out["first_year"] == 2016).all() and (out["last_year"] == 2020).all()
    assert out["verdict"].to_dict() == {"WK001400": "none", "WK001401": "up", "WK001402": "down"}
    assert out.loc["WK001401", "change"] == pytest.approx(2.1)  # the sign is last minus first
    assert out["estimated"].to_dict() == {"WK001400": False, "WK001401": False, "WK001402": True}


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
    assert lonely.loc["WK196608", ["first", "last"]].tolist() == [38.9, 42.4]
    assert "WK196609" not in lonely.index  # Warffum: no 2020 figures, so no change either
    assert lonely.loc["WK196611", "estimated"] and not lonely.loc["WK196608", "estimated"]
    population = changes[changes["indicator"] == "population"].set_index("code")
    assert (population["first_year"] == 2022).all() and population.loc["WK196608", "verdict"] == "none"
    assert not (changes["indicator"] == "low_income_share").any()  # income exists for 2021 only
    assert set(long.query("indicator == 'lonely'")["year"]) == {2012, 2016, 2020}

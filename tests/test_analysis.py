"""Need, coverage, gap and what-if: hand-checkable grids, properties, and the real data."""
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from shapely.geometry import Point

from mgg_geo import catalogue, coverage, gap, need
from mgg_geo.errors import DataError
from tests import grid_world as grid

# ---------------------------------------------------------------- coverage on the 5x5 grid


def test_nearest_and_counts_by_hand():
    areas = grid.areas()
    result = coverage.coverage(areas, grid.sites([grid.centre(0, 0)]))
    # centre (0,0) to centre (i,j) is 1 km * sqrt(i^2 + j^2)
    assert result.loc["WK000000", "nearest_km"] == 0.0
    assert result.loc["WK000001", "nearest_km"] == pytest.approx(1.0)
    assert result.loc["WK000006", "nearest_km"] == pytest.approx(np.sqrt(2))
    assert result.loc["WK000024", "nearest_km"] == pytest.approx(np.sqrt(32))
    # within 1 km: (0,0), (0,1), (1,0) -> 3 areas see the site
    assert result["n_1km"].sum() == 3
    # within 3 km: i^2 + j^2 <= 9 -> (0,0..3),(1,0..2),(2,0..2),(3,0) = 4+3+3+1 = 11
    assert result["n_3km"].sum() == 11
    # within 5 km: i^2 + j^2 <= 25 -> all but (4,4); (4,3) and (3,4) lie at exactly 5 km and count
    assert result["n_5km"].sum() == 24


def test_e2sfca_by_hand():
    areas = grid.areas()
    result = coverage.coverage(areas, grid.sites([grid.centre(0, 0)], capacity=[50.0]))
    # weighted demand around the site: zone 0-1 km (W=1): 3 areas; 1-3 km (W=.68): 8 areas; 3-5 km (W=.22): 13 areas
    demand = 100 * (3 * 1.0 + 8 * 0.68 + 13 * 0.22)
    ratio = 50.0 / demand
    assert result.loc["WK000000", "access"] == pytest.approx(ratio)
    assert result.loc["WK000002", "access"] == pytest.approx(0.68 * ratio)  # 2 km
    assert result.loc["WK000004", "access"] == pytest.approx(0.22 * ratio)  # 4 km
    assert result.loc["WK000024", "access"] == 0.0
    # total supply is conserved: sum_i A_i P_i = S (every area with demand is reached by its own weights)
    assert (result["access"] * 100).sum() == pytest.approx(50.0)
    # normalised: population-weighted mean is 1
    assert np.average(result["access_norm"], weights=np.full(25, 100.0)) == pytest.approx(1.0)


def test_area_wide_offer_covers_areas_inside_at_distance_zero():
    areas = grid.areas()
    offer = grid.sites([grid.centre(4, 4)], area_wide=[True], area_code=["GM0000"])
    polygons = pd.Series([areas.geometry.union_all()], index=["GM0000"])
    result = coverage.coverage(areas, offer, offer_areas=polygons)
    assert (result["nearest_km"] == 0).all() and (result["n_1km"] == 1).all()
    with pytest.raises(DataError, match="no polygon for area code GM0000"):
        coverage.coverage(areas, offer)
    # the register carries the polygon itself: only the west column of the grid is inside
    offer["area"] = gpd.GeoSeries([areas.loc[["WK000000", "WK000005", "WK000010", "WK000015", "WK000020"]]
                                   .geometry.union_all()], crs="EPSG:28992")
    inside = coverage.coverage(areas, offer)
    assert (inside["nearest_km"] == 0).sum() == 5 and inside["nearest_km"].isna().sum() == 20


def test_age_filter_keeps_unknown_ranges():
    sites = grid.sites([grid.centre(0, 0)] * 3, age_min=[12, 65, None], age_max=[18, 99, None])
    kept = coverage.select_sites(sites, ages=(0, 24))
    assert kept["name"].tolist() == ["site 0", "site 2"]


def test_wrong_crs_is_refused():
    with pytest.raises(DataError, match="EPSG:28992"):
        coverage.coverage(grid.areas().to_crs(4326), grid.sites([grid.centre(0, 0)]))


# ---------------------------------------------------------------- need index


def _need_frame():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(50, 10, size=(20, len(catalogue.INDICATORS))),
                         columns=[i.key for i in catalogue.INDICATORS], index=[f"A{i:02d}" for i in range(20)])
    return frame


def test_need_index_by_hand_two_areas():
    frame = pd.DataFrame({"low_income_share": [10.0, 20.0], "woz_value": [300.0, 100.0],
                          "lonely": [40.0, 50.0]}, index=["rich", "poor"])
    out = need.need_index(frame, draws=0, min_indicators=3, min_domains=2)
    # z-scores are -1/+1; woz is inverted; domains armoede (+1), wonen (+1), isolement (+1) for 'poor'
    assert out.loc["poor", "need_index"] == pytest.approx(1.0)
    assert out.loc["rich", "need_index"] == pytest.approx(-1.0)
    assert out.loc["poor", "need_rank"] == 1


def test_too_few_indicators_is_flagged_not_scored():
    frame = _need_frame()
    frame.iloc[0, 1:] = np.nan
    out = need.need_index(frame, draws=50)
    assert np.isnan(out.iloc[0]["need_index"]) and out.iloc[0]["need_status"] == "onvoldoende gegevens"
    assert np.isnan(out.iloc[0]["rank_p05"]) and out["need_index"].iloc[1:].notna().all()


def test_share_present_and_renormalised_weights():
    frame = _need_frame()
    frame.loc["A01", ["lonely", "severely_lonely"]] = np.nan  # isolement keeps one_person_share
    out = need.need_index(frame, draws=0)
    assert out.loc["A01", "share_present"] == pytest.approx((len(catalogue.INDICATORS) - 2) / len(catalogue.INDICATORS))


def test_unknown_domain_weight_is_an_error():
    with pytest.raises(DataError, match="Unknown domain"):
        need.normalise_weights({"armoed": 1})


@given(st.dictionaries(st.sampled_from(list(catalogue.DOMAINS)), st.floats(0.01, 100), min_size=1))
def test_property_weights_sum_to_one(weights):
    assert sum(need.normalise_weights(weights).values()) == pytest.approx(1.0)


@hsettings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=6, max_size=6), st.integers(0, 5), st.integers(0, 11))
def test_property_nan_indicator_never_becomes_a_number(values, row, col):
    frame = _need_frame().iloc[:6].copy()
    frame.iloc[:, 0] = values
    frame.iloc[row, :] = np.nan
    out = need.need_index(frame, draws=10)
    assert np.isnan(out.iloc[row]["need_index"]) and np.isnan(out.iloc[row]["rank_median"])


def test_property_same_seed_same_ranks_and_permutation_invariance():
    frame = _need_frame()
    a = need.need_index(frame, draws=200, seed=7)
    b = need.need_index(frame, draws=200, seed=7)
    pd.testing.assert_frame_equal(a, b)
    shuffled = frame.sample(frac=1.0, random_state=3)
    c = need.need_index(shuffled, draws=0).loc[frame.index]
    pd.testing.assert_frame_equal(need.need_index(frame, draws=0), c)


def test_rank_interval_flags_uncertain_areas():
    # two domains pulling opposite ways: an area top in armoede, bottom in wonen swings with the weights
    n = 30
    frame = pd.DataFrame({"low_income_share": np.arange(n, dtype=float), "social_minimum_share": np.arange(n, dtype=float),
                          "corporation_share": np.arange(n, dtype=float)[::-1].copy(),
                          "woz_value": np.arange(n, dtype=float)}, index=[f"A{i}" for i in range(n)])
    out = need.need_index(frame, draws=500, seed=1, min_indicators=3)
    assert out["rank_uncertain"].any()
    assert (out["rank_p05"] <= out["rank_median"]).all() and (out["rank_median"] <= out["rank_p95"]).all()


# ---------------------------------------------------------------- coverage properties


@hsettings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.floats(0.5, 200)), min_size=1, max_size=6),
       st.tuples(st.integers(-2000, 7000), st.integers(-2000, 7000), st.floats(0.5, 200)))
def test_property_adding_a_site_never_lowers_coverage(existing, extra):
    areas = grid.areas()
    pts = [grid.centre(i, j) for i, j, _ in existing]
    before = coverage.coverage(areas, grid.sites(pts, capacity=[c for *_, c in existing]))
    new_pt = Point(grid.X0 + extra[0], grid.Y0 + extra[1])
    after = coverage.coverage(areas, grid.sites(pts + [new_pt], capacity=[c for *_, c in existing] + [extra[2]]))
    assert (after["nearest_km"] <= before["nearest_km"] + 1e-12).all()
    for col in ("n_1km", "n_3km", "n_5km"):
        assert (after[col] >= before[col]).all()
    assert (after["access"] >= before["access"] - 1e-12).all()


def test_property_permuting_rows_changes_nothing():
    areas = grid.areas()
    sites = grid.sites([grid.centre(1, 1), grid.centre(3, 4)], capacity=[10.0, 30.0])
    a = coverage.coverage(areas, sites)
    b = coverage.coverage(areas.sample(frac=1.0, random_state=5), sites.iloc[::-1]).loc[a.index]
    pd.testing.assert_frame_equal(a, b)


# ---------------------------------------------------------------- gap


def test_terciles_ties_share_a_class_and_nan_stays():
    s = pd.Series([0, 0, 0, 0, 1, 2, 3, 4, 5, np.nan])
    classes = gap.terciles(s)
    assert classes.iloc[:4].tolist() == [1.0] * 4 and np.isnan(classes.iloc[-1])
    assert classes.iloc[8] == 3.0


def test_bivariate_classes_and_priority_on_grid():
    areas = grid.areas()
    areas["need_index"] = np.linspace(-1, 1, 25)  # need rises with the code
    sites = grid.sites([grid.centre(4, 4)])  # the site sits in the highest-need corner
    cov = coverage.coverage(areas, sites)
    classes = gap.classify(areas["need_index"], cov["access_norm"])
    frame = areas.join(cov).join(classes)
    assert frame.loc["WK000024", "gap_class"] == "3-3"
    assert frame.loc["WK000000", "gap_class"] == "1-1"
    assert frame.loc["WK000000", "gap_label"] == "Lage behoefte, lage dekking"
    frame["priority"] = gap.priority(frame)
    first = frame.sort_values("priority").iloc[0]
    assert first["gap_class"] == "3-1" or first["need_class"] == 3


def test_what_if_picks_the_best_uncovered_place():
    areas = grid.areas()
    areas["need_index"] = np.nan  # only the top-left corner (4,0) and its neighbours have need
    areas.loc[["WK000020", "WK000015", "WK000021"], "need_index"] = [3.0, 1.0, 2.0]
    sites = grid.sites([grid.centre(0, 4)])  # existing site in the opposite corner
    result = gap.what_if(areas, sites, k=2, distance_m=1000.0)
    # within 1 km of (4,0) lie (4,0), (3,0), (4,1): the only candidate reaching all three weighted areas
    first = result.chosen.iloc[0]
    assert first["code"] == "WK000020" and first["new_population"] == 300.0 and first["areas_reached"] == 3
    assert len(result.chosen) == 1  # after that no weighted area is left uncovered: greedy stops
    assert result.after["population_within"] - result.before["population_within"] == 300.0


# ---------------------------------------------------------------- the real data


@pytest.mark.shared
def test_full_chain_on_shared_data_for_all_municipalities(use_imported, tmp_path):
    from mgg_geo import analysis, regions

    result = analysis.run("wijk", draws=200, offline=True, geocode=False, reference_date="2026-01-01")
    frame = result.areas
    assert len(frame) == 123 and set(frame["gemeente_code"]) == set(regions.MUNICIPALITIES)
    assert frame["need_index"].notna().sum() >= 110
    assert frame["gap_class"].isin([f"{a}-{b}" for a in (1, 2, 3) for b in (1, 2, 3)] + [""]).all()
    assert (frame.groupby("gemeente_code")["priority"].min() == 1).all()
    assert frame.loc["WK001400", "nearest_km"] == 0.0  # wijk Centrum holds initiatives (and KoPPeLing covers GM0014)
    assert "nearest_km__STORM" in frame and "nearest_km__Move aHead" in frame
    assert len(result.whatif.chosen) == 3
    for ext in ("gpkg", "csv", "xlsx"):
        path = analysis.write(result, tmp_path / f"areas.{ext}")
        assert path.exists() and path.stat().st_size > 1000
    import geopandas as gpd
    back = gpd.read_file(tmp_path / "areas.gpkg")
    assert len(back) == 123 and back.crs.to_epsg() == 28992 and "gap_label" in back


def test_what_if_scope_limits_candidates_and_figures():
    areas = grid.areas()
    areas["need_index"] = np.linspace(0, 1, 25)
    scope = np.array([code.endswith(("00", "01", "05", "06")) for code in areas.index])  # a 2x2 corner
    result = gap.what_if(areas, grid.sites([grid.centre(4, 4)]), k=2, distance_m=1000.0, scope=scope)
    assert set(result.chosen["code"]) <= {"WK000000", "WK000001", "WK000005", "WK000006"}
    assert result.before["population_within"] == 0.0  # the only site is far from the corner
    assert result.after["population_within"] == 400.0  # the whole corner (4 areas x 100) is reached
    assert result.after["share_within"] == 1.0

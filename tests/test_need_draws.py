"""The sensitivity draws, vectorised: the same ranks as the per-draw computation they replace, for the same seed."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from mgg_geo.analysis import need
from mgg_geo.data import catalogue


def reference_interval(prep, draws: int, seed: int, ranked: np.ndarray) -> pd.DataFrame:
    """The rank interval as mgg_geo computed it before: one stable sort per draw over an (areas x draws) matrix."""
    ok = np.flatnonzero(ranked)
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(len(prep.domains)), size=draws)
    use_rank = rng.random(draws) < 0.5
    idx = np.empty((len(ok), draws))
    for method, chosen in (("zscore", ~use_rank), ("rank", use_rank)):
        if chosen.any():
            idx[:, chosen] = need._combine(prep.scores[method][ok], prep.present[ok], weights[chosen])
    ranks = np.empty((len(ok), draws), dtype=int)
    for j in range(draws):  # rank 1 = highest; ties in area order (a stable sort)
        order = np.argsort(-np.nan_to_num(idx[:, j], nan=-np.inf), kind="stable")
        ranks[order, j] = np.arange(1, len(ok) + 1)
    p05, med, p95 = np.percentile(ranks, [5, 50, 95], axis=1)
    out = pd.DataFrame(np.nan, index=prep.index, columns=["rank_median", "rank_p05", "rank_p95"])
    out.iloc[ok, 0], out.iloc[ok, 1], out.iloc[ok, 2] = med, p05, p95
    return out


def world(n: int, seed: int, ties: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({i.key: rng.normal(50, 15, n) for i in catalogue.INDICATORS},
                         index=[f"WK{i:06d}" for i in range(n)])
    frame = frame.mask(rng.random(frame.shape) < 0.08)
    if ties:  # whole rows repeated: their index is equal in every draw
        frame.iloc[1::7] = frame.iloc[0::7].iloc[:len(frame.iloc[1::7])].to_numpy()
    return frame


@pytest.mark.parametrize("ties", [False, True])
def test_the_vectorised_draws_give_the_ranks_of_the_per_draw_computation(ties):
    areas = world(600, 3, ties)
    eligible = np.random.default_rng(4).random(len(areas)) > 0.1
    prep = need._prepare(areas, catalogue.INDICATORS, 3, 2)
    ranked = prep.sufficient & eligible
    got = need.rank_interval(prep, draws=400, seed=20231105, ranked=ranked)
    expected = reference_interval(prep, 400, 20231105, ranked)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_exact=True)
    assert got["rank_uncertain"].dtype == bool


@hsettings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), draws=st.integers(1, 30), seed=st.integers(0, 2**16), ties=st.booleans())
def test_the_same_seed_gives_the_same_ranks_on_any_small_world(n, draws, seed, ties):
    areas = world(n, seed, ties)
    prep = need._prepare(areas, catalogue.INDICATORS, 3, 2)
    got = need.rank_interval(prep, draws=draws, seed=seed, ranked=prep.sufficient)
    expected = reference_interval(prep, draws, seed, prep.sufficient)
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_exact=True)


def test_ranks_per_row_break_ties_in_area_order_and_put_missing_last():
    index = np.array([[0.5, 2.0, 0.5, np.nan, 1.0], [np.nan, np.nan, 3.0, 3.0, 3.0]])
    assert need._ranks(index).tolist() == [[3, 1, 4, 5, 2], [4, 5, 1, 2, 3]]

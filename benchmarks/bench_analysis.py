"""Benchmark: need + coverage + gap + 1,000 sensitivity draws at national scale.

A synthetic world of 15,000 square areas (150 x 100 cells of 1.2 km, 300
municipalities of 50 areas) and 1,000 initiatives at random places, with all
need indicators (5 % missing) and a target population. Target: the whole
chain in <= 1 s on the 2-core build machine, with the same ranks as the
per-draw computation for the same seed.

Baselines, timed in the same run:

* coverage: what a user would write without a spatial index, a loop over the
  sites computing each site's distance to all areas with geopandas (nearest
  distance and counts within 1/3/5 km only, so it does less work than the
  real chain);
* sensitivity draws: the former computation, one stable sort per draw over an
  (areas x draws) matrix; its rank intervals must equal the chain's exactly.

And, when the shared data folder is at hand (``settings.SHARED_DATA``), the whole province analysis that every
``mgg-geo analyse`` or first ``mgg-geo reports`` runs (offline, 10 draws, the shared files imported into a
temporary cache), against the same analysis with every cache manifest read and parsed again on each look-up
(as before the cache remembered them; an analysis looks about 400 times), runs interleaved.

Run: ``.venv/bin/python benchmarks/bench_analysis.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from mgg_geo.analysis import coverage, gap, need
from mgg_geo.data import catalogue

N_X, N_Y, CELL = 150, 100, 1200.0
N_SITES = 1000
DRAWS = 1000


def world(seed: int = 1):
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(N_X), np.arange(N_Y))
    xs, ys = xs.ravel(), ys.ravel()
    cells = [box(13_000 + CELL * x, 306_000 + CELL * y, 13_000 + CELL * (x + 1), 306_000 + CELL * (y + 1))
             for x, y in zip(xs, ys, strict=True)]
    codes = [f"BU{i:08d}" for i in range(len(cells))]
    areas = gpd.GeoDataFrame({"code": codes, "gemeente_code": [f"GM{(i // 50):04d}" for i in range(len(cells))],
                              "pop_0_14": rng.integers(0, 800, len(cells)).astype(float),
                              "pop_15_24": rng.integers(0, 600, len(cells)).astype(float),
                              "population": rng.integers(50, 5000, len(cells)).astype(float)},
                             geometry=cells, crs="EPSG:28992").set_index("code")
    for ind in catalogue.INDICATORS:
        values = rng.normal(50, 15, len(cells))
        values[rng.random(len(cells)) < 0.05] = np.nan
        areas[ind.key] = values
    minx, miny, maxx, maxy = areas.total_bounds
    sites = gpd.GeoDataFrame({"name": [f"s{i}" for i in range(N_SITES)], "programme": "STORM",
                              "capacity": rng.integers(10, 500, N_SITES).astype(float), "area_wide": False,
                              "active": True},
                             geometry=gpd.points_from_xy(rng.uniform(minx, maxx, N_SITES),
                                                         rng.uniform(miny, maxy, N_SITES)), crs="EPSG:28992")
    return areas, sites


def chain(areas, sites) -> dict[str, float]:
    t = {}
    t0 = time.perf_counter()
    needs = need.need_index(areas, draws=DRAWS, seed=1)
    t["need + 1,000 draws"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    cov = coverage.coverage(areas, sites)
    t["coverage (nearest, counts, E2SFCA)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    frame = areas.join(needs).join(cov)
    frame["ranked"], frame["unranked"] = gap.ranked(frame)
    frame = frame.join(gap.classify(frame["need_index"], frame["coverage_class"], frame["reach"], frame["ranked"]))
    frame["priority"] = gap.priority(frame)
    t["gap classes + priority"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    return t


def baseline(areas, sites) -> float:
    t0 = time.perf_counter()
    points = areas.geometry.representative_point()
    nearest = np.full(len(areas), np.inf)
    counts = {r: np.zeros(len(areas), int) for r in (1000, 3000, 5000)}
    for site in sites.geometry:
        d = points.distance(site).to_numpy()
        nearest = np.minimum(nearest, d)
        for r in counts:
            counts[r] += d <= r
    return time.perf_counter() - t0


def draws_baseline(areas) -> tuple[float, pd.DataFrame]:
    """The rank interval as computed before the draws were vectorised (same seed), and its time."""
    t0 = time.perf_counter()
    prep = need._prepare(areas, catalogue.INDICATORS, 3, 2)
    ok = np.flatnonzero(prep.sufficient)
    rng = np.random.default_rng(1)
    weights = rng.dirichlet(np.ones(len(prep.domains)), size=DRAWS)
    use_rank = rng.random(DRAWS) < 0.5
    idx = np.empty((len(ok), DRAWS))
    for method, chosen in (("zscore", ~use_rank), ("rank", use_rank)):
        if chosen.any():
            idx[:, chosen] = need._combine(prep.scores[method][ok], prep.present[ok], weights[chosen])
    order = np.argsort(-np.nan_to_num(idx, nan=-np.inf), axis=0, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, len(ok) + 1)[:, None], axis=0)
    p05, med, p95 = np.percentile(ranks, [5, 50, 95], axis=1)
    out = pd.DataFrame(np.nan, index=prep.index, columns=["rank_median", "rank_p05", "rank_p95"])
    out.iloc[ok, 0], out.iloc[ok, 1], out.iloc[ok, 2] = med, p05, p95
    return time.perf_counter() - t0, out


def province(runs: int) -> None:
    """The province analysis on the shared data, and the same with the manifests read on every look-up."""
    import tempfile
    import warnings
    from pathlib import Path

    from mgg_geo import analysis, settings
    from mgg_geo.data import cache, imports

    if not settings.SHARED_DATA.is_dir():
        print(f"\nprovince analysis: skipped (no shared data folder at {settings.SHARED_DATA}; set MGG_SHARED_DATA)")
        return
    params = {"offline": True, "draws": 10, "reference_date": "2026-01-01"}
    saved, remembered = settings.CACHE_DIR, cache._READ_ROOTS
    now, before = [], []
    with tempfile.TemporaryDirectory(prefix="mgg-bench-") as root, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        settings.CACHE_DIR = Path(root)
        try:
            imports.import_shared(settings.SHARED_DATA)
            analysis.run(**params)  # derives and stores the crosswalks, as any first analysis does
            for _ in range(runs):
                for times, kept in ((now, remembered), (before, 0)):
                    cache._READ_ROOTS = kept  # 0: nothing is remembered between look-ups
                    t0 = time.perf_counter()
                    analysis.run(**params)
                    times.append(time.perf_counter() - t0)
        finally:
            settings.CACHE_DIR, cache._READ_ROOTS = saved, remembered
    print(f"\nprovince analysis (shared data, offline, 10 draws), {runs} interleaved runs each:")
    print(f"  manifests remembered: median {statistics.median(now):.2f} s (min {min(now):.2f}, max {max(now):.2f})")
    print(f"  baseline, every manifest read on each look-up: median {statistics.median(before):.2f} s "
          f"(min {min(before):.2f}, max {max(before):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    areas, sites = world()
    chain(areas, sites)  # warm-up (imports, caches)
    runs = [chain(areas, sites) for _ in range(args.runs)]
    base = [baseline(areas, sites) for _ in range(max(1, args.runs // 2))]
    before = [draws_baseline(areas) for _ in range(max(1, args.runs // 2))]
    now = need.need_index(areas, draws=DRAWS, seed=1)
    same = now[before[0][1].columns].equals(before[0][1])
    print(f"world: {len(areas):,} areas x {len(sites):,} sites, {DRAWS:,} Monte Carlo draws, {args.runs} runs\n")
    print(f"{'step':<38}{'median s':>10}{'min s':>10}{'max s':>10}")
    for step in runs[0]:
        values = [r[step] for r in runs]
        print(f"{step:<38}{statistics.median(values):>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
    total = statistics.median(r["total"] for r in runs)
    base_median = statistics.median(base)
    cov_median = statistics.median(r["coverage (nearest, counts, E2SFCA)"] for r in runs)
    print(f"\nareas per second (whole chain): {len(areas) / total:,.0f}")
    print(f"baseline: per-site geopandas distance loop (nearest + counts only): median {base_median:.3f} s "
          f"over {len(base)} runs")
    print(f"coverage vs baseline: {base_median / cov_median:.1f}x faster while also computing E2SFCA")
    before_median = statistics.median(t for t, _ in before)
    print(f"draws baseline: one stable sort per draw (areas x draws), need + draws: median {before_median:.3f} s; "
          f"same rank intervals as the chain for the same seed: {'yes' if same else 'NO'}")
    print(f"target: whole chain <= 1 s with the same ranks -> {'met' if total <= 1 and same else 'NOT met'} "
          f"({total:.2f} s)")
    province(args.runs)


if __name__ == "__main__":
    main()

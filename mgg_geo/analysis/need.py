"""The need index and its sensitivity to the method choices.

Method
------
1. **Orient and standardise** each indicator of :data:`mgg_geo.data.catalogue.INDICATORS`
   within the analysis region: z-score (default) ``z = d * (x - mean) / sd``
   or rank-percentile ``p = d * (rank(x) / n - 0.5) * 2`` (in [-1, 1]), where
   ``d`` is the indicator's direction (+1: higher means more need, -1: less)
   and only present values count.
2. **Domain scores** are the mean of the present standardised indicators of
   each domain (armoede, wonen, isolement, mentale gezondheid, demografie).
3. **Need index** ``N = sum_d w_d S_d / sum_d w_d`` over the domains present;
   weights default to equal and re-normalise over what is present (missing is
   missing, never 0). ``share_present`` is the share of indicators present.
4. Areas with fewer than ``min_indicators`` indicators or ``min_domains``
   domains get no index and are flagged ``onvoldoende gegevens``.
5. **Rank** 1 = highest need, among the *eligible* areas only (e.g. those
   with at least the minimum population; the others keep their index for the
   map but are not ranked).
6. **Leading domain**: the domain with the largest weighted contribution
   ``w_d S_d`` to an area's index, i.e. what drives its need; its **leading
   indicator** is the present indicator of that domain with the highest
   oriented standardised score (the figure that drives the domain).

Sensitivity (OECD/JRC Handbook, Nardo et al. 2008; Saisana et al. 2005)
---------------------------------------------------------------------
``draws`` Monte Carlo draws, seeded: domain weights from a flat Dirichlet and
standardisation drawn from {z-score, rank-percentile}. Each area's median
rank and 5th-95th percentile rank interval are reported; an area whose
interval spans more than half of the ranking is flagged ``uncertain``.

Note: the RIVM health figures are model estimates that partly use income, so
combining them with KWB income counts deprivation twice [inferred; see
domain notes]; the sensitivity analysis shows how much that matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mgg_geo import rules
from mgg_geo.checks import check_choice, check_float, option
from mgg_geo.data import catalogue
from mgg_geo.errors import DataError, ParameterError

METHODS = ("zscore", "rank")
INSUFFICIENT_LABEL = "onvoldoende gegevens"


def check_weights(name: str, value) -> dict[str, float]:
    """Domain weights as a mapping (from a mapping or ``"armoede=2,wonen=1"``); empty: equal weights."""
    if value is None or value == "" or value == {}:
        return {}
    if isinstance(value, str):
        parsed = {}
        for part in value.split(","):
            key, sep, number = part.partition("=")
            if not sep:
                raise ParameterError(f"{option(name)}: {part.strip()!r} is not DOMAIN=NUMBER "
                                     f"(e.g. armoede=2,wonen=1); domains: {', '.join(catalogue.DOMAINS)}.")
            parsed[key.strip()] = check_float(name, number.strip())
        value = parsed
    if not isinstance(value, Mapping):
        raise ParameterError(f"{option(name)}: give a mapping of domain to weight, e.g. {{'armoede': 2}}.")
    unknown = sorted(set(value) - set(catalogue.DOMAINS))
    if unknown:
        raise ParameterError(f"{option(name)}: unknown domain(s) {', '.join(unknown)}; domains are "
                             f"{', '.join(catalogue.DOMAINS)}.")
    weights = {str(k): check_float(name, v) for k, v in value.items()}
    if sum(weights.values()) <= 0:
        raise ParameterError(f"{option(name)}: at least one weight must be above 0.")
    return weights




def normalise_weights(weights: Mapping[str, float] | str | None, domains=tuple(catalogue.DOMAINS)) -> dict[str, float]:
    """Domain weights over ``domains`` that sum to 1 (empty or None: equal); validated by :func:`check_weights`."""
    checked = check_weights("weights", weights)
    if not checked:
        return {d: 1.0 / len(domains) for d in domains}
    full = {d: float(checked.get(d, 0.0)) for d in domains}
    total = sum(full.values())
    if total <= 0:
        raise ParameterError(f"--weights: every domain with a weight above 0 is missing here; domains present: "
                             f"{', '.join(domains)}.")
    return {d: w / total for d, w in full.items()}


def standardise(values: pd.DataFrame, directions: np.ndarray, method: str = "zscore") -> np.ndarray:
    """Oriented standardised scores (areas x indicators); NaN stays NaN.

    Parameters
    ----------
    values
        Indicator values, one column per indicator.
    directions
        +1 or -1 per column.
    method
        ``zscore`` or ``rank`` (rank-percentile scaled to [-1, 1]).
    """
    check_choice("method", method, METHODS)
    x = values.to_numpy(dtype="float64")
    if method == "zscore":
        mean = reference(values, method).to_numpy(dtype="float64")
        sd = values.std(ddof=0).to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (x - mean) / np.where(sd > 0, sd, 1.0)
        z = np.where(np.isnan(x), np.nan, np.where(sd > 0, z, 0.0))
    else:
        ranks = values.rank(method="average", na_option="keep").to_numpy(dtype="float64")
        n = values.notna().sum().to_numpy(dtype="float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            z = ((ranks - 0.5) / np.where(n > 0, n, 1.0) - 0.5) * 2.0
    return z * directions


def reference(values, method: str):
    """The value an indicator is scored against (score 0) over the areas given (NaN skipped): the plain mean over
    the areas for ``zscore``, their median for ``rank``; per column of a frame, or one number for a series."""
    check_choice("method", method, METHODS)
    return values.mean() if method == "zscore" else values.median()


@dataclass(frozen=True)
class _Prepared:
    index: pd.Index
    domains: tuple[str, ...]
    scores: dict[str, np.ndarray]  # method -> areas x domains (NaN where domain absent)
    present: np.ndarray  # areas x domains, bool
    n_indicators: np.ndarray
    sufficient: np.ndarray
    z: dict[str, np.ndarray]  # method -> areas x indicators, oriented (NaN where missing)
    keys: tuple[str, ...]  # indicator keys, the columns of z
    member: np.ndarray  # indicators x domains, 1 where the indicator belongs to the domain


def _prepare(areas: pd.DataFrame, indicators, min_indicators: int, min_domains: int) -> _Prepared:
    keys = [i.key for i in indicators]
    missing = [k for k in keys if k not in areas]
    values = areas.reindex(columns=keys).apply(pd.to_numeric, errors="coerce")
    if missing and len(missing) == len(keys):
        raise DataError(f"None of the need indicators is present (looked for {', '.join(keys)}).")
    directions = np.array([i.direction for i in indicators], dtype="float64")
    domains = tuple(d for d in catalogue.DOMAINS if any(i.domain == d for i in indicators))
    member = np.array([[i.domain == d for d in domains] for i in indicators], dtype="float64")
    present_ind = values.notna().to_numpy()
    n_dom = present_ind.astype("float64") @ member
    present = n_dom > 0
    scores, oriented = {}, {}
    for method in METHODS:
        z = standardise(values, directions, method)
        oriented[method] = z
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[method] = np.where(present, np.nan_to_num(z) @ member / np.where(present, n_dom, 1.0), np.nan)
    n_ind = present_ind.sum(axis=1)
    sufficient = (n_ind >= min_indicators) & (present.sum(axis=1) >= min_domains)
    return _Prepared(areas.index, domains, scores, present, n_ind, sufficient, oriented, tuple(keys), member)


def _combine(scores: np.ndarray, present: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over present domains; ``weights`` is (domains,) or (draws, domains) -> (areas[, draws])."""
    filled = np.nan_to_num(scores)
    mask = present.astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        return (filled @ weights.T) / (mask @ weights.T)


def need_index(areas: pd.DataFrame, *, weights: dict[str, float] | None = None, method: str = "zscore",
               indicators=catalogue.INDICATORS, min_indicators: int = rules.MIN_INDICATORS,
               min_domains: int = rules.MIN_DOMAINS, draws: int = rules.DRAWS, seed: int = rules.SEED,
               eligible: pd.Series | np.ndarray | None = None,
               groups: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """Need index, rank and rank interval for every area.

    Parameters
    ----------
    areas
        One row per area with the indicator columns (see :mod:`mgg_geo.data.areas`).
    weights
        ``{domain: weight}``; None: equal. Re-normalised to sum to 1.
    method
        ``zscore`` (default) or ``rank``.
    min_indicators, min_domains
        Below these, the area is flagged ``onvoldoende gegevens`` and gets no index (default
        :data:`mgg_geo.rules.MIN_INDICATORS`, :data:`mgg_geo.rules.MIN_DOMAINS`).
    draws, seed
        Monte Carlo draws for the rank interval (0: no sensitivity analysis).
    eligible
        Boolean per area: only these are ranked (default: all).
    groups
        A label per area (the municipality) when need classes are taken per group: the rank interval within the
        group too (:func:`rank_interval`).

    Returns
    -------
    pandas.DataFrame
        Same index as ``areas``: ``need_index``, ``need_rank`` (1 = highest,
        eligible areas only), ``need_<domain>`` scores, ``leading_domain``,
        ``indicators_present``, ``share_present``, ``need_insufficient``,
        ``need_status`` (Dutch), ``indicators_missing`` (keys of the absent
        indicators, "; "-separated), ``leading_indicator`` (the indicator that
        drives the leading domain), ``rank_median``, ``rank_p05``,
        ``rank_p95``, ``rank_uncertain`` (with ``groups``: ``group_rank_p05``, ``group_rank_p95``).
    """
    check_choice("method", method, METHODS)
    prep = _prepare(areas, indicators, min_indicators, min_domains)
    w = normalise_weights(weights, prep.domains)
    wvec = np.array([w[d] for d in prep.domains])
    index = np.where(prep.sufficient, _combine(prep.scores[method], prep.present, wvec), np.nan)
    ranked = prep.sufficient & (np.ones(len(index), bool) if eligible is None else np.asarray(eligible, dtype=bool))
    out = pd.DataFrame(index=prep.index)
    out["need_index"] = index
    out["need_rank"] = pd.Series(np.where(ranked, index, np.nan), index=prep.index).rank(ascending=False,
                                                                                       method="min")
    contribution = np.where(prep.present, np.nan_to_num(prep.scores[method]) * wvec, -np.inf)
    lead = np.array(prep.domains, dtype=object)[np.argmax(contribution, axis=1)] if prep.domains else []
    out["leading_domain"] = pd.Series(np.where(prep.sufficient, lead, None), index=prep.index, dtype="string")
    for j, d in enumerate(prep.domains):
        out[f"need_{d}"] = prep.scores[method][:, j]
    out["indicators_present"] = prep.n_indicators
    out["share_present"] = prep.n_indicators / len(indicators)
    patterns, which = np.unique(np.isnan(prep.z[method]), axis=0, return_inverse=True)
    texts = np.array(["; ".join(k for k, m in zip(prep.keys, row, strict=True) if m) for row in patterns] or [""],
                     dtype=object)
    out["indicators_missing"] = texts[which.ravel()] if len(prep.index) else []
    out["leading_indicator"] = pd.Series(leading_indicator(prep, method, out["leading_domain"]), index=prep.index,
                                         dtype="string")
    out["need_insufficient"] = ~prep.sufficient
    out["need_status"] = np.where(prep.sufficient, "", INSUFFICIENT_LABEL)
    out = out.join(rank_interval(prep, draws=draws, seed=seed, ranked=ranked,
                                 groups=None if groups is None else np.asarray(groups, dtype=object)))
    return out


def leading_indicator(prep: _Prepared, method: str, domains: pd.Series) -> np.ndarray:
    """Per area, the present indicator of its leading domain with the highest oriented score (None: no domain)."""
    position = {d: j for j, d in enumerate(prep.domains)}
    lead = np.array([position.get(d, -1) if isinstance(d, str) else -1 for d in domains])
    z = prep.z[method]
    inside = (prep.member.T[np.maximum(lead, 0)] > 0) & (lead >= 0)[:, None] & ~np.isnan(z)
    scored = np.where(inside, z, -np.inf)
    best = np.argmax(scored, axis=1) if scored.size else np.zeros(len(lead), int)
    keys = np.array(prep.keys, dtype=object)
    found = np.isfinite(scored.max(axis=1)) if scored.size else np.zeros(len(lead), bool)
    return np.where(found, keys[best] if len(keys) else None, None)


def rank_interval(prep: _Prepared, *, draws: int, seed: int, ranked: np.ndarray | None = None,
                  groups: np.ndarray | None = None) -> pd.DataFrame:
    """Monte Carlo ranks (among the ``ranked`` areas) over Dirichlet domain weights and standardisation choice.

    All draws at once: the index of every draw and area is one (draws x areas) matrix, ranked row by row on two
    threads (:func:`_ranks`), and the percentiles are taken over the draws. With ``groups`` (a label per area: the
    municipality, when need classes are taken per municipality) also the rank within the area's group in every
    draw, as ``group_rank_p05`` and ``group_rank_p95``: a class per municipality follows that rank, not the
    province's (review: the margins read against the province's ranks flagged 44 of 120 areas wrongly).
    """
    cols = ["rank_median", "rank_p05", "rank_p95", "rank_uncertain"]
    ok = np.flatnonzero(prep.sufficient if ranked is None else ranked)
    out = pd.DataFrame(np.nan, index=prep.index, columns=cols)
    out["rank_uncertain"] = False
    if draws <= 0 or len(ok) == 0:
        return out
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(len(prep.domains)), size=draws)
    use_rank = rng.random(draws) < 0.5
    index = np.empty((draws, len(ok)))
    for method, chosen in (("zscore", ~use_rank), ("rank", use_rank)):
        if chosen.any():
            index[chosen] = _combine(prep.scores[method][ok], prep.present[ok], weights[chosen]).T
    ranks = _ranks(index)
    low, high = rules.RANK_PERCENTILES
    p05, med, p95 = _percentiles(ranks, [low, 50, high])
    out.iloc[ok, 0] = med
    out.iloc[ok, 1] = p05
    out.iloc[ok, 2] = p95
    out.iloc[ok, 3] = (p95 - p05) > rules.UNCERTAIN_SPREAD * len(ok)
    out["rank_uncertain"] = out["rank_uncertain"].astype(bool)
    if groups is not None:
        out["group_rank_p05"] = out["group_rank_p95"] = np.nan
        labels = np.asarray(groups, dtype=object)[ok]
        for label in dict.fromkeys(labels):
            cols_g = np.flatnonzero(labels == label)
            g05, g95 = _percentiles(_ranks(index[:, cols_g]), [low, high])
            out.iloc[ok[cols_g], out.columns.get_loc("group_rank_p05")] = g05
            out.iloc[ok[cols_g], out.columns.get_loc("group_rank_p95")] = g95
    return out


def _ranks(index: np.ndarray, threads: int = 2) -> np.ndarray:
    """Per row of ``index`` (draws x areas): each area's rank, 1 = highest need; a missing index ranks last, and
    ties are ranked in area order (as a stable sort would).

    Each row is sorted with numpy's fast unstable sort; the rare rows that hold a tie are sorted again stably,
    so the ranks are exactly those of a stable sort. Rows are split over ``threads`` threads (numpy sorts
    without holding the GIL).

    >>> _ranks(np.array([[0.5, 2.0, 0.5, np.nan], [3.0, 1.0, 2.0, 4.0]])).tolist()
    [[2, 1, 3, 4], [2, 4, 3, 1]]
    """
    keys = np.where(np.isnan(index), np.inf, -index)

    def rank_rows(rows: slice) -> np.ndarray:
        part = keys[rows]
        order = np.argsort(part, axis=1)
        ordered = np.take_along_axis(part, order, axis=1)
        tied = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
        if tied.any():
            order[tied] = np.argsort(part[tied], axis=1, kind="stable")
        ranks = np.empty(order.shape, dtype=np.int32)
        np.put_along_axis(ranks, order, np.arange(1, part.shape[1] + 1, dtype=np.int32)[None, :], axis=1)
        return ranks

    return np.concatenate(_threaded(rank_rows, len(keys), threads))


def _percentiles(ranks: np.ndarray, q: list[float], threads: int = 2) -> np.ndarray:
    """``np.percentile(ranks, q, axis=0)``, the columns split over ``threads`` threads."""
    parts = _threaded(lambda cols: np.percentile(ranks[:, cols], q, axis=0), ranks.shape[1], threads)
    return np.concatenate(parts, axis=1)


def _threaded(work, n: int, threads: int) -> list:
    """``work(slice)`` for ``threads`` consecutive slices of ``range(n)``, on as many threads, in order."""
    bounds = np.linspace(0, n, max(1, min(threads, n)) + 1).astype(int)
    chunks = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    if len(chunks) == 1:
        return [work(chunks[0])]
    with ThreadPoolExecutor(len(chunks)) as pool:
        return list(pool.map(work, chunks))

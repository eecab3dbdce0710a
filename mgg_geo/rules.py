"""The domain rules of mgg_geo, each defined once.

Every layer (data, supply, analysis, present) reads its rules from here, and
every text a reader sees that states a rule formats it from the constant
(:mod:`mgg_geo.present.fmt`: ``fmt.radius(rules.REACH_M)`` is "3 km"), so a
rule changed here changes the computation and every sentence, legend, tooltip
and export header that names it. ``tests/test_rules.py`` checks that the
values are typed nowhere else. Library code reads the rules a text states at
call time (a default argument is ``None`` and means "the rule"), never a copy
taken at import, so a test can change one rule and see it in every text.

Attributes
----------
REACH_M : float
    The reach of the coverage measure, in metres (straight line): an area's
    coverage ("dekking") is the share of its target population living within
    this distance of a physical site. The what-if and the school choice count
    "newly within reach" with the same distance.
RADII_M : tuple of float
    The radii of the site counts (``n_1km``, ``n_3km``, ``n_5km``: mean number
    of sites within each, as the CBS Nabijheidsstatistiek counts), in metres,
    ascending; also the class bounds of the distance map.
DEFAULT_ZONES : tuple of (float, float)
    The E2SFCA distance-decay zones: ``(upper bound in metres, weight 0-1)``,
    ascending (Luo & Qi 2009); a site farther than the last bound has weight 0.
COVERAGE_BREAKS : tuple of float
    Class bounds of the coverage measure (shares 0-1): under the first
    "laag" (1), under the second "midden" (2), else "hoog" (3).
NEED_QUANTILES : tuple of float
    The quantiles (0-1) that cut the need classes (terciles of the ranked
    areas) and the bounds of the need map (of ``|need_index|``).
TARGET_CLASS : str
    The bivariate class ``"<need>-<coverage>"`` that marks the target cell:
    high need, low coverage.
MIN_POPULATION : float
    Areas with fewer residents (persons) are not ranked and get no rate
    estimated from another indeling: below 100 residents CBS publishes few
    income and household figures (income shares need 100 households).
MAX_MISSING_SHARE : float
    An area with more than this share (0-1) of its need indicators missing
    is flagged "onvolledige gegevens" wherever it is shown.
NEED_WEIGHTS : dict of int to float
    The weight (0-1) of one person of the target group in the what-if, by the
    need class of their area (3 hoog, 2 midden, 1 laag); areas without a need
    class weigh 0.
NEW_SITES : int
    New sites per municipality the what-if proposes by default (count).
MIN_INDICATORS, MIN_DOMAINS : int
    An area with fewer need indicators present (count), or indicators in
    fewer domains (count), gets no need index ("onvoldoende gegevens").
DRAWS : int
    Monte Carlo draws of the rank interval by default (count; 0: none).
MAX_DRAWS : int
    The most draws a run accepts (count): each draw ranks every area of the province, so 99,999,999 draws asked
    for 89 GiB of memory and ended in an internal error.
SEED : int
    The seed of those draws by default (the same seed, the same margins).
RANK_PERCENTILES : tuple of float
    The percentiles (0-100) of the ranks over the draws that bound the rank
    interval ("marge"): it holds the middle 90% of the draws.
UNCERTAIN_SPREAD : float
    A rank is "onzeker" when its interval is wider than this share (0-1) of
    the ranked areas.
NEAR_TIE : float
    A domain whose score (standard deviations; with the rank method, rank
    percentiles scaled to -1..1) is above 0 and this close to the leading
    domain's is named beside it
    ("armoede bijna even hoog"): "vooral" would claim more than the scores.

Examples
--------
>>> REACH_M in RADII_M, COVERAGE_BREAKS[0] < COVERAGE_BREAKS[1], sorted(NEED_WEIGHTS, reverse=True)
(True, True, [3, 2, 1])
"""

from __future__ import annotations

REACH_M: float = 3000.0
RADII_M: tuple[float, ...] = (1000.0, 3000.0, 5000.0)
DEFAULT_ZONES: tuple[tuple[float, float], ...] = tuple(zip(RADII_M, (1.0, 0.68, 0.22), strict=True))
COVERAGE_BREAKS: tuple[float, float] = (1 / 3, 2 / 3)
NEED_QUANTILES: tuple[float, float] = (1 / 3, 2 / 3)
TARGET_CLASS: str = "3-1"
MIN_POPULATION: float = 100.0
MAX_MISSING_SHARE: float = 0.25
NEED_WEIGHTS: dict[int, float] = {3: 1.0, 2: 1 / 5, 1: 1 / 25}
NEW_SITES: int = 3
MIN_INDICATORS: int = 3
MIN_DOMAINS: int = 2
DRAWS: int = 1000
MAX_DRAWS: int = 100_000
SEED: int = 20231105
RANK_PERCENTILES: tuple[float, float] = (5.0, 95.0)
UNCERTAIN_SPREAD: float = 0.5
NEAR_TIE: float = 0.05


def radius_column(metres: float) -> str:
    """The code name of the site count within ``metres``: ``n_3km`` for 3000 m (whole kilometres; ``n_2.5km`` else).

    >>> [radius_column(r) for r in RADII_M]
    ['n_1km', 'n_3km', 'n_5km']
    """
    return f"n_{metres / 1000:g}km"


def count_columns(radii=None) -> list[str]:
    """The code names of the site counts, one per radius of ``radii`` (default :data:`RADII_M`, read now)."""
    return [radius_column(r) for r in (RADII_M if radii is None else radii)]

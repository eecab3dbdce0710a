"""Crosswalks between indelingen: how areas of one boundary year link to those of another, and why.

CBS reuses, renumbers, splits, merges and reshapes areas between years. A
table's codes belong to one **indeling** (boundary year; see
:class:`mgg_geo.data.catalogue.Table`), and figures of one indeling are never
joined to boundaries of another by code alone: they go through a
:class:`Crosswalk`, derived here from one kind of evidence at a time.
:mod:`mgg_geo.data.vintages` plans which evidence to use between two years
and keeps the result; :mod:`mgg_geo.data.conversion` moves figures through it.

Relations
---------
Each group of linked areas (a connected component of from- and to-codes) has
one relation:

``same``, ``renamed``, ``renumbered``
    One area to one area with the same boundary: figures move unchanged, only
    the code or name may differ.
``split``, ``merged``, ``reshaped``
    One to several, several to one, or a changed boundary: figures are
    **estimates**. Counts are divided over the target areas and summed; rates
    (percentages, averages) are weighted by the source areas' residents (or
    area) and inherited by every target of the group.
``average``
    The last resort for an area of a merged municipality that nothing else
    links: the merged municipality's rate (:func:`mgg_geo.data.conversion.fill_from_municipality`).

Where no trustworthy link exists, the figure is missing with a reason that
names the file that would supply the evidence, never another area's figure.

Evidence, strongest first, recorded per area
--------------------------------------------
Every link carries the kind of evidence it rests on (``tier``, the keys of
:data:`EVIDENCE`). An area takes the strongest evidence at hand, and weaker
evidence only fills in what the stronger left open:

1. **Identical geometry** (both years' boundaries overlap one to one, each
   share at least :data:`SAME_SHARE`, or at least :data:`DOMINANT` while CBS's
   own land area is unchanged) or **CBS's change indicator** (KWB
   ``ind_wbi``: 1 code and boundary unchanged; 2 only the code changed, and
   the old code is the one whose buurten continue into the new area, by buurt
   code or name: :func:`resolve_pending`). The link is exact: figures move
   unchanged (``renumbered``, "omgenummerd").
2. **Overlap of both years' geometry** (:func:`from_geometry`): area-weighted
   estimates, with counts kept off target areas without residents.
3. **Fingerprints** (:func:`from_fingerprints`): CBS's own land area,
   residents and households per code in a Kerncijfers table of each indeling.
4. The **merged municipality's average**, only for areas of a municipality
   formed by a merger (:data:`mgg_geo.data.regions.MERGERS`) that nothing
   else links.

A rate is estimated only where the boundary really changed: CBS's indicator
"boundary changed" (3) or a changed area keeps an overlapping pair from
counting as identical (the land area, or the total area of land and water
where both tables give it and it differs less: :func:`_area_share`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo.data import catalogue, regions
from mgg_geo.errors import DataError
from mgg_geo.text import is_missing

#: The relations a link group can have (module docstring).
RELATIONS = ("same", "renamed", "renumbered", "split", "merged", "reshaped", "average")
#: Relations whose figures move unchanged.
EXACT = ("same", "renamed", "renumbered")
#: The kinds of evidence a link rests on, strongest first (README "Indelingen" lists them in this order).
EVIDENCE: dict[str, str] = {
    "identity": "the same indeling: nothing moves",
    "geometry": "identical geometry of both years (or overlapping geometry whose CBS land area is unchanged)",
    "indicator": "CBS's change indicator (ind_wbi), with buurt-code continuity where only the code changed",
    "overlap": "overlap of both years' geometry (an estimate)",
    "fingerprint": "CBS's land area, residents and households per code in a Kerncijfers table of each year",
    "average": "the merged municipality's average (last resort)",
}
#: Rank of each kind of evidence: 0 exact links of tier 1, then estimates, fingerprints, the average.
STRENGTH: dict[str, int] = {"identity": 0, "geometry": 0, "indicator": 0, "overlap": 1, "fingerprint": 2,
                            "average": 3}

#: Land area may differ this much (share of the larger) and still be "the same boundary": CBS moves its
#: land/water line and corrects cadastral edges every year (1-3 % is common, e.g. Westerbroek 2021-2024).
LAND_TOLERANCE = 0.03
#: Up to this land-area difference a one-to-one link is kept as "reshaped" (an estimate), e.g. Groningen
#: Nieuw-West gained 14 % land from Hoogkerk between 2021 and 2024.
LAND_TOLERANCE_RESHAPED = 0.15
#: Absolute slack for small areas (ha): a 30 ha wijk may change by 20 ha of water or verge.
LAND_SLACK_HA = 20.0
#: Residents and households may grow or shrink by this factor and still match (new-build districts:
#: Meerstad grew from 2,595 to 4,390 residents between 2021 and 2024 within the same boundary).
POPULATION_FACTOR = 1.8
#: Absolute slack (persons, households) for areas with few residents.
POPULATION_SLACK = 25.0
#: Cost bonus for a pair that keeps its code, and for a pair with the same informative name: both are
#: evidence, never sufficient on their own (Het Hogeland reused WK196602 for another village).
SAME_CODE_BONUS = 0.1
SAME_NAME_BONUS = 0.2
#: A pair is ambiguous when forbidding it costs the best overall assignment less than this.
AMBIGUITY_MARGIN = 0.05
#: Geometry: intersections under this share of both areas are generalisation slivers, not links.
SLIVER = 0.02
#: Geometry: a one-to-one link whose shares both reach this is "the same boundary".
SAME_SHARE = 0.97
#: Geometry: a pair whose shares both reach this is the same area when other evidence (CBS's land area, or
#: its change indicator) says the boundary did not change; the rest is generalisation (coastline, islands).
DOMINANT = 0.85
#: Buurt continuity: the Dice coefficient of continuing buurten must reach this (:func:`continuity`).
CONTINUITY = 0.5

LINK_COLUMNS = ["from_code", "to_code", "count_weight", "rate_weight", "exact", "tier", "evidence"]
UNMATCHED_COLUMNS = ["code", "side", "name", "reason", "cause"]
#: Why a code has no link, for readers (worded in Dutch by the presentation layer).
CAUSES = {
    "cbs_code_changed": "CBS changed the code since the source year and no buurten of both years identify the old one",
    "cbs_boundary_changed": "CBS changed the boundary since the source year and no geometry or figures of that "
                            "year can split it",
    "no_match": "no area of the other year has a matching land area and population",
    "no_source_figures": "no figures per area of the source year to match it with",
    "no_overlap": "no area of the other year overlaps it",
    "no_evidence": "neither boundaries nor Kerncijfers of the source year are at hand",
    "merged_municipality": "its municipality merged; only the municipality as a whole is used",
    "not_linked": "no area of the other year links to it",
    "no_residents": "the area has no residents: no rate is moved onto it",
    "few_residents": "the area has fewer residents than the minimum: no estimated rate is moved onto it",
}


@dataclass
class Crosswalk:
    """Links between the codes of two indelingen at one level.

    Attributes
    ----------
    level
        gemeente, wijk or buurt.
    source, target
        The indelingen (boundary years) of the figures and of the boundaries.
    method
        How it was derived: identity, geometry, indicator, fingerprint, or a
        chain of hops such as ``indicator+geometry``.
    links
        One row per link: ``from_code``, ``to_code``, ``count_weight`` (share
        of the source's count going to the target; sums to 1 per source),
        ``rate_weight`` (share of the target's rate coming from the source;
        sums to 1 per target), ``exact`` (the figure moves unchanged),
        ``tier`` (the kind of evidence, :data:`EVIDENCE`), ``evidence`` (the
        figures that support the link), and after :func:`label`: ``group``
        and ``relation``.
    unmatched
        Codes without a trustworthy link: ``code``, ``side`` (from or to),
        ``name``, ``reason`` (English, for analysts, naming what would supply
        the evidence) and ``cause`` (a key of :data:`CAUSES`).
    source_names, target_names
        ``{code: name}`` of each side, where known (one code can name two
        different areas in two years).
    inputs
        The cache entries it was derived from (name and sha256), for the manifest.
    pending
        Links that CBS's indicator asserts (code changed, boundary unchanged)
        but whose old code is still to be identified by buurt continuity
        (:func:`resolve_pending`); empty in every finished crosswalk.
    """

    level: str
    source: int
    target: int
    method: str
    links: pd.DataFrame
    unmatched: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNMATCHED_COLUMNS))
    source_names: dict[str, str] = field(default_factory=dict)
    target_names: dict[str, str] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    pending: pd.DataFrame = field(default_factory=lambda: links_frame([]))

    def relation_of(self) -> pd.DataFrame:
        """Per target code: ``relation``, ``from_codes`` (comma-separated), ``exact``, ``tier`` (the weakest
        evidence of its links) and ``evidence``."""
        if self.links.empty:
            return pd.DataFrame(columns=["relation", "from_codes", "exact", "tier", "evidence"])
        grouped = self.links.groupby("to_code")
        return pd.DataFrame({
            "relation": grouped["relation"].first(),
            "from_codes": grouped["from_code"].agg(lambda c: ", ".join(sorted(set(c)))),
            "exact": grouped["exact"].all() & (grouped.size() == 1),
            "tier": grouped["tier"].agg(weakest),
            "evidence": grouped["evidence"].agg(lambda e: " + ".join(dict.fromkeys(e))),
        })

    def table(self, municipality: str | None = None) -> pd.DataFrame:
        """The crosswalk as a readable table (one row per link, then every unmatched code)."""
        links = self.links.assign(from_name=self.links["from_code"].map(self.source_names),
                                  to_name=self.links["to_code"].map(self.target_names))
        rows = links[["from_code", "from_name", "to_code", "to_name", "relation", "tier", "count_weight",
                      "rate_weight", "evidence"]]
        missing = self.unmatched.assign(
            from_code=np.where(self.unmatched["side"] == "from", self.unmatched["code"], ""),
            to_code=np.where(self.unmatched["side"] == "to", self.unmatched["code"], ""),
            from_name=np.where(self.unmatched["side"] == "from", self.unmatched["name"], ""),
            to_name=np.where(self.unmatched["side"] == "to", self.unmatched["name"], ""),
            relation="missing", tier="", count_weight=np.nan, rate_weight=np.nan, evidence=self.unmatched["reason"])
        out = pd.concat([rows, missing[rows.columns]], ignore_index=True)
        if municipality is not None:
            gm = [municipality] + regions.predecessors(municipality, self.source, self.target)
            code = out["to_code"].where(out["to_code"] != "", out["from_code"])
            out = out[code.map(lambda c: regions.municipality_of(c) in gm if regions.is_area_code(c) else False)]
        return out.reset_index(drop=True)


def weakest(tiers) -> str:
    """The weakest kind of evidence among ``tiers`` (see :data:`STRENGTH`)."""
    tiers = [t for t in tiers if isinstance(t, str)]
    return max(tiers, key=lambda t: STRENGTH.get(t, 9)) if tiers else ""


# --------------------------------------------------------------------------- names


def name_key(name: object) -> str:
    """A name folded for comparison; CBS's numbering prefixes ("Wijk 05 ...") carry no name and are dropped.

    Examples
    --------
    >>> name_key("Wijk 00 Veendam-kern"), name_key("Wijk 05")
    ('veendam kern', '')
    """
    if is_missing(name):
        return ""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"^(wijk|buurt)\s*\d+\s*", "", text.strip())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


# --------------------------------------------------------------------------- labelling


def label(links: pd.DataFrame, source_names: dict[str, str], target_names: dict[str, str]) -> pd.DataFrame:
    """Add ``group`` and ``relation`` to links (see the module docstring for the relations)."""
    links = links.reset_index(drop=True).copy()
    if links.empty:
        return links.assign(group=pd.Series(dtype="int64"), relation=pd.Series(dtype="object"))
    froms = pd.Index(sorted(set(links["from_code"])))
    tos = pd.Index(sorted(set(links["to_code"])))
    i = froms.get_indexer(links["from_code"])
    j = tos.get_indexer(links["to_code"]) + len(froms)
    n = len(froms) + len(tos)
    from scipy import sparse  # here, not on top: report kernels need no scipy
    from scipy.sparse.csgraph import connected_components

    graph = sparse.coo_matrix((np.ones(len(links)), (i, j)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    links["group"] = component[i]
    groups = links.assign(exact=links["exact"].map(bool)).groupby("group", sort=False)
    n_from = groups["from_code"].transform("nunique").to_numpy()
    n_to = groups["to_code"].transform("nunique").to_numpy()
    one = (n_from == 1) & (n_to == 1)  # a one-to-one group: its first link decides whether it is exact
    exact = groups["exact"].transform("first").to_numpy()
    keys_from = links["from_code"].map({c: name_key(source_names.get(c)) for c in froms}).to_numpy()
    keys_to = links["to_code"].map({c: name_key(target_names.get(c)) for c in tos}).to_numpy()
    renamed = (keys_from != "") & (keys_to != "") & (keys_from != keys_to)
    renumbered = (links["from_code"] != links["to_code"]).to_numpy()
    relation = np.select([one & ~exact, one & renumbered, one & renamed, one, n_from == 1, n_to == 1],
                         ["reshaped", "renumbered", "renamed", "same", "split", "merged"], default="reshaped")
    links["relation"] = pd.Series(relation.tolist(), index=links.index)
    links.loc[~links["relation"].isin(EXACT), "exact"] = False
    return links


def links_frame(rows: list[dict]) -> pd.DataFrame:
    """Links (dicts of :data:`LINK_COLUMNS`) as a table with the link columns' types."""
    frame = pd.DataFrame(rows, columns=LINK_COLUMNS)
    return frame.astype({"count_weight": "float64", "rate_weight": "float64", "exact": "bool",
                         "tier": "object", "evidence": "object"})


def unmatched_frame(rows: list[dict]) -> pd.DataFrame:
    """Areas a crosswalk could not link (dicts of :data:`UNMATCHED_COLUMNS`) as a table."""
    return pd.DataFrame(rows, columns=UNMATCHED_COLUMNS)


def identity(level: str, year: int, codes, names: dict[str, str] | None = None) -> Crosswalk:
    """The crosswalk of an indeling onto itself: every code to itself, ``same``."""
    rows = [{"from_code": c, "to_code": c, "count_weight": 1.0, "rate_weight": 1.0, "exact": True,
             "tier": "identity", "evidence": f"same indeling ({year})"} for c in sorted(set(codes))]
    names = dict(names or {})
    return Crosswalk(level, year, year, "identity", label(links_frame(rows), names, names), source_names=names,
                     target_names=names)


# --------------------------------------------------------------------------- geometry


def overlay(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame) -> pd.DataFrame:
    """Intersections of two years' boundaries (EPSG:28992): one row per (from, to) pair.

    Returns ``from_code``, ``to_code``, ``area`` (m²), ``share_from`` (share of
    the source area) and ``share_to`` (share of the target area); pieces under
    :data:`SLIVER` of both areas (generalisation noise) are dropped.
    """
    src, dst = _as_frame(source, "source"), _as_frame(target, "target")
    for frame, what in ((src, "source"), (dst, "target")):
        if frame.crs is None or frame.crs.to_epsg() != 28992:
            raise DataError(f"{what} boundaries must be in EPSG:28992 (got {frame.crs}).")
    pieces = gpd.overlay(src[["code", "geometry"]].rename(columns={"code": "from_code"}),
                         dst[["code", "geometry"]].rename(columns={"code": "to_code"}),
                         how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.geometry.area
    area_from = src.set_index("code").geometry.area
    area_to = dst.set_index("code").geometry.area
    pieces["share_from"] = pieces["area"] / pieces["from_code"].map(area_from)
    pieces["share_to"] = pieces["area"] / pieces["to_code"].map(area_to)
    pieces = pd.DataFrame(pieces.drop(columns="geometry"))
    pieces = pieces.groupby(["from_code", "to_code"], as_index=False)[["area", "share_from", "share_to"]].sum()
    return pieces[(pieces["share_from"] >= SLIVER) | (pieces["share_to"] >= SLIVER)].reset_index(drop=True)


def _overlap_text(f: str, t: str, share_from: float, share_to: float) -> str:
    return f"overlap {100 * share_from:.0f} % of {f} / {100 * share_to:.0f} % of {t}"


def overlap_links(pieces: pd.DataFrame, *, population: pd.Series | None = None,
                  target_population: pd.Series | None = None) -> list[dict]:
    """Estimated links from intersections (:func:`overlay`), tier ``overlap``.

    ``count_weight`` is the source's area share, kept off target areas whose
    ``target_population`` is 0 (a count never lands where nobody lives) and
    normalised per source; ``rate_weight`` follows the residents of each
    piece, ``P_source · count_weight``, where every source of the target has a
    known ``population``, else the target's area share.
    """
    if pieces.empty:
        return []
    pieces = pieces.copy()
    weight = pieces["share_from"].copy()
    if target_population is not None:
        empty = pieces["to_code"].map(target_population).fillna(1.0).to_numpy() <= 0
        masked = weight.where(~empty, 0.0)
        by_source = masked.groupby(pieces["from_code"]).transform("sum")
        weight = masked.where(by_source > 0, weight)
    pieces["count_weight"] = weight / weight.groupby(pieces["from_code"]).transform("sum")
    residents = pieces["from_code"].map(population) * pieces["count_weight"] if population is not None \
        else pd.Series(np.nan, index=pieces.index)
    usable = residents.groupby(pieces["to_code"]).transform(lambda w: bool(w.notna().all() and w.sum() > 0))
    rate = residents.where(usable.astype(bool), pieces["share_to"])
    pieces["rate_weight"] = rate / rate.groupby(pieces["to_code"]).transform("sum")
    return [{"from_code": r.from_code, "to_code": r.to_code, "count_weight": float(r.count_weight),
             "rate_weight": float(r.rate_weight), "exact": False, "tier": "overlap",
             "evidence": _overlap_text(r.from_code, r.to_code, r.share_from, r.share_to)}
            for r in pieces.itertuples()]


def from_geometry(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, *, level: str, source_year: int,
                  target_year: int, population: pd.Series | None = None,
                  target_population: pd.Series | None = None) -> Crosswalk:
    """Crosswalk by overlaying two years' boundaries (EPSG:28992), geometry alone.

    Parameters
    ----------
    source, target
        Boundaries with ``code`` (index or column), ``name`` and polygon
        geometry, in EPSG:28992 (areas in m²).
    population, target_population
        Residents per source and per target code, where known (see
        :func:`overlap_links`).

    Notes
    -----
    A one-to-one pair whose shares both reach :data:`SAME_SHARE` is exact
    (tier ``geometry``); every other intersection is an estimate (tier
    ``overlap``). :func:`combine` adds CBS's indicator and land area.
    """
    return combine(source, target, level=level, source_year=source_year, target_year=target_year,
                   population=population, target_population=target_population)


def combine(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, *, level: str, source_year: int,
            target_year: int, hint: Crosswalk | None = None, fingerprints: tuple | None = None,
            population: pd.Series | None = None, target_population: pd.Series | None = None) -> Crosswalk:
    """One hop between two years whose boundaries are both at hand: geometry checked against other evidence.

    Strongest first, per area:

    1. exact links of ``hint`` (CBS's indicator or fingerprints between the
       same years) that the geometry confirms: both shares at least
       :data:`DOMINANT`;
    2. pairs of identical geometry (one to one, both shares at least
       :data:`SAME_SHARE`) unless ``hint`` says the boundary changed (CBS
       indicator 3, or a fingerprint estimate);
    3. pairs whose shares reach :data:`DOMINANT` and whose CBS land area
       (``fingerprints``: the :func:`fingerprint_frame` of both years) agrees
       within :data:`LAND_TOLERANCE`;
    4. every other intersection among the codes left: an estimate
       (:func:`overlap_links`).
    """
    src, dst = _as_frame(source, "source"), _as_frame(target, "target")
    pieces = overlay(src, dst)
    names_s, names_t = _names(src), _names(dst)
    share = {(r.from_code, r.to_code): (r.share_from, r.share_to) for r in pieces.itertuples()}
    one_from = pieces.groupby("from_code")["to_code"].transform("size") == 1
    one_to = pieces.groupby("to_code")["from_code"].transform("size") == 1
    rows: list[dict] = []
    taken_from: set[str] = set()
    taken_to: set[str] = set()

    def dominant(f: str, t: str) -> bool:
        sf, st = share.get((f, t), (0.0, 0.0))
        return sf >= DOMINANT and st >= DOMINANT

    def accept(f: str, t: str, tier: str, evidence: str) -> None:
        rows.append({"from_code": f, "to_code": t, "count_weight": 1.0, "rate_weight": 1.0, "exact": True,
                     "tier": tier, "evidence": evidence})
        taken_from.add(f)
        taken_to.add(t)

    changed_from: set[str] = set()
    changed_to: set[str] = set()
    if hint is not None:
        for r in hint.links[hint.links["exact"]].itertuples():
            if r.from_code not in taken_from and r.to_code not in taken_to and dominant(r.from_code, r.to_code):
                accept(r.from_code, r.to_code, "indicator" if r.tier == "indicator" else "geometry",
                       f"{r.evidence}; {_overlap_text(r.from_code, r.to_code, *share[(r.from_code, r.to_code)])}")
        estimated = hint.links[~hint.links["exact"]]
        changed_from |= set(estimated["from_code"])
        changed_to |= set(estimated["to_code"])
        lost = hint.unmatched[(hint.unmatched["side"] == "to") & (hint.unmatched["cause"] == "cbs_boundary_changed")]
        changed_to |= set(lost["code"])
    identical = pieces[one_from & one_to & (pieces["share_from"] >= SAME_SHARE) & (pieces["share_to"] >= SAME_SHARE)]
    for r in identical.itertuples():
        if r.from_code in taken_from or r.to_code in taken_to or r.from_code in changed_from \
                or r.to_code in changed_to:
            continue
        accept(r.from_code, r.to_code, "geometry", _overlap_text(r.from_code, r.to_code, r.share_from, r.share_to))
    if fingerprints is not None:
        fp_s, fp_t = fingerprints
        for r in pieces.itertuples():
            f, t = r.from_code, r.to_code
            if f in taken_from or t in taken_to or not dominant(f, t) or f not in fp_s.index or t not in fp_t.index:
                continue
            if _verdict(fp_s.loc[f], fp_t.loc[t]) == "exact":
                accept(f, t, "geometry", f"{_overlap_text(f, t, r.share_from, r.share_to)}; CBS "
                                         f"{_describe(fp_s.loc[f], fp_t.loc[t])}")
    rest = pieces[~pieces["from_code"].isin(taken_from) & ~pieces["to_code"].isin(taken_to)]
    rows += overlap_links(rest, population=population, target_population=target_population)
    linked_from = taken_from | set(rest["from_code"])
    linked_to = taken_to | set(rest["to_code"])
    unmatched = [{"code": c, "side": "from", "name": names_s.get(c, ""), "cause": "no_overlap",
                  "reason": f"no {target_year} {level} overlaps it"}
                 for c in sorted(set(src["code"]) - linked_from)]
    unmatched += [{"code": c, "side": "to", "name": names_t.get(c, ""), "cause": "no_overlap",
                   "reason": f"no {source_year} {level} overlaps it"}
                  for c in sorted(set(dst["code"]) - linked_to)]
    links = label(links_frame(rows), names_s, names_t)
    return Crosswalk(level, source_year, target_year, "geometry", links, unmatched_frame(unmatched), names_s, names_t)


def _names(frame: pd.DataFrame) -> dict[str, str]:
    if "name" not in frame:
        return {}
    named = frame.set_index("code")["name"] if "code" in frame.columns else frame["name"]
    return named.dropna().astype(str).to_dict()


def _as_frame(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if "code" not in frame.columns:
        frame = frame.reset_index()
    if "code" not in frame.columns:
        raise DataError(f"{what} boundaries need a 'code' column or index.")
    return frame


# --------------------------------------------------------------------------- fingerprints


def _ratio_ok(a: float, b: float, factor: float, slack: float) -> bool:
    if np.isnan(a) or np.isnan(b):
        return True  # unknown is no evidence against (the land area always counts)
    lo, hi = sorted((a + slack, b + slack))
    return hi <= factor * lo


def _land_share(a: float, b: float) -> float:
    """Relative land-area difference, with :data:`LAND_SLACK_HA` for small areas (0: equal)."""
    if np.isnan(a) or np.isnan(b):
        return np.inf
    diff = abs(a - b)
    return 0.0 if diff <= LAND_SLACK_HA else diff / max(a, b)


def _cost(src: pd.DataFrame, dst: pd.DataFrame) -> np.ndarray:
    """Dissimilarity of every source/target pair: summed |log ratios| of land area, residents, households."""
    cost = np.zeros((len(src), len(dst)))
    for column, slack in (("land_area", LAND_SLACK_HA), ("population", POPULATION_SLACK),
                          ("households", POPULATION_SLACK)):
        a = src[column].to_numpy(dtype="float64")[:, None] + slack
        b = dst[column].to_numpy(dtype="float64")[None, :] + slack
        term = np.abs(np.log(b / a))
        cost += np.where(np.isnan(term), 0.0, term)
    same_name = np.array([[bool(name_key(x)) and name_key(x) == name_key(y) for y in dst["name"]]
                          for x in src["name"]], dtype=bool).reshape(len(src), len(dst))
    same_code = np.asarray(src.index)[:, None] == np.asarray(dst.index)[None, :]
    return cost - SAME_NAME_BONUS * same_name - SAME_CODE_BONUS * same_code


def _assign(cost: np.ndarray) -> list[tuple[int, int, float]]:
    """Optimal one-to-one pairs with, per pair, how much the best total rises when that pair is forbidden."""
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(cost)
    base = cost[rows, cols].sum()
    out = []
    for i, j in zip(rows, cols, strict=True):
        forbidden = cost.copy()
        forbidden[i, j] = 1e6
        r2, c2 = linear_sum_assignment(forbidden)
        out.append((int(i), int(j), float(forbidden[r2, c2].sum() - base)))
    return out


def _area_share(a: pd.Series, b: pd.Series) -> float:
    """:func:`_land_share` of the land area, or of the total area (land and water) where both fingerprints have it
    and it differs less: a boundary that moves changes both, while CBS redraws its land/water line (a lake measured
    anew) without moving a boundary."""
    land = _land_share(a["land_area"], b["land_area"])
    total = _land_share(a.get("total_area", np.nan), b.get("total_area", np.nan))
    return min(land, total)


def _verdict(a: pd.Series, b: pd.Series) -> str | None:
    """``exact``, ``reshaped`` or None: do two fingerprints describe the same area? The area (:func:`_area_share`)
    within :data:`LAND_TOLERANCE` or :data:`LAND_TOLERANCE_RESHAPED`, residents and households within
    :data:`POPULATION_FACTOR`."""
    area = _area_share(a, b)
    people = _ratio_ok(a["population"], b["population"], POPULATION_FACTOR, POPULATION_SLACK) and \
        _ratio_ok(a["households"], b["households"], POPULATION_FACTOR, POPULATION_SLACK)
    if not people:
        return None
    if area <= LAND_TOLERANCE:
        return "exact"
    return "reshaped" if area <= LAND_TOLERANCE_RESHAPED else None


def _describe(a: pd.Series, b: pd.Series) -> str:
    def fmt(v):
        return "?" if np.isnan(v) else f"{v:,.0f}"
    total = "" if pd.isna(a.get("total_area")) or pd.isna(b.get("total_area")) else \
        f" (land and water {fmt(a['total_area'])} -> {fmt(b['total_area'])} ha)"
    return (f"land {fmt(a['land_area'])} -> {fmt(b['land_area'])} ha{total}, residents {fmt(a['population'])} -> "
            f"{fmt(b['population'])}")


def fingerprint_frame(frame: pd.DataFrame, level: str, names: dict[str, str] | None = None) -> pd.DataFrame:
    """The fingerprint columns of a tidy KWB table at ``level`` (index: code).

    ``names`` (e.g. from the boundaries of the same year) fill names the table lacks.
    """
    rows = frame[frame["level"] == level].drop_duplicates("code").set_index("code")
    out = pd.DataFrame(index=rows.index)
    out["name"] = rows["name"] if "name" in rows else pd.NA
    if names:
        out["name"] = out["name"].fillna(pd.Series(names).reindex(out.index))
    out["gemeente_code"] = rows["gemeente_code"]
    for column in catalogue.FINGERPRINT_CONCEPTS + ("boundary_change",):
        out[column] = pd.to_numeric(rows[column], errors="coerce") if column in rows else np.nan
    return out


def from_fingerprints(source: pd.DataFrame | None, target: pd.DataFrame, *, level: str, source_year: int,
                      target_year: int, indicator: bool = True, source_codes=()) -> Crosswalk:
    """Crosswalk from CBS's own per-code figures in a Kerncijfers table of each indeling.

    Parameters
    ----------
    source, target
        :func:`fingerprint_frame` of a KWB table in the source and the target
        indeling (index: code; ``name``, ``gemeente_code``, ``land_area`` in
        ha, ``population``, ``households``, ``boundary_change``). ``source``
        may be None when no table of the source indeling is at hand: then only
        CBS's change indicator can link codes.
    indicator
        Use the target table's ``boundary_change`` (CBS: 1 code and boundary
        unchanged, 2 code changed but boundary unchanged, 3 boundary changed
        since the year before) when ``target_year == source_year + 1``.
    source_codes
        The codes known in the source year (e.g. of the table to convert):
        where a code changed but its boundary did not (indicator 2) and no
        fingerprints of the source year exist, the vanished codes of the same
        former municipalities are its candidates, kept in
        :attr:`Crosswalk.pending` until :func:`resolve_pending` identifies the
        old code by its buurten.

    Notes
    -----
    Within each municipality of the target indeling (and the municipalities
    that merged into it, :func:`mgg_geo.data.regions.predecessors`):

    1. Codes CBS declares unchanged since ``source_year`` (indicator 1) link
       to themselves.
    2. The other codes are paired one to one by an optimal assignment
       (``scipy.optimize.linear_sum_assignment``) on the summed absolute log
       ratios of land area, residents and households, less
       :data:`SAME_CODE_BONUS` for an unchanged code and
       :data:`SAME_NAME_BONUS` for the same informative name. A pair is kept
       when the residents and households agree within a factor
       :data:`POPULATION_FACTOR` and the land area within
       :data:`LAND_TOLERANCE` (exact) or :data:`LAND_TOLERANCE_RESHAPED`
       (reshaped), and the pair is not ambiguous: forbidding it must raise the
       best total cost by at least :data:`AMBIGUITY_MARGIN`.
    3. What is left on both sides forms one group (split, merged or
       reshaped) when its totals agree within the reshaped tolerances.

    **Population alone is not enough**: neighbouring villages can have nearly
    equal populations. Het Hogeland's old WK196610 had 3,215 residents in
    2021, exactly as many as Ulrum (WK196601) in 2022, but 3,657 ha of land
    against Ulrum's 6,585 ha: by land area it is Leens (3,669 ha). Land area
    alone is not enough either: old WK196612 and new WK196612 (Uithuizen)
    differ by 2 % in land but have 1,430 and 5,470 residents.
    """
    if source is None:
        source = pd.DataFrame(columns=target.columns).astype({c: "float64" for c in catalogue.FINGERPRINT_CONCEPTS
                                                               if c in target.columns})
    names_s, names_t = _names(source), _names(target)
    use_indicator = indicator and target_year == source_year + 1 and target["boundary_change"].notna().any()
    known = {c for c in set(source_codes) | set(source.index)
             if regions.is_area_code(c) and regions.level_of(c) == level}
    rows, pending, unmatched = [], [], []
    for gm in sorted(set(target["gemeente_code"])):
        if not regions.in_province(gm):
            continue
        olds = regions.predecessors(gm, source_year, target_year)
        src = source[source["gemeente_code"].isin(olds)]
        dst = target[target["gemeente_code"] == gm]
        candidates: list[str] = []
        if use_indicator:
            kept = dst.index[(dst["boundary_change"] == 1)]
            for code in kept:
                evidence = f"CBS indelingswijziging {target_year}: code and boundary unchanged since {source_year}"
                if code in src.index:
                    evidence = _describe(src.loc[code], dst.loc[code]) + "; " + evidence
                rows.append({"from_code": code, "to_code": code, "count_weight": 1.0, "rate_weight": 1.0,
                             "exact": True, "tier": "indicator", "evidence": evidence})
            src, dst = src.drop(index=kept, errors="ignore"), dst.drop(index=kept)
            if src.empty:  # no figures of the source year: CBS's word and the buurten must do
                candidates = sorted(c for c in known if regions.municipality_of(c) in olds
                                    and c not in set(kept) and c not in set(target.index))
        matched_src, matched_dst = set(), set()
        if len(src) and len(dst):
            for i, j, margin in _assign(_cost(src, dst)):
                a, b = src.iloc[i], dst.iloc[j]
                verdict = _verdict(a, b)
                if verdict is None or margin < AMBIGUITY_MARGIN:
                    continue
                rows.append({"from_code": src.index[i], "to_code": dst.index[j], "count_weight": 1.0,
                             "rate_weight": 1.0, "exact": verdict == "exact", "tier": "fingerprint",
                             "evidence": _describe(a, b)})
                matched_src.add(src.index[i])
                matched_dst.add(dst.index[j])
        rest_src = src.drop(index=list(matched_src))
        rest_dst = dst.drop(index=list(matched_dst))
        if len(rest_src) and len(rest_dst):
            total_a = rest_src.reindex(columns=list(catalogue.FINGERPRINT_CONCEPTS)).sum(min_count=1)
            total_b = rest_dst.reindex(columns=list(catalogue.FINGERPRINT_CONCEPTS)).sum(min_count=1)
            if _verdict(total_a, total_b) is not None:
                rows += _group_rows(rest_src, rest_dst, _describe(total_a, total_b) + " (group totals)")
                continue
        for code in rest_dst.index:
            cause = "no_match" if len(source) else "no_source_figures"
            why = (f"no {source_year} {level} with a matching land area and population" if len(source)
                   else f"no Kerncijfers per {level} of indeling {source_year} to match it with")
            change = rest_dst.at[code, "boundary_change"]
            if use_indicator and change in (2, 3):
                cause = "cbs_code_changed" if change == 2 else "cbs_boundary_changed"
                why = (f"CBS indelingswijziging {target_year}: {'code' if change == 2 else 'boundary'} changed since "
                       f"{source_year}; " + why)
                if change == 2:
                    pending += [{"from_code": c, "to_code": code, "count_weight": 1.0, "rate_weight": 1.0,
                                 "exact": True, "tier": "indicator",
                                 "evidence": f"CBS indelingswijziging {target_year}: code changed, boundary "
                                             f"unchanged since {source_year}"} for c in candidates]
            if olds != [gm]:
                why += f" (municipality formed from {', '.join(olds)})"
            unmatched.append({"code": code, "side": "to", "name": names_t.get(code, ""), "reason": why,
                              "cause": cause})
        for code in rest_src.index:
            unmatched.append({"code": code, "side": "from", "name": names_s.get(code, ""), "cause": "no_match",
                              "reason": f"no {target_year} {level} with a matching land area and population"})
    method = "indicator" if use_indicator and source.empty else "fingerprint"
    return Crosswalk(level, source_year, target_year, method, label(links_frame(rows), names_s, names_t),
                     unmatched_frame(unmatched), names_s, names_t, pending=links_frame(pending))


def _group_rows(src: pd.DataFrame, dst: pd.DataFrame, evidence: str) -> list[dict]:
    """Links of one group: counts by target residents (else land), rates by source residents."""
    to_weight = dst["population"].fillna(0.0)
    if to_weight.sum() <= 0:
        to_weight = dst["land_area"].fillna(0.0)
    to_weight = to_weight / to_weight.sum() if to_weight.sum() > 0 else pd.Series(1.0 / len(dst), index=dst.index)
    from_weight = src["population"].fillna(0.0)
    from_weight = from_weight / from_weight.sum() if from_weight.sum() > 0 else \
        pd.Series(1.0 / len(src), index=src.index)
    return [{"from_code": a, "to_code": b, "count_weight": float(to_weight[b]), "rate_weight": float(from_weight[a]),
             "exact": False, "tier": "fingerprint", "evidence": evidence} for a in src.index for b in dst.index]


# --------------------------------------------------------------------------- buurt continuity


def buurt_key(code: str) -> str:
    """The part of a buurt code that survives a municipal renumbering: wijk and buurt number (``WWBB``).

    Examples
    --------
    >>> buurt_key("BU00100623"), buurt_key("BU19790623")
    ('0623', '0623')
    """
    return str(code)[-4:]


def continuity(old: pd.DataFrame, new: pd.DataFrame) -> tuple[float, str]:
    """How far the buurten of an old area continue in a new one, and a description.

    A buurt continues when its buurt key (:func:`buurt_key`) or its
    informative name occurs among the other area's buurten. The score is the
    Dice coefficient ``2 · continuing / (n_old + n_new)``: 1 when the two
    lists correspond one to one, and low when a one-buurt area happens to
    share a key with a large one. ``old`` and ``new`` hold ``code`` and
    ``name`` (names may be empty).
    """
    if old.empty or new.empty:
        return 0.0, ""
    keys_new = set(new["code"].map(buurt_key))
    names_new = {name_key(n) for n in new["name"]} - {""}
    by_code = old["code"].map(buurt_key).isin(keys_new)
    by_name = old["name"].map(name_key).map(lambda k: bool(k) and k in names_new)
    found = int((by_code | by_name).sum())
    score = min(1.0, 2 * found / (len(old) + len(new)))
    how = "code" if by_code.sum() >= by_name.sum() else "name"
    return score, f"{found} of its {len(old)} buurten continue (by {how}) among the {len(new)} of the new area"


def resolve_pending(cw: Crosswalk, old_buurten: pd.DataFrame | None, new_buurten: pd.DataFrame | None) -> Crosswalk:
    """Identify the old code of every area CBS says only changed its code, by the buurten that continue.

    Parameters
    ----------
    old_buurten, new_buurten
        The buurten of the source and of the target indeling: ``code``,
        ``name`` (may be missing) and ``wijk`` (the wijk code they belong to).

    A target takes the candidate whose buurten continue best (at least
    :data:`CONTINUITY`, and no other candidate as good); each old code goes to
    one target at most. Resolved links become exact (tier ``indicator``);
    the rest are dropped and their targets stay unmatched with the reason.
    """
    if cw.pending.empty:
        return cw
    pending = cw.pending[cw.pending["exact"]]
    resolved = []
    if old_buurten is not None and new_buurten is not None and len(pending):
        old_of, new_of = dict(tuple(old_buurten.groupby("wijk"))), dict(tuple(new_buurten.groupby("wijk")))
        none_old, none_new = old_buurten.iloc[:0], new_buurten.iloc[:0]
        scored = []
        for r in pending.itertuples():
            score, how = continuity(old_of.get(r.from_code, none_old), new_of.get(r.to_code, none_new))
            scored.append((score, r, how))
        best: dict[str, list] = {}
        for score, r, how in scored:
            best.setdefault(r.to_code, []).append((score, r, how))
        used: set[str] = set()
        for to_code, options in sorted(best.items(), key=lambda kv: -max(s for s, _, _ in kv[1])):
            options.sort(key=lambda o: -o[0])
            score, r, how = options[0]
            runner_up = options[1][0] if len(options) > 1 else 0.0
            if score < CONTINUITY or runner_up >= score or r.from_code in used:
                continue
            used.add(r.from_code)
            resolved.append({"from_code": r.from_code, "to_code": to_code, "count_weight": 1.0, "rate_weight": 1.0,
                             "exact": True, "tier": "indicator", "evidence": f"{r.evidence}; {how}"})
    unmatched = cw.unmatched
    if resolved:
        done_to = {r["to_code"] for r in resolved}
        done_from = {r["from_code"] for r in resolved}
        unmatched = unmatched[~(((unmatched["side"] == "to") & unmatched["code"].isin(done_to))
                                | ((unmatched["side"] == "from") & unmatched["code"].isin(done_from)))]
    base = cw.links[LINK_COLUMNS]
    links = label(pd.concat([base, links_frame(resolved)], ignore_index=True) if resolved else base,
                  cw.source_names, cw.target_names)
    return Crosswalk(cw.level, cw.source, cw.target, cw.method, links, unmatched.reset_index(drop=True),
                     cw.source_names, cw.target_names, cw.inputs)


# --------------------------------------------------------------------------- chains


def _chain(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Links ``a`` then ``b``: weights multiply, exact when both are, the weaker evidence counts."""
    joined = a[LINK_COLUMNS].merge(b[LINK_COLUMNS], left_on="to_code", right_on="from_code", suffixes=("", "_2"))
    if joined.empty:
        return links_frame([])
    joined = joined.assign(count_weight=joined["count_weight"] * joined["count_weight_2"],
                           rate_weight=joined["rate_weight"] * joined["rate_weight_2"],
                           exact=joined["exact"] & joined["exact_2"],
                           tier=[weakest(p) for p in zip(joined["tier"], joined["tier_2"], strict=True)],
                           evidence=joined["evidence"] + " | " + joined["evidence_2"])
    out = joined.groupby(["from_code", "to_code_2"], as_index=False).agg(
        count_weight=("count_weight", "sum"), rate_weight=("rate_weight", "sum"), exact=("exact", "all"),
        tier=("tier", weakest), evidence=("evidence", "first")).rename(columns={"to_code_2": "to_code"})
    return links_frame(out[LINK_COLUMNS].to_dict("records"))


def compose(first: Crosswalk, second: Crosswalk) -> Crosswalk:
    """The crosswalk ``first.source -> second.target`` through ``first.target == second.source``.

    Weights multiply (``w(a, c) = Σ_b w1(a, b) w2(b, c)``); a link is exact
    when both steps are, and rests on the weaker evidence of the two. Codes
    lost in either step are unmatched. Pending links (:attr:`Crosswalk.pending`)
    travel through exact links only.
    """
    if first.target != second.source or first.level != second.level:
        raise DataError(f"Cannot chain {first.source}->{first.target} with {second.source}->{second.target}.")
    links = _chain(first.links, second.links)
    pending = pd.concat([_chain(first.pending, second.links[second.links["exact"]]),
                         _chain(first.links[first.links["exact"]], second.pending)], ignore_index=True)
    lost = set(first.links["to_code"]) - set(second.links["from_code"])
    unmatched = [first.unmatched[first.unmatched["side"] == "from"],
                 second.unmatched[second.unmatched["side"] == "to"]]
    lost_from = first.links[first.links["to_code"].isin(lost)]["from_code"].unique()
    unmatched.append(unmatched_frame([{"code": c, "side": "from", "name": first.source_names.get(c, ""),
                                  "cause": "no_match",
                                  "reason": f"its {first.target} successor has no {second.target} match"}
                                 for c in lost_from]))
    lost_to = set(second.links["to_code"]) - set(links["to_code"])
    lost_first = first.unmatched[first.unmatched["side"] == "to"].drop_duplicates("code").set_index("code")
    predecessors = second.links.groupby("to_code")["from_code"].agg(sorted).to_dict()
    unmatched.append(unmatched_frame([{"code": c, "side": "to", "name": second.target_names.get(c, ""),
                                  "cause": lost_first["cause"].get(predecessors[c][0], "not_linked"),
                                  "reason": "; ".join(f"via {first.target} {b}: "
                                                      f"{lost_first['reason'].get(b, 'no link')}"
                                                      for b in predecessors[c])}
                                 for c in sorted(lost_to)]))
    unmatched = pd.concat([u for u in unmatched if len(u)], ignore_index=True) if any(len(u) for u in unmatched) \
        else unmatched_frame([])
    return Crosswalk(first.level, first.source, second.target, f"{first.method}+{second.method}",
                     label(links, first.source_names, second.target_names), unmatched,
                     first.source_names, second.target_names, first.inputs + second.inputs, pending=pending)


# --------------------------------------------------------------------------- conversion



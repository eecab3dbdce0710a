"""Indelingen: which boundary year a code belongs to, and how figures move between years.

CBS reuses, renumbers, splits, merges and reshapes areas between years. A
table's codes belong to one **indeling** (boundary year; see
:class:`mgg_geo.data.catalogue.Table`), and figures of one indeling are never
joined to boundaries of another by code alone: they go through a
:class:`Crosswalk`.

Relations
---------
Each group of linked areas (a connected component of from- and to-codes) has
one relation:

``same``, ``renamed``, ``renumbered``
    One area to one area with the same boundary (within CBS's land/water
    noise): figures move unchanged, only the code or name may differ.
``split``, ``merged``, ``reshaped``
    One to several, several to one, or a changed boundary: figures are
    **estimates**. Counts are divided by the target areas' population shares
    (or land-area shares) and summed; rates (percentages, averages) are
    population-weighted over the source areas and inherited by every target of
    the group.

Where no trustworthy link exists, the figure is missing with a reason, never
another area's figure.

How a crosswalk is derived (best evidence first)
------------------------------------------------
1. **Identity** when both indelingen are the same year.
2. **Geometry** (:func:`from_geometry`) when both years' boundaries are at
   hand: a ``geopandas.overlay`` intersection gives area shares; slivers under
   :data:`SLIVER` (generalisation noise) are dropped.
3. **Fingerprints** (:func:`from_fingerprints`): CBS's own per-code figures in
   a Kerncijfers table of each indeling. See that function for the tolerances
   and why population alone is not enough.
4. **CBS's change indicator** for consecutive years: the KWB table of year
   *Y* says per code whether it is unchanged since *Y-1*
   (``IndelingswijzigingGemeenteWijkBuurt``, kwb ``ind_wbi``). Code 1 links
   the code to itself; codes 2 and 3 need fingerprints of *Y-1*.
   :func:`compose` chains this step with a derivation *Y* -> target.

Municipal mergers come from :data:`mgg_geo.data.regions.MERGERS` (the one table of
them): codes are only ever matched within the group of municipalities that
became one, and the correspondence inside a merger is derived and checked
like any other, never read from code digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linear_sum_assignment
from scipy.sparse.csgraph import connected_components

from mgg_geo.data import cache, catalogue, regions, sources
from mgg_geo.errors import DataError

#: The relations a link group can have (module docstring).
RELATIONS = ("same", "renamed", "renumbered", "split", "merged", "reshaped")
#: Relations whose figures move unchanged.
EXACT = ("same", "renamed", "renumbered")

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

LINK_COLUMNS = ["from_code", "to_code", "count_weight", "rate_weight", "exact", "evidence"]
UNMATCHED_COLUMNS = ["code", "side", "name", "reason", "cause"]
#: Why a code has no link, for readers (worded in Dutch by the presentation layer).
CAUSES = {
    "cbs_code_changed": "CBS changed the code since the source year and no figures of that year identify the old one",
    "cbs_boundary_changed": "CBS changed the boundary since the source year and no figures of that year can be split",
    "no_match": "no area of the other year has a matching land area and population",
    "no_source_figures": "no figures per area of the source year to match it with",
    "no_overlap": "no area of the other year overlaps it",
    "no_evidence": "neither boundaries nor Kerncijfers of the source year are at hand",
    "merged_municipality": "its municipality merged; only the municipality as a whole is used",
    "not_linked": "no area of the other year links to it",
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
        How it was derived: identity, geometry, fingerprint, indicator, or a
        chain such as ``indicator+fingerprint``.
    links
        One row per link: ``from_code``, ``to_code``, ``count_weight`` (share
        of the source's count going to the target; sums to 1 per source),
        ``rate_weight`` (share of the target's residents coming from the
        source; sums to 1 per target), ``exact`` (the figure moves unchanged),
        ``evidence`` (the figures that support the link), and after
        :func:`label`: ``group`` and ``relation``.
    unmatched
        Codes without a trustworthy link: ``code``, ``side`` (from or to),
        ``name``, ``reason`` (English, for analysts) and ``cause`` (a key of
        :data:`CAUSES`).
    source_names, target_names
        ``{code: name}`` of each side, where known (one code can name two
        different areas in two years).
    inputs
        The cache entries it was derived from (name and sha256), for the manifest.
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

    def relation_of(self) -> pd.DataFrame:
        """Per target code: ``relation``, ``from_codes`` (comma-separated) and ``exact``."""
        if self.links.empty:
            return pd.DataFrame(columns=["relation", "from_codes", "exact"])
        grouped = self.links.groupby("to_code")
        return pd.DataFrame({
            "relation": grouped["relation"].first(),
            "from_codes": grouped["from_code"].agg(lambda c: ", ".join(sorted(set(c)))),
            "exact": grouped["exact"].all() & (grouped.size() == 1),
        })

    def table(self, municipality: str | None = None) -> pd.DataFrame:
        """The crosswalk as a readable table (one row per link, then every unmatched code)."""
        links = self.links.assign(from_name=self.links["from_code"].map(self.source_names),
                                  to_name=self.links["to_code"].map(self.target_names))
        rows = links[["from_code", "from_name", "to_code", "to_name", "relation", "count_weight", "rate_weight",
                      "evidence"]]
        missing = self.unmatched.assign(
            from_code=np.where(self.unmatched["side"] == "from", self.unmatched["code"], ""),
            to_code=np.where(self.unmatched["side"] == "to", self.unmatched["code"], ""),
            from_name=np.where(self.unmatched["side"] == "from", self.unmatched["name"], ""),
            to_name=np.where(self.unmatched["side"] == "to", self.unmatched["name"], ""),
            relation="missing", count_weight=np.nan, rate_weight=np.nan, evidence=self.unmatched["reason"])
        out = pd.concat([rows, missing[rows.columns]], ignore_index=True)
        if municipality is not None:
            gm = [municipality] + regions.predecessors(municipality, self.source, self.target)
            code = out["to_code"].where(out["to_code"] != "", out["from_code"])
            out = out[code.map(lambda c: regions.municipality_of(c) in gm if regions.is_area_code(c) else False)]
        return out.reset_index(drop=True)


# --------------------------------------------------------------------------- names


def name_key(name: object) -> str:
    """A name folded for comparison; CBS's numbering prefixes ("Wijk 05 ...") carry no name and are dropped.

    Examples
    --------
    >>> name_key("Wijk 00 Veendam-kern"), name_key("Wijk 05")
    ('veendam kern', '')
    """
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return ""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"^(wijk|buurt)\s*\d+\s*", "", text.strip())
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


# --------------------------------------------------------------------------- labelling


def label(links: pd.DataFrame, source_names: dict[str, str], target_names: dict[str, str]) -> pd.DataFrame:
    """Add ``group`` and ``relation`` to links (see the module docstring for the relations)."""
    links = links.reset_index(drop=True).copy()
    if links.empty:
        return links.assign(group=pd.Series(dtype="int64"), relation=pd.Series(dtype="string"))
    froms = pd.Index(sorted(set(links["from_code"])))
    tos = pd.Index(sorted(set(links["to_code"])))
    i = froms.get_indexer(links["from_code"])
    j = tos.get_indexer(links["to_code"]) + len(froms)
    n = len(froms) + len(tos)
    graph = sparse.coo_matrix((np.ones(len(links)), (i, j)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    links["group"] = component[i]
    relation = []
    for _, part in links.groupby("group", sort=False):
        n_from, n_to = part["from_code"].nunique(), part["to_code"].nunique()
        if n_from == 1 and n_to == 1:
            a, b = part["from_code"].iloc[0], part["to_code"].iloc[0]
            if not bool(part["exact"].iloc[0]):
                rel = "reshaped"
            elif a != b:
                rel = "renumbered"
            elif name_key(source_names.get(a)) and name_key(target_names.get(b)) \
                    and name_key(source_names.get(a)) != name_key(target_names.get(b)):
                rel = "renamed"
            else:
                rel = "same"
        elif n_from == 1:
            rel = "split"
        elif n_to == 1:
            rel = "merged"
        else:
            rel = "reshaped"
        relation.append(pd.Series(rel, index=part.index))
    links["relation"] = pd.concat(relation).reindex(links.index)
    links.loc[~links["relation"].isin(EXACT), "exact"] = False
    return links


def _links(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=LINK_COLUMNS)
    return frame.astype({"count_weight": "float64", "rate_weight": "float64", "exact": "bool"})


def _unmatched(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=UNMATCHED_COLUMNS)


def identity(level: str, year: int, codes, names: dict[str, str] | None = None) -> Crosswalk:
    """The crosswalk of an indeling onto itself: every code to itself, ``same``."""
    rows = [{"from_code": c, "to_code": c, "count_weight": 1.0, "rate_weight": 1.0, "exact": True,
             "evidence": f"same indeling ({year})"} for c in sorted(set(codes))]
    names = dict(names or {})
    return Crosswalk(level, year, year, "identity", label(_links(rows), names, names), source_names=names,
                     target_names=names)


# --------------------------------------------------------------------------- geometry


def from_geometry(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, *, level: str, source_year: int,
                  target_year: int, population: pd.Series | None = None) -> Crosswalk:
    """Crosswalk by overlaying two years' boundaries (EPSG:28992).

    Parameters
    ----------
    source, target
        Boundaries with ``code`` (index or column), ``name`` and polygon
        geometry, in EPSG:28992 (areas in m²).
    population
        Residents per source code, where known: rate weights then follow the
        residents (areal weighting within each source area, as
        ``tobler.area_weighted`` does), else the intersected area.

    Notes
    -----
    For intersection ``a ∩ b``: ``count_weight = |a ∩ b| / Σ_b' |a ∩ b'|``
    and ``rate_weight = P_a · count_weight / Σ_a' P_a' · count_weight(a', b)``.
    Intersections under :data:`SLIVER` of both areas are dropped before
    normalising. A one-to-one link whose shares both reach
    :data:`SAME_SHARE` is exact.
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
    pieces = pieces[(pieces["share_from"] >= SLIVER) | (pieces["share_to"] >= SLIVER)]
    pieces = pieces.groupby(["from_code", "to_code"], as_index=False)[["area", "share_from", "share_to"]].sum()
    pieces["count_weight"] = pieces["area"] / pieces.groupby("from_code")["area"].transform("sum")
    residents = pieces["from_code"].map(population) if population is not None else np.nan
    weight = pieces["count_weight"] * residents
    by_target = weight.groupby(pieces["to_code"])
    usable = by_target.transform(lambda w: w.notna().all() and w.sum() > 0).astype(bool)
    weight = weight.where(usable, pieces["area"])
    pieces["rate_weight"] = weight / weight.groupby(pieces["to_code"]).transform("sum")
    n_from = pieces.groupby("from_code")["to_code"].transform("size")
    n_to = pieces.groupby("to_code")["from_code"].transform("size")
    pieces["exact"] = (n_from == 1) & (n_to == 1) & (pieces["share_from"] >= SAME_SHARE) & \
        (pieces["share_to"] >= SAME_SHARE)
    pieces["evidence"] = [f"overlap {100 * sf:.0f} % of {a} / {100 * st:.0f} % of {b}"
                          for a, b, sf, st in zip(pieces["from_code"], pieces["to_code"], pieces["share_from"],
                                                  pieces["share_to"], strict=True)]
    names_s, names_t = _names(src), _names(dst)
    unmatched = [{"code": c, "side": "from", "name": names_s.get(c, ""), "cause": "no_overlap",
                  "reason": f"no {target_year} {level} overlaps it"}
                 for c in sorted(set(src["code"]) - set(pieces["from_code"]))]
    unmatched += [{"code": c, "side": "to", "name": names_t.get(c, ""), "cause": "no_overlap",
                   "reason": f"no {source_year} {level} overlaps it"}
                  for c in sorted(set(dst["code"]) - set(pieces["to_code"]))]
    links = label(_links(pieces[LINK_COLUMNS].to_dict("records")), names_s, names_t)
    return Crosswalk(level, source_year, target_year, "geometry", links, _unmatched(unmatched), names_s, names_t)


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
    rows, cols = linear_sum_assignment(cost)
    base = cost[rows, cols].sum()
    out = []
    for i, j in zip(rows, cols, strict=True):
        forbidden = cost.copy()
        forbidden[i, j] = 1e6
        r2, c2 = linear_sum_assignment(forbidden)
        out.append((int(i), int(j), float(forbidden[r2, c2].sum() - base)))
    return out


def _verdict(a: pd.Series, b: pd.Series) -> str | None:
    """``exact``, ``reshaped`` or None: do two fingerprints describe the same area?"""
    land = _land_share(a["land_area"], b["land_area"])
    people = _ratio_ok(a["population"], b["population"], POPULATION_FACTOR, POPULATION_SLACK) and \
        _ratio_ok(a["households"], b["households"], POPULATION_FACTOR, POPULATION_SLACK)
    if not people:
        return None
    if land <= LAND_TOLERANCE:
        return "exact"
    return "reshaped" if land <= LAND_TOLERANCE_RESHAPED else None


def _describe(a: pd.Series, b: pd.Series) -> str:
    def fmt(v):
        return "?" if np.isnan(v) else f"{v:,.0f}"
    return (f"land {fmt(a['land_area'])} -> {fmt(b['land_area'])} ha, residents {fmt(a['population'])} -> "
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
                      target_year: int, indicator: bool = True) -> Crosswalk:
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
        Use the target table's ``boundary_change`` (CBS: code and boundary
        unchanged since the year before) when ``target_year == source_year + 1``.

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
        source = pd.DataFrame(columns=target.columns).astype({c: "float64" for c in catalogue.FINGERPRINT_CONCEPTS})
    names_s, names_t = _names(source), _names(target)
    use_indicator = indicator and target_year == source_year + 1 and target["boundary_change"].notna().any()
    rows, unmatched = [], []
    for gm in sorted(set(target["gemeente_code"])):
        if not regions.in_province(gm):
            continue
        olds = regions.predecessors(gm, source_year, target_year)
        src = source[source["gemeente_code"].isin(olds)]
        dst = target[target["gemeente_code"] == gm]
        if use_indicator:
            kept = dst.index[(dst["boundary_change"] == 1)]
            for code in kept:
                evidence = f"CBS indelingswijziging {target_year}: code and boundary unchanged since {source_year}"
                if code in src.index:
                    evidence = _describe(src.loc[code], dst.loc[code]) + "; " + evidence
                rows.append({"from_code": code, "to_code": code, "count_weight": 1.0, "rate_weight": 1.0,
                             "exact": True, "evidence": evidence})
            src, dst = src.drop(index=kept, errors="ignore"), dst.drop(index=kept)
        matched_src, matched_dst = set(), set()
        if len(src) and len(dst):
            for i, j, margin in _assign(_cost(src, dst)):
                a, b = src.iloc[i], dst.iloc[j]
                verdict = _verdict(a, b)
                if verdict is None or margin < AMBIGUITY_MARGIN:
                    continue
                rows.append({"from_code": src.index[i], "to_code": dst.index[j], "count_weight": 1.0,
                             "rate_weight": 1.0, "exact": verdict == "exact", "evidence": _describe(a, b)})
                matched_src.add(src.index[i])
                matched_dst.add(dst.index[j])
        rest_src = src.drop(index=list(matched_src))
        rest_dst = dst.drop(index=list(matched_dst))
        if len(rest_src) and len(rest_dst):
            total_a = rest_src[list(catalogue.FINGERPRINT_CONCEPTS)].sum(min_count=1)
            total_b = rest_dst[list(catalogue.FINGERPRINT_CONCEPTS)].sum(min_count=1)
            if _verdict(total_a, total_b) is not None:
                rows += _group_rows(rest_src, rest_dst, _describe(total_a, total_b) + " (group totals)")
                continue
        for code in rest_dst.index:
            cause = "no_match" if len(source) else "no_source_figures"
            why = (f"no {source_year} {level} with a matching land area and population" if len(source)
                   else f"no figures per {level} of indeling {source_year} to match it with")
            change = rest_dst.at[code, "boundary_change"]
            if use_indicator and change in (2, 3):
                cause = "cbs_code_changed" if change == 2 else "cbs_boundary_changed"
                why = (f"CBS indelingswijziging {target_year}: {'code' if change == 2 else 'boundary'} changed since "
                       f"{source_year}; " + why)
            if olds != [gm]:
                why += f" (municipality formed from {', '.join(olds)})"
            unmatched.append({"code": code, "side": "to", "name": names_t.get(code, ""), "reason": why,
                              "cause": cause})
        for code in rest_src.index:
            unmatched.append({"code": code, "side": "from", "name": names_s.get(code, ""), "cause": "no_match",
                              "reason": f"no {target_year} {level} with a matching land area and population"})
    method = "indicator" if use_indicator and source.empty else "fingerprint"
    return Crosswalk(level, source_year, target_year, method, label(_links(rows), names_s, names_t),
                     _unmatched(unmatched), names_s, names_t)


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
             "exact": False, "evidence": evidence} for a in src.index for b in dst.index]


# --------------------------------------------------------------------------- chains


def compose(first: Crosswalk, second: Crosswalk) -> Crosswalk:
    """The crosswalk ``first.source -> second.target`` through ``first.target == second.source``.

    Weights multiply (``w(a, c) = Σ_b w1(a, b) w2(b, c)``); a link is exact
    when both steps are. Codes lost in either step are unmatched.
    """
    if first.target != second.source or first.level != second.level:
        raise DataError(f"Cannot chain {first.source}->{first.target} with {second.source}->{second.target}.")
    a = first.links[["from_code", "to_code", "count_weight", "rate_weight", "exact", "evidence"]]
    b = second.links[["from_code", "to_code", "count_weight", "rate_weight", "exact", "evidence"]]
    joined = a.merge(b, left_on="to_code", right_on="from_code", suffixes=("", "_2"))
    joined = joined.assign(count_weight=joined["count_weight"] * joined["count_weight_2"],
                           rate_weight=joined["rate_weight"] * joined["rate_weight_2"],
                           exact=joined["exact"] & joined["exact_2"],
                           evidence=joined["evidence"] + " | " + joined["evidence_2"])
    links = joined.groupby(["from_code", "to_code_2"], as_index=False).agg(
        count_weight=("count_weight", "sum"), rate_weight=("rate_weight", "sum"), exact=("exact", "all"),
        evidence=("evidence", "first")).rename(columns={"to_code_2": "to_code"})
    lost = set(first.links["to_code"]) - set(second.links["from_code"])
    unmatched = [first.unmatched[first.unmatched["side"] == "from"],
                 second.unmatched[second.unmatched["side"] == "to"]]
    lost_from = first.links[first.links["to_code"].isin(lost)]["from_code"].unique()
    unmatched.append(_unmatched([{"code": c, "side": "from", "name": first.source_names.get(c, ""),
                                  "cause": "no_match",
                                  "reason": f"its {first.target} successor has no {second.target} match"}
                                 for c in lost_from]))
    lost_to = set(second.links["to_code"]) - set(links["to_code"])
    lost_first = first.unmatched[first.unmatched["side"] == "to"].set_index("code")
    predecessors = second.links.groupby("to_code")["from_code"].agg(sorted).to_dict()
    unmatched.append(_unmatched([{"code": c, "side": "to", "name": second.target_names.get(c, ""),
                                  "cause": lost_first["cause"].get(predecessors[c][0], "not_linked"),
                                  "reason": "; ".join(f"via {first.target} {b}: "
                                                      f"{lost_first['reason'].get(b, 'no link')}"
                                                      for b in predecessors[c])}
                                 for c in sorted(lost_to)]))
    unmatched = pd.concat([u for u in unmatched if len(u)], ignore_index=True) if any(len(u) for u in unmatched) \
        else _unmatched([])
    return Crosswalk(first.level, first.source, second.target, f"{first.method}+{second.method}",
                     label(links[LINK_COLUMNS], first.source_names, second.target_names), unmatched,
                     first.source_names, second.target_names, first.inputs + second.inputs)


# --------------------------------------------------------------------------- conversion


def convert(frame: pd.DataFrame, crosswalk: Crosswalk, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move figures of ``crosswalk.source`` onto the codes of ``crosswalk.target``.

    Parameters
    ----------
    frame
        Figures indexed by source code (one level), with ``<column>__suppressed`` flags.
    columns
        Concept keys to convert; their :class:`~mgg_geo.data.catalogue.Concept`
        decides the rule: extensive (counts, ha) by ``count_weight``,
        categorical only through exact links, the rest by ``rate_weight``.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The figures indexed by target code (every linked target), and per
        target ``relation``, ``from_codes`` and ``exact``. A target whose
        sources include a missing value is missing (suppressed when a source
        was suppressed): a part never stands for the whole.
    """
    links = crosswalk.links
    targets = pd.Index(sorted(set(links["to_code"])), name="code")
    sources_ = pd.Index(sorted(set(links["from_code"])))
    i = sources_.get_indexer(links["from_code"])
    j = targets.get_indexer(links["to_code"])
    shape = (len(sources_), len(targets))
    weights = {
        "count": sparse.csr_matrix((links["count_weight"].to_numpy(), (i, j)), shape=shape),
        "rate": sparse.csr_matrix((links["rate_weight"].to_numpy(), (i, j)), shape=shape),
    }
    exact = links["exact"].to_numpy()
    weights["category"] = sparse.csr_matrix((np.ones(exact.sum()), (i[exact], j[exact])), shape=shape)
    touches = sparse.csr_matrix((np.ones(len(links)), (i, j)), shape=shape)
    aligned = frame.reindex(sources_)
    out = pd.DataFrame(index=targets)
    for column in columns:
        concept = catalogue.CONCEPTS.get(column)
        rule = "category" if concept is not None and concept.categorical else \
            "count" if concept is not None and concept.extensive else "rate"
        x = pd.to_numeric(aligned[column], errors="coerce").to_numpy(dtype="float64") if column in aligned \
            else np.full(len(sources_), np.nan)
        flag = aligned[f"{column}__suppressed"].fillna(False).to_numpy(dtype=bool) \
            if f"{column}__suppressed" in aligned else np.zeros(len(sources_), bool)
        w = weights[rule]
        value = w.T @ np.nan_to_num(x)
        missing = (touches.T @ np.isnan(x).astype("float64")) > 0
        if rule == "category":
            missing |= (weights["category"].T @ np.ones(len(sources_))) == 0
        value = np.where(missing, np.nan, value)
        out[column] = value
        out[f"{column}__suppressed"] = ((touches.T @ flag.astype("float64")) > 0) & np.isnan(value)
    return out, crosswalk.relation_of().reindex(targets)


def check_totals(frame: pd.DataFrame, column: str = "population", *, level: str = "wijk") -> pd.DataFrame:
    """Compare each municipality's ``level`` rows with its gemeente row (CBS rounds counts to 5).

    Parameters
    ----------
    frame
        A tidy table with ``code``, ``level``, ``gemeente_code`` and ``column``.

    Returns
    -------
    pandas.DataFrame
        Per municipality: ``gemeente`` (the gemeente row), ``areas`` (the sum
        over areas), ``n`` (areas), ``difference`` and ``ok``: within
        ``2.5 * n + 1`` (each area rounded to 5 persons).
    """
    values = pd.to_numeric(frame[column], errors="coerce")
    gm = frame.loc[frame["level"] == "gemeente"].assign(v=values).set_index("code")["v"]
    parts = frame.loc[frame["level"] == level].assign(v=values).groupby("gemeente_code")["v"]
    out = pd.DataFrame({"gemeente": gm, "areas": parts.sum(min_count=1), "n": parts.size()}).dropna(subset=["gemeente"])
    out["n"] = out["n"].fillna(0).astype(int)
    out["difference"] = out["areas"] - out["gemeente"]
    out["ok"] = out["difference"].abs() <= 2.5 * out["n"] + 1
    return out


def fill_from_municipality(converted: pd.DataFrame, provenance: pd.DataFrame, municipal: pd.DataFrame,
                           targets: list[str], columns: list[str], *, source: int, target: int) -> tuple:
    """Give areas of a merged municipality the merged municipality's rates (estimates; counts stay missing).

    When a municipality was formed by a merger after the source indeling and
    no area inside it can be matched (no per-area figures of the source
    indeling), the finest checked correspondence is the municipality itself:
    the former municipalities together (:data:`mgg_geo.data.regions.MERGERS`,
    checked by fingerprint at gemeente level). Rates are inherited from that
    merged, population-weighted figure; counts cannot be divided and stay
    missing.

    Parameters
    ----------
    municipal
        The source figures converted to the target indeling at gemeente level
        (index: GM code of the target indeling).
    targets
        The unmatched target codes.
    """
    extra, notes = [], {}
    for code in targets:
        gm = regions.municipality_of(code)
        olds = regions.predecessors(gm, source, target)
        if olds == [gm] or gm not in municipal.index:
            continue
        row = {}
        for column in columns:
            concept = catalogue.CONCEPTS.get(column)
            keep = concept is None or not (concept.extensive or concept.categorical)
            row[column] = municipal.at[gm, column] if keep else np.nan
            flag = f"{column}__suppressed"
            row[flag] = bool(municipal.at[gm, flag]) if keep and flag in municipal else False
        extra.append(pd.Series(row, name=code))
        notes[code] = {"relation": "merged", "from_codes": ", ".join(olds), "exact": False}
    if not extra:
        return converted, provenance
    converted = pd.concat([converted, pd.DataFrame(extra)])
    provenance = pd.concat([provenance, pd.DataFrame.from_dict(notes, orient="index")])
    return converted, provenance


def crosswalk(level: str, source: int, target: int, *, offline: bool = False, source_codes=()) -> Crosswalk:
    """The crosswalk ``source -> target`` at ``level`` from the best evidence at hand, cached.

    Evidence, in order (see the module docstring): both years' boundaries
    (geometry); Kerncijfers tables of both indelingen (fingerprints); CBS's
    change indicator in the table of ``source + 1`` chained with
    ``source + 1 -> target``. Boundaries and tables come from the cache, and
    unless ``offline`` from CBS/PDOK. The result is stored in the cache as
    ``crosswalk_<level>_<source>_<target>`` with its inputs in the manifest,
    and reused while those inputs are unchanged.

    Parameters
    ----------
    source_codes
        The codes of the table to convert: when no evidence exists at all,
        each is listed as unmatched with the reason.
    """
    if source == target:
        return identity(level, target, source_codes)
    plan = _plan(level, source, target, offline=offline)
    if plan is None:
        reason = (f"no boundaries and no Kerncijfers of indeling {source} per {level} at hand to link it to "
                  f"{target}: import them (mgg-geo import boundaries FILE --level {level} --year {source}, or "
                  f"mgg-geo import kwb FILE --year {source})")
        rows = [{"code": c, "side": "from", "name": "", "reason": reason, "cause": "no_evidence"}
                for c in sorted(set(source_codes))]
        return Crosswalk(level, source, target, "none", label(_links([]), {}, {}), _unmatched(rows))
    inputs = list({d.manifest["name"]: {"name": d.manifest["name"], "sha256": d.manifest["sha256"]}
                   for d in plan["inputs"]}.values())
    name = f"crosswalk_{level}_{source}_{target}"
    stored = next((e for e in cache.entries("crosswalk") if e.manifest.get("name") == name), None)
    if stored is not None and stored.manifest.get("inputs") == inputs \
            and stored.manifest.get("version") == _VERSION:
        try:
            return _from_frame(stored.load(), stored.manifest)
        except DataError:
            pass
    result = plan["derive"]()
    result.inputs = inputs
    cache.store(_to_frame(result), {"kind": "crosswalk", "year": target, "name": name, "level": level,
                                    "source_indeling": source, "indeling": target, "method": result.method,
                                    "inputs": inputs, "version": _VERSION, "columns": {},
                                    "title": f"crosswalk {level} {source} -> {target} ({result.method})",
                                    "retrieved_at": cache.now_utc()})
    return result


#: Bumped whenever the derivation rules change, so cached crosswalks are derived again.
_VERSION = 4


def _plan(level: str, source: int, target: int, *, offline: bool) -> dict | None:
    """Choose the evidence for ``source -> target``: returns the inputs and a derivation, or None."""
    bounds_s = sources.boundaries_at(source, level, offline=offline)
    bounds_t = sources.boundaries_at(target, level, offline=offline)
    fp_need = ("population", "land_area")
    kwb_s = sources.kwb_at(source, level, require=fp_need, offline=offline)
    kwb_t = sources.kwb_at(target, level, require=fp_need, offline=offline)

    def names(bounds) -> dict:
        return {} if bounds is None else bounds.frame.set_index("code")["name"].dropna().astype(str).to_dict()

    if bounds_s is not None and bounds_t is not None:
        population = None if kwb_s is None else fingerprint_frame(kwb_s.frame, level)["population"]
        return {"inputs": [d for d in (bounds_s, bounds_t, kwb_s) if d is not None],
                "derive": lambda: from_geometry(bounds_s.frame, bounds_t.frame, level=level, source_year=source,
                                                target_year=target, population=population)}
    if kwb_s is not None and kwb_t is not None:
        return {"inputs": [d for d in (kwb_s, kwb_t, bounds_s, bounds_t) if d is not None],
                "derive": lambda: from_fingerprints(fingerprint_frame(kwb_s.frame, level, names(bounds_s)),
                                                    fingerprint_frame(kwb_t.frame, level, names(bounds_t)),
                                                    level=level, source_year=source, target_year=target)}
    step = source + 1
    if step <= target:
        kwb_next = sources.kwb_at(step, level, require=fp_need + ("boundary_change",), offline=offline)
        if kwb_next is not None:
            rest = _plan(level, step, target, offline=offline) if step < target else None
            if step < target and rest is None:
                return None

            def derive():
                first = from_fingerprints(None if kwb_s is None else fingerprint_frame(kwb_s.frame, level),
                                          fingerprint_frame(kwb_next.frame, level), level=level,
                                          source_year=source, target_year=step)
                return compose(first, rest["derive"]()) if rest is not None else first

            return {"inputs": [kwb_next] + ([kwb_s] if kwb_s is not None else []) + (rest["inputs"] if rest else []),
                    "derive": derive}
    return None


def _to_frame(cw: Crosswalk) -> pd.DataFrame:
    links = cw.links.assign(record="link", exact=cw.links["exact"].astype("boolean"))
    unmatched = cw.unmatched.assign(record="unmatched")
    names = [pd.DataFrame({"code": list(n), "name": list(n.values()), "record": record})
             for record, n in (("source_name", cw.source_names), ("target_name", cw.target_names))]
    frame = pd.concat([links, unmatched, *names], ignore_index=True)
    for column in frame.columns:
        if column != "exact" and frame[column].dtype == object:
            frame[column] = frame[column].astype("string")
    frame["exact"] = frame["exact"].astype("boolean")
    return frame


def _from_frame(frame: pd.DataFrame, manifest: dict) -> Crosswalk:
    links = frame[frame["record"] == "link"][LINK_COLUMNS + ["group", "relation"]].reset_index(drop=True)
    if links["exact"].isna().any():
        raise DataError(f"Cached crosswalk {manifest.get('name')} has links without 'exact'; derive it again.")
    links = links.astype({"count_weight": "float64", "rate_weight": "float64", "exact": "bool", "group": "int64"})
    links = links.astype({c: object for c in ("from_code", "to_code", "evidence", "relation")})
    unmatched = frame[frame["record"] == "unmatched"][UNMATCHED_COLUMNS].astype(object).reset_index(drop=True)
    names = {record: frame[frame["record"] == record].set_index("code")["name"].astype(str).to_dict()
             for record in ("source_name", "target_name")}
    return Crosswalk(manifest["level"], manifest["source_indeling"], manifest["indeling"], manifest["method"], links,
                     unmatched, names["source_name"], names["target_name"], manifest.get("inputs", []))


def to_indeling(frame: pd.DataFrame, *, level: str, source: int, target: int, columns: list[str],
                offline: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, Crosswalk]:
    """Figures of one table at ``level`` moved from indeling ``source`` onto ``target``.

    Parameters
    ----------
    frame
        A tidy source table (``code``, ``level``, ``gemeente_code``, concept
        columns with ``__suppressed`` flags), e.g. one age group of a health table.
    columns
        Concept keys to move.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, Crosswalk)
        The figures per target code; per target code ``relation``,
        ``from_codes``, ``exact`` and, for targets the crosswalk could not
        reach, ``reason`` and ``cause``; and the crosswalk used.
    """
    rows = frame[frame["level"] == level].drop_duplicates("code").set_index("code")
    cw = crosswalk(level, source, target, offline=offline, source_codes=rows.index)
    converted, provenance = convert(rows, cw, columns)
    lost = cw.unmatched[cw.unmatched["side"] == "to"]
    if level != "gemeente" and len(lost) and any(
            regions.predecessors(regions.municipality_of(c), source, target) != [regions.municipality_of(c)]
            for c in lost["code"]):
        municipal, _, _ = to_indeling(frame, level="gemeente", source=source, target=target, columns=columns,
                                      offline=offline)
        converted, provenance = fill_from_municipality(converted, provenance, municipal, list(lost["code"]), columns,
                                                       source=source, target=target)
    linked = set(cw.links["from_code"])
    dropped = [c for c in rows.index if c not in linked and c not in set(cw.unmatched["code"])]
    if dropped:
        extra = []
        for code in dropped:
            gm = regions.municipality_of(code) if regions.is_area_code(code) else ""
            merged = gm in regions.FORMER_MUNICIPALITIES
            extra.append({"code": code, "side": "from", "name": str(rows.at[code, "name"]) if "name" in rows else "",
                          "cause": "merged_municipality" if merged else "not_linked",
                          "reason": f"{gm} merged after {source}: only the municipality as a whole is used"
                          if merged else f"no {target} {level} links to it"})
        cw = Crosswalk(cw.level, cw.source, cw.target, cw.method, cw.links,
                       pd.concat([cw.unmatched, _unmatched(extra)], ignore_index=True), cw.source_names,
                       cw.target_names, cw.inputs)
    lost = lost.set_index("code")
    provenance = provenance.reindex(provenance.index.union(lost.index))
    for column in ("reason", "cause"):
        provenance[column] = lost[column].reindex(provenance.index)
        provenance.loc[provenance["relation"].notna(), column] = np.nan
    provenance.index.name = "code"
    return converted, provenance, cw

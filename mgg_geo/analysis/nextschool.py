"""Which school next: where a school-based programme (STORM) helps most, among the real schools.

A school-based programme grows school by school, so its where-next chooses
among schools, not among buurt points. Per municipality the candidates are
the secondary-school vestigingen of the DUO list in that municipality
(:mod:`mgg_geo.supply.schools`) that do not run the programme yet according
to the register (its ``school_code`` column). Schools placed on the same
point (one building, or, without geocoding, one town) form one candidate:
from there they reach the same young people, so the analysis cannot tell
them apart and the report names them together.

The choice is :func:`mgg_geo.analysis.whatif.what_if` with these candidates:
the same need-weighted objective as the buurt what-if (every young person
newly within reach counted by the need class of their area), the same reach,
the same existing sites. Each step names the school(s), their address and
placement, the target population it adds and the areas it reaches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from mgg_geo import rules, settings
from mgg_geo.analysis import coverage as cov
from mgg_geo.analysis import whatif
from mgg_geo.supply import initiatives

#: Columns of :attr:`SchoolChoice.schools` besides the school list's own (``mgg_geo.supply.schools.PLACED_COLUMNS``).
SCHOOL_COLUMNS = ["programme", "runs", "runs_as", "unsure", "candidate", "point", "in_area", "in_area_name", "step"]


@dataclass
class SchoolChoice:
    """The school-based where-next of a region.

    Attributes
    ----------
    schools
        GeoDataFrame (EPSG:28992): every school of the region's municipalities,
        with ``runs`` (runs the programme according to the register) and
        ``runs_as`` (the register's name for it), ``candidate``, ``point``
        (the candidate it belongs to: the vestigingscodes at its point,
        ``;``-separated), the area it lies in (``in_area``, ``in_area_name``)
        and ``step`` (the step that proposes it; missing when none does).
    sites
        Per municipality and step, the chosen candidate: the columns of
        :attr:`mgg_geo.analysis.whatif.WhatIf.sites` (``code`` is the candidate's
        ``point``), ``n_schools`` and ``gemeente_code``.
    gains
        Per municipality, step and area reached: ``gained`` (target population
        newly within reach), ``need_class``, ``area_name``, ``partial_data``.
    summary
        Per municipality (index ``gemeente_code``): the number of ``schools``,
        of those that ``run`` the programme, of ``candidates`` and candidate
        ``points``, ``approximate`` (candidates placed on their town or
        municipality), the ``reason`` when fewer than ``k`` steps were taken,
        and the before/after figures of :func:`mgg_geo.analysis.whatif.what_if`.
    """

    schools: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    gains: pd.DataFrame
    summary: pd.DataFrame


def _empty_schools() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: [] for c in ["school_code", "name", "gemeente_code", *SCHOOL_COLUMNS]},
                            geometry=[], crs=settings.CRS_ANALYSIS)


def mark(schools: gpd.GeoDataFrame, running: dict[str, str], areas: gpd.GeoDataFrame,
         programme: str) -> gpd.GeoDataFrame:
    """The schools with ``runs``, ``runs_as``, ``unsure``, ``candidate``, ``point`` and the area they lie in.

    ``running`` is ``{vestigingscode: register name}`` (:func:`mgg_geo.supply.schools.running`). A school that
    does not run the programme is a candidate; ``unsure`` flags one that may not teach all of the programme's years
    (its ``structure`` is one of the programme's ``unsure_at``: a BRUGJAAR vestiging for STORM), for the report to
    say so.
    """
    out = schools.copy()
    out["programme"] = programme
    codes = out["school_code"].astype(str).str.upper()
    out["runs"] = codes.isin(list(running)).to_numpy()
    out["runs_as"] = [running.get(c) for c in codes]
    unsure_at = dict(initiatives.PROGRAMMES[programme].unsure_at) if programme in initiatives.PROGRAMMES else {}
    structure = out["structure"] if "structure" in out else pd.Series("", index=out.index)
    out["unsure"] = structure.map(lambda v: str(v).strip().upper() in unsure_at).to_numpy() & ~out["runs"]
    out["candidate"] = ~out["runs"]
    key = list(zip(out.geometry.x.round(0), out.geometry.y.round(0), out["gemeente_code"], strict=True))
    points: dict[tuple, list[str]] = {}
    for k, code, candidate in zip(key, out["school_code"], out["candidate"], strict=True):
        if candidate:
            points.setdefault(k, []).append(str(code))
    out["point"] = [";".join(sorted(points[k])) if c else None for k, c in zip(key, out["candidate"], strict=True)]
    inside = gpd.sjoin(out[["geometry"]], areas[["geometry"]].rename_axis("in_area").reset_index(),
                       predicate="within", how="left")
    inside = inside[~inside.index.duplicated()]
    out["in_area"] = inside["in_area"].where(inside["in_area"].notna(), None).astype(object)
    out["in_area_name"] = [str(areas.at[a, "name"]) if isinstance(a, str) else None for a in out["in_area"]]
    out["step"] = np.nan
    return out


def where_next(province: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, schools: gpd.GeoDataFrame | None,
               running: dict[str, str], *, municipalities: Sequence[str], points: cov.Points | None = None,
               k: int = rules.NEW_SITES, demand=cov.DEMAND, programme: str = "STORM",
               kept_out: dict[str, tuple[pd.DataFrame, np.ndarray | None]] | None = None) -> SchoolChoice:
    """The school-based where-next for every municipality of ``municipalities`` (see the module docstring).

    Parameters
    ----------
    province
        The classified areas of the province (need classes, ``gap_class``), EPSG:28992.
    sites
        The initiatives that count for the target group (the what-if's existing sites).
    schools
        The placed school list (:func:`mgg_geo.supply.schools.load`); None when there is none.
    running
        The vestigingen that run ``programme`` already.
    kept_out
        Places the register has that do not count, per name: ``uncounted`` (left out for want of an age range,
        :func:`mgg_geo.analysis.chain.excluded_sites`) and ``status`` (:func:`mgg_geo.analysis.chain.status_sites`),
        each with the rows of which one must be near (``require`` of :func:`mgg_geo.analysis.whatif.first_if_counted`,
        None: any): what counting those that could change the first school would do goes into the summary, its
        columns named after them.
    """
    rows, steps, gains = [], [], []
    if schools is None or not len(schools):
        marked = _empty_schools()
    else:
        marked = mark(schools[schools["gemeente_code"].isin(list(municipalities))], running, province, programme)
    for code in municipalities:
        mine = marked[marked["gemeente_code"] == code]
        chosen = mine[mine["candidate"].astype(bool)]
        first = chosen.drop_duplicates("point")
        names = chosen.groupby("point")["name"].apply(lambda v: " / ".join(dict.fromkeys(map(str, v))))
        candidates = whatif.Candidates(
            xy=np.column_stack([first.geometry.x.to_numpy(), first.geometry.y.to_numpy()]) if len(first)
            else np.empty((0, 2)),
            code=first["point"].to_numpy(), name=names.reindex(first["point"]).to_numpy(),
            area=first["in_area"].to_numpy())
        scope = (province["gemeente_code"] == code).to_numpy()
        outcome = whatif.what_if(province, sites, scope=scope, points=points, k=k, demand=demand,
                                 objective="need", candidates=candidates)
        size = chosen.groupby("point").size()
        if len(outcome.sites):
            steps.append(outcome.sites.assign(gemeente_code=code, n_schools=outcome.sites["code"].map(size)))
            for _, step in outcome.sites.iterrows():
                marked.loc[marked["point"] == step["code"], "step"] = step["step"]
        if len(outcome.gains):
            gains.append(outcome.gains.assign(gemeente_code=code))
        rows.append({"gemeente_code": code, "programme": programme, "schools": int(len(mine)),
                     "runs": int(mine["runs"].astype(bool).sum()), "candidates": int(len(chosen)),
                     "unsure": int(mine["unsure"].astype(bool).sum()),
                     "points": int(len(first)),
                     "approximate": int(chosen["placement"].isin(initiatives.APPROXIMATE).sum()) if len(chosen) else 0,
                     "reason": outcome.reason, "reach_m": outcome.reach_m,
                     **{f"before_{key}": v for key, v in outcome.before.items()},
                     **{f"after_{key}": v for key, v in outcome.after.items()},
                     **whatif.firsts_if_counted(province, sites, kept_out, scope=scope, outcome=outcome,
                                                points=points, demand=demand, candidates=candidates)})
    sites_out = gpd.GeoDataFrame(pd.concat(steps, ignore_index=True), geometry="geometry",
                                 crs=settings.CRS_ANALYSIS) if steps else gpd.GeoDataFrame(
        {c: [] for c in [*whatif.STEP_COLUMNS, "area_name", "gemeente_code", "n_schools"]}, geometry=[],
        crs=settings.CRS_ANALYSIS)
    gains_out = pd.concat(gains, ignore_index=True) if gains else pd.DataFrame(
        columns=["step", "area", "gained", "need_class", "gemeente_code"])
    gains_out["area_name"] = gains_out["area"].map(province["name"]).astype(object)
    gains_out["partial_data"] = gains_out["area"].map(province["partial_data"]).fillna(False).astype(bool) \
        if "partial_data" in province else False
    summary = pd.DataFrame(rows).set_index("gemeente_code") if rows else pd.DataFrame()
    return SchoolChoice(marked, sites_out, gains_out, summary)

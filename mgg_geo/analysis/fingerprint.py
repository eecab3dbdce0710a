"""What a report is made from: a digest of the part of an :class:`~mgg_geo.analysis.chain.Analysis` it reads.

A municipality's report reads its own areas, the sites near it, its what-if
and school-based where-next (its own schools), its key figures and data
quality, and a few province-wide things (sources, map classes, outlines,
parameters). :func:`fingerprint` hashes exactly those
parts, so that a change elsewhere in the province (a register row in another
municipality) leaves the digest, and so the report, unchanged, while any
change that the report would show changes it. Fields of ``Analysis`` without a
rule here are hashed whole: a new field can make reports rebuild more often,
never go stale. The province overview (``code=None``) reads everything.

The moment of computation (``generated_at``) is not part of any digest: an
analysis recomputed from the same inputs gives the same reports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import geopandas as gpd
import pandas as pd

from mgg_geo.analysis.chain import Analysis

#: Keys that record when something ran, not what it is.
VOLATILE = ("generated_at",)


def _by_column(column: str):
    return lambda frame, code, result: frame[frame[column] == code] if column in frame else frame


def _by_index(frame, code, result):
    return frame[frame.index == code]


def _of_areas(frame, code, result):
    mine = result.areas.index[result.areas["gemeente_code"] == code]
    return frame[frame["code"].isin(mine)] if "code" in frame else frame


def _sites(frame, code, result):
    return result.sites_near(code)


def _register(register, code, result):
    near = result.sites_near(code)
    rows = register.initiatives
    keep = rows["gemeente_code"].eq(code) | rows.index.isin(near.index)
    return {"path": str(register.path), "reference_date": str(register.reference_date),
            "initiatives": rows[keep], "problems": [dataclasses.asdict(p) for p in register.problems
                                                    if p.row in set(rows.loc[keep, "row"])]}


#: Per field: the part a municipality's report reads (``(value, code, result) -> part``).
SLICES = {
    "areas": _by_column("gemeente_code"),
    "sites": _sites,
    "register": _register,
    "excluded": _by_column("gemeente_code"),
    "whatif_sites": _by_column("gemeente_code"),
    "whatif_areas": _by_column("gemeente_code"),
    "whatif": _by_index,
    "figures": _by_index,
    "quality": _by_column("report_gemeente"),
    "vintages": _of_areas,
    "totals": _by_index,
    "changes": _of_areas,
    "series": _of_areas,
    "comparison": _by_column("gemeente_code"),
    "schools": _by_column("gemeente_code"),
    "school_sites": _by_column("gemeente_code"),
    "school_gains": _by_column("gemeente_code"),
    "school_whatif": _by_index,
}


def _plain(value):
    """A JSON-able, order-stable form of ``value`` (frames with geometry as WKB)."""
    if isinstance(value, gpd.GeoDataFrame):
        frame = pd.DataFrame(value.drop(columns=[c for c in value.columns if isinstance(value[c], gpd.GeoSeries)]))
        for column in value.columns:
            if isinstance(value[column], gpd.GeoSeries):
                frame[column] = value[column].to_wkb(hex=True)
        value = frame
    if isinstance(value, pd.DataFrame):
        value = value.drop(columns=[c for c in VOLATILE if c in value.columns])
        return {"columns": [str(c) for c in value.columns], "index": [str(i) for i in value.index],
                "data": json.loads(value.to_json(orient="values", date_format="iso", default_handler=str,
                                                 double_precision=12))}
    if isinstance(value, pd.Series):
        return _plain(value.to_frame())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value):
        return _plain({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def fingerprint(result: Analysis, code: str | None = None) -> str:
    """The sha256 digest of what the report of municipality ``code`` reads (``None``: the province overview)."""
    digest = hashlib.sha256()
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if code is not None and f.name in SLICES:
            value = SLICES[f.name](value, code, result)
        digest.update(f.name.encode())
        digest.update(json.dumps(_plain(value), sort_keys=True, default=str).encode())
    return digest.hexdigest()

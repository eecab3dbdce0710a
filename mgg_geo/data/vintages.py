"""Indelingen: which evidence links two boundary years, the crosswalk built from it, and its cache.

Figures of one indeling reach the areas of another through a crosswalk
(:mod:`mgg_geo.data.crosswalks` derives one from each kind of evidence;
:mod:`mgg_geo.data.conversion` moves figures through it). This module knows
what evidence is at hand (:class:`Evidence`: boundaries and Kerncijfers of
each year, in the cache or from PDOK/CBS), plans the hops between two years,
and keeps the crosswalks in the cache.

How the evidence is combined (:func:`crosswalk`)
------------------------------------------------
The years from the source to the target indeling are walked through the
cheapest chain of hops (:func:`path`): a hop between two years whose
boundaries are both at hand uses geometry, checked against the indicator
and fingerprint chain between the same years (:func:`combine`); a hop to the
next year uses CBS's indicator (with fingerprints of both years where they
exist); any other hop uses fingerprints. Hops are chained with
:func:`compose`.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from mgg_geo.data import cache, kinds, regions, sources
from mgg_geo.data.crosswalks import (
    LINK_COLUMNS,
    UNMATCHED_COLUMNS,
    Crosswalk,
    combine,
    compose,
    fingerprint_frame,
    from_fingerprints,
    identity,
    label,
    links_frame,
    resolve_pending,
    unmatched_frame,
)
from mgg_geo.errors import DataError

_PLURAL = {"gemeente": "gemeenten", "wijk": "wijken", "buurt": "buurten"}


def plural(level: str) -> str:
    """The Dutch plural CBS uses for a level: gemeenten, wijken, buurten."""
    return _PLURAL.get(level, level)


def command(kind: str, level: str, year: int) -> str:
    """The file and the command of the offline route that adds one piece of evidence."""
    what = f"the {level} boundaries of {year}" if kind == "boundaries" else f"the Kerncijfers wijken en buurten {year}"
    return f"{what} ({kinds.get(kind).import_command(level=level, year=year)})"


def advice(level: str, year: int) -> str:
    """What to import so that areas of ``year`` can be linked at all: the commands of the offline route."""
    return f"import {command('boundaries', level, year)} or {command('kwb', level, year)}"


def link_advice(ev: Evidence | str, source: int, target: int, *, offline: bool = True) -> str:
    """The imports that would link the areas of ``source`` to those of ``target`` ("import A or B")."""
    if isinstance(ev, str):
        ev = Evidence(ev, offline=offline, source_year=source)
    options = missing(ev, source, target)
    if not options:
        options = [f"{command('boundaries', ev.level, source)} and {command('boundaries', ev.level, target)}"]
    return "import " + " or ".join(options)


class Evidence:
    """Everything at hand to link the areas of two years at one level (cache first, else CBS/PDOK).

    Parameters
    ----------
    level
        gemeente, wijk or buurt.
    offline
        Use the cache only.
    source_year, source_codes
        The indeling and the codes of the table being converted: they are the
        known codes of that year even where no boundaries or Kerncijfers are.
    """

    def __init__(self, level: str, *, offline: bool, source_year: int | None = None, source_codes=(),
                 assume: frozenset = frozenset()):
        self.level, self.offline = level, offline
        self.source_year, self.source_codes = source_year, tuple(source_codes)
        self.assume = assume  # {("boundaries" | "kwb", year)} taken as present (see :func:`missing`)
        self._bounds: dict[tuple[int, str], sources.Dataset | None] = {}
        self._kwb: dict[int, sources.Dataset | None] = {}
        self._fingerprints: dict[tuple[int, bool], pd.DataFrame | None] = {}
        self._buurten: dict[int, pd.DataFrame | None] = {}
        self.used: dict[str, dict] = {}

    def _use(self, data: sources.Dataset | cache.Entry | None) -> sources.Dataset | cache.Entry | None:
        if data is not None:
            m = data.manifest
            self.used[m["name"]] = {"name": m["name"], "sha256": m.get("sha256")}
        return data

    def _cached(self, kind: str, year: int, level: str | None = None) -> cache.Entry | None:
        """The cache entry of a kind of evidence, read from the manifests only (nothing is loaded)."""
        return cache.find(kind, year=year, level=level or self.level,
                          require=("land_area",) if kind == "kwb" else ())

    def boundaries(self, year: int, level: str | None = None) -> sources.Dataset | None:
        """Boundaries of ``year`` (at this level, or ``level``), or None; where none of that year are at hand,
        those CBS's indicator carries over from the year before (:meth:`carried`)."""
        key = (year, level or self.level)
        if key not in self._bounds:
            self._bounds[key] = sources.boundaries_at(year, key[1], offline=self.offline) \
                or self.carried(year, key[1])
        return self._bounds[key]

    def carried(self, year: int, level: str | None = None) -> sources.Dataset | None:
        """The boundaries of ``year`` by CBS's word: those of the year before (at hand, or carried themselves) for
        every municipality whose areas the Kerncijfers of ``year`` all declare unchanged since then (change
        indicator 1, and the same codes); None when no municipality qualifies.

        Groningen's wijken of 2022 are those of 2021 (KWB 2022: indicator 1 for all 20), so its 2022 figures
        reach the 2024 wijken through the overlap of the 2021 and 2024 boundaries, not through CBS's figures
        alone; Het Hogeland renumbered its wijken in 2022 (indicator 3) and is not carried. The manifest is that
        of the boundaries carried over, with ``carried_from`` (their year) and ``municipalities`` (those carried).
        """
        level = level or self.level
        if level != self.level or not self.has_kwb(year):
            return None
        fp = self.fingerprints(year, names=False)
        if fp is None or fp["boundary_change"].isna().all():
            return None
        before = self.boundaries(year - 1, level)
        if before is None:
            return None
        frame = before.frame
        if "code" not in frame.columns:
            frame = frame.reset_index()
        old = frame.groupby(frame["code"].map(regions.municipality_of))["code"].agg(set).to_dict()
        kept = sorted(gm for gm, rows in fp.groupby("gemeente_code")
                      if (rows["boundary_change"] == 1).all() and set(rows.index) == old.get(gm, set()))
        if not kept:
            return None
        manifest = {**before.manifest, "year": year, "indeling": year, "municipalities": kept,
                    "carried_from": before.manifest.get("carried_from", year - 1)}
        return sources.Dataset(frame[frame["code"].map(regions.municipality_of).isin(kept)].copy(), manifest)

    def kwb(self, year: int) -> sources.Dataset | None:
        """A Kerncijfers table of indeling ``year`` with land area per area at this level, or None."""
        if year not in self._kwb:
            self._kwb[year] = sources.kwb_at(year, self.level, require=("land_area",), offline=self.offline)
        return self._kwb[year]

    def fingerprints(self, year: int, *, names: bool = True) -> pd.DataFrame | None:
        """:func:`fingerprint_frame` of :meth:`kwb` (with ``names``: from the boundaries where the table has none)."""
        key = (year, names)
        if key not in self._fingerprints:
            data = self.kwb(year)
            bounds = self.boundaries(year) if data is not None and names else None
            known = {} if bounds is None else bounds.frame.set_index("code")["name"].dropna().astype(str).to_dict()
            self._fingerprints[key] = None if data is None else fingerprint_frame(data.frame, self.level, known)
        return self._fingerprints[key]

    def has_boundaries(self, year: int) -> bool:
        """Boundaries of ``year`` at this level are at hand (or assumed)."""
        if ("boundaries", year) in self.assume or self._cached("boundaries", year) is not None:
            return True
        return self.boundaries(year) is not None  # online from PDOK; else carried over (:meth:`carried`)

    def has_kwb(self, year: int) -> bool:
        """Kerncijfers of ``year`` at this level are at hand (or assumed)."""
        if ("kwb", year) in self.assume or self._cached("kwb", year) is not None:
            return True
        return not self.offline and self.kwb(year) is not None

    def indicator(self, year: int) -> bool:
        """Whether the Kerncijfers of ``year`` carry CBS's change indicator at this level."""
        if ("kwb", year) in self.assume:
            return True
        if not self.has_kwb(year):
            return False
        fp = self.fingerprints(year, names=False)
        return fp is not None and fp["boundary_change"].notna().any()

    def population(self, year: int) -> pd.Series | None:
        """Residents per code of indeling ``year`` (Kerncijfers), or None; without a table of that indeling, those
        of the next year's table for the codes CBS declares unchanged since ``year`` (change indicator 1: same code
        and boundary), the nearest count of the same area (e.g. the RIVM 2020 wijken of Groningen, weighted by
        their residents of 2021 rather than by their area)."""
        fp = self.fingerprints(year, names=False)
        if fp is not None and not fp["population"].isna().all():
            return fp["population"]
        later = self.fingerprints(year + 1, names=False)
        if later is None:
            return None
        same = later.loc[later["boundary_change"] == 1, "population"].dropna()
        return same if len(same) else None

    def codes(self, year: int) -> set[str]:
        """Every code of this level known in indeling ``year``."""
        out = set(self.source_codes) if year == self.source_year else set()
        for data in (self.boundaries(year), self.kwb(year)):
            if data is not None:
                out |= set(data.frame.loc[data.frame["level"] == self.level, "code"]) if "level" in data.frame \
                    else set(data.frame["code"])
        return out

    def buurt_entries(self, year: int) -> list[cache.Entry]:
        """The cache entries that list the buurten of indeling ``year``: buurt boundaries, and tables of that
        indeling with buurt rows (manifests only)."""
        out = [e for e in [self._cached("boundaries", year, "buurt")] if e is not None]
        return out + [e for e in cache.entries() if e.manifest.get("kind") in ("kwb", "health")
                      and sources.indeling_of(e.manifest) == year and e.manifest.get("levels", {}).get("buurt")]

    def buurten(self, year: int) -> pd.DataFrame | None:
        """The buurten of indeling ``year`` (``code``, ``name``, ``wijk``) from boundaries or any table of that
        indeling with buurt rows; None when none are at hand."""
        if year in self._buurten:
            return self._buurten[year]
        parts = []
        bounds = self.boundaries(year, "buurt")
        if bounds is not None:
            parts.append(bounds.frame[["code", "name"]])
        for entry in self.buurt_entries(year):
            if entry.manifest.get("kind") == "boundaries":
                continue
            frame = self._use(sources.Dataset(entry.load(), entry.manifest)).frame
            rows = frame[frame["level"] == "buurt"]
            parts.append(rows[["code"]].assign(name=rows["name"] if "name" in rows else pd.NA))
        if not parts:
            self._buurten[year] = None
            return None
        self._use(bounds)
        out = pd.concat(parts, ignore_index=True)
        out["name"] = out["name"].astype(object).where(out["name"].notna(), "")
        out = out.sort_values("name", ascending=False).drop_duplicates("code")
        out["wijk"] = "WK" + out["code"].str[2:8]
        self._buurten[year] = out.reset_index(drop=True)
        return self._buurten[year]


#: Cost of a hop by the evidence it uses (the cheapest chain of hops wins).
HOP_COST = {"geometry": 1, "indicator": 2, "fingerprint": 3}


def hop_kind(ev: Evidence, a: int, b: int, *, geometry: bool = True) -> str | None:
    """The strongest kind of hop from indeling ``a`` to ``b`` with the evidence at hand, or None."""
    if geometry and ev.has_boundaries(a) and ev.has_boundaries(b):
        return "geometry"
    if b == a + 1 and ev.indicator(b):
        return "indicator"
    if ev.has_kwb(a) and ev.has_kwb(b):
        return "fingerprint"
    return None


def missing(ev: Evidence, source: int, target: int, *, geometry_only: bool = False) -> list[str]:
    """The single imports that would link ``source`` to ``target`` (or, with ``geometry_only``, give both years'
    geometry), as file-and-command texts; the boundaries first."""
    options = []
    for kind in ("boundaries",) if geometry_only else ("boundaries", "kwb"):
        for year in (source, target):
            present = ev.has_boundaries(year) if kind == "boundaries" else ev.has_kwb(year)
            if present:
                continue
            trial = Evidence(ev.level, offline=True, source_year=ev.source_year, source_codes=ev.source_codes,
                             assume=ev.assume | {(kind, year)})
            trial._bounds, trial._kwb = ev._bounds, ev._kwb
            if geometry_only:
                ok = trial.has_boundaries(source) and trial.has_boundaries(target)
            else:
                ok = path(trial, source, target) is not None
            if ok:
                options.append(command(kind, ev.level, year))
    if geometry_only and not options:
        options = [command("boundaries", ev.level, y) for y in (source, target) if not ev.has_boundaries(y)]
        options = [" and ".join(options)] if options else []
    return options


def path(ev: Evidence, source: int, target: int, *, geometry: bool = True) -> list[tuple[int, int, str]] | None:
    """The cheapest chain of hops ``source -> ... -> target`` (:data:`HOP_COST`), or None when none exists."""
    step = 1 if target >= source else -1
    years = list(range(source, target + step, step))
    best: dict[int, tuple[float, list]] = {source: (0.0, [])}
    for i, a in enumerate(years):
        if a not in best:
            continue
        for b in years[i + 1:]:
            kind = hop_kind(ev, a, b, geometry=geometry)
            if kind is None:
                continue
            cost = best[a][0] + HOP_COST[kind]
            if b not in best or cost < best[b][0]:
                best[b] = (cost, best[a][1] + [(a, b, kind)])
    return best[target][1] if target in best else None


def _hop(ev: Evidence, a: int, b: int, kind: str) -> Crosswalk:
    level = ev.level
    if kind == "geometry":
        hint = _non_geometric(ev, a, b)
        fp_a, fp_b = ev.fingerprints(a), ev.fingerprints(b)
        for data in (ev.boundaries(a), ev.boundaries(b), ev.kwb(a), ev.kwb(b)):
            ev._use(data)
        source, target = ev.boundaries(a).frame, ev.boundaries(b).frame
        kept = _covered(ev.boundaries(a), ev.boundaries(b), a, b)
        if kept is not None:  # boundaries carried over for some municipalities only: the geometry of those
            source = source[source["code"].map(regions.municipality_of).isin(
                {old for gm in kept for old in regions.predecessors(gm, a, b)})]
            target = target[target["code"].map(regions.municipality_of).isin(kept)]
        cw = combine(source, target, level=level, source_year=a, target_year=b,
                     hint=hint, fingerprints=(fp_a, fp_b) if fp_a is not None and fp_b is not None else None,
                     population=ev.population(a), target_population=ev.population(b))
        return cw if kept is None else _fill(cw, hint, ev.boundaries(b).frame, kept)
    ev._use(ev.kwb(a))
    ev._use(ev.kwb(b))
    cw = from_fingerprints(ev.fingerprints(a), ev.fingerprints(b), level=level, source_year=a, target_year=b,
                           indicator=kind == "indicator", source_codes=ev.codes(a))
    if not cw.pending.empty and level == "wijk":
        old, new = ev.buurten(a), ev.buurten(b)
        if old is not None and new is not None:
            cw = resolve_pending(cw, old, new)
    return cw


def _municipalities(data: sources.Dataset) -> set[str]:
    """The municipalities whose areas a boundary layer holds (those carried over, :meth:`Evidence.carried`)."""
    if "municipalities" in data.manifest and "carried_from" in data.manifest:
        return set(data.manifest["municipalities"])
    codes = data.frame["code"] if "code" in data.frame.columns else data.frame.index.to_series()
    return set(codes.map(regions.municipality_of))


def _covered(source: sources.Dataset, target: sources.Dataset, a: int, b: int) -> set[str] | None:
    """The municipalities of indeling ``b`` that the geometry of a hop ``a -> b`` covers, with all the municipalities
    they were formed from; None when neither layer is carried over (:meth:`Evidence.carried`): all of them."""
    if "carried_from" not in source.manifest and "carried_from" not in target.manifest:
        return None
    old, new = _municipalities(source), _municipalities(target)
    return {gm for gm in new if all(o in old for o in regions.predecessors(gm, a, b))}


def _fill(cw: Crosswalk, hint: Crosswalk | None, target: pd.DataFrame, kept: set[str]) -> Crosswalk:
    """``cw`` (the geometry of the municipalities ``kept``) with the areas of the other municipalities from
    ``hint`` (CBS's indicator and figures between the same years); without ``hint`` they are unmatched."""
    olds = {o for gm in kept for o in regions.predecessors(gm, cw.source, cw.target)}

    def outside(codes: pd.Series, among: set[str] = kept) -> pd.Series:
        return ~codes.map(regions.municipality_of).isin(among)

    codes = target["code"] if "code" in target.columns else target.index.to_series()
    if hint is None:
        names = _target_names(target)
        rest = sorted(c for c in codes if regions.municipality_of(c) not in kept)
        extra = unmatched_frame([{"code": c, "side": "to", "name": names.get(c, ""), "cause": "no_evidence",
                                  "reason": f"no {cw.source} {cw.level} boundaries of {regions.municipality_of(c)} "
                                            f"(CBS does not declare them unchanged) and no Kerncijfers of both years"}
                                 for c in rest])
        links, pending, names_s, names_t = cw.links, cw.pending, cw.source_names, {**names, **cw.target_names}
    else:
        links = pd.concat([cw.links[LINK_COLUMNS], hint.links.loc[outside(hint.links["to_code"]), LINK_COLUMNS]],
                          ignore_index=True)
        unmatched = hint.unmatched
        extra = unmatched[((unmatched["side"] == "to") & outside(unmatched["code"]))
                          | ((unmatched["side"] == "from") & outside(unmatched["code"], olds))]
        pending = pd.concat([cw.pending, hint.pending[outside(hint.pending["to_code"])]], ignore_index=True)
        names_s, names_t = {**hint.source_names, **cw.source_names}, {**hint.target_names, **cw.target_names}
    unmatched = pd.concat([u for u in (cw.unmatched, extra) if len(u)], ignore_index=True) \
        if len(cw.unmatched) or len(extra) else unmatched_frame([])
    return Crosswalk(cw.level, cw.source, cw.target, cw.method, label(links[LINK_COLUMNS], names_s, names_t),
                     unmatched, names_s, names_t, cw.inputs, pending=links_frame(pending.to_dict("records")))


def _target_names(frame: pd.DataFrame) -> dict[str, str]:
    if "name" not in frame.columns:
        return {}
    codes = frame["code"] if "code" in frame.columns else frame.index.to_series()
    return dict(zip(codes, frame["name"].astype(object).where(frame["name"].notna(), ""), strict=True))


def _walk(ev: Evidence, hops: list[tuple[int, int, str]]) -> Crosswalk:
    cw = None
    for a, b, kind in hops:
        step = _hop(ev, a, b, kind)
        cw = step if cw is None else compose(cw, step)
    return cw


def _non_geometric(ev: Evidence, a: int, b: int) -> Crosswalk | None:
    """The indicator and fingerprint chain between two years (exact links resolved where buurten allow)."""
    hops = path(ev, a, b, geometry=False)
    if not hops:
        return None
    cw = _walk(ev, hops)
    if not cw.pending.empty and ev.level == "wijk":
        cw = resolve_pending(cw, ev.buurten(a), ev.buurten(b))
    return cw


def derive(level: str, source: int, target: int, *, offline: bool = False, source_codes=(),
           evidence: Evidence | None = None) -> Crosswalk | None:
    """The crosswalk ``source -> target`` from the evidence at hand (module docstring), or None without any."""
    ev = evidence or Evidence(level, offline=offline, source_year=source, source_codes=source_codes)
    hops = path(ev, source, target)
    if not hops:
        return None
    cw = _walk(ev, hops)
    if not cw.pending.empty:
        cw = resolve_pending(cw, ev.buurten(source) if level == "wijk" else None,
                             ev.buurten(target) if level == "wijk" else None)
    cw.method = "+".join(kind for _, _, kind in hops)
    cw.inputs = sorted(ev.used.values(), key=lambda i: i["name"])
    return cw


def crosswalk(level: str, source: int, target: int, *, offline: bool = False, source_codes=()) -> Crosswalk:
    """The crosswalk ``source -> target`` at ``level`` from the best evidence at hand, cached.

    Boundaries and Kerncijfers of every year from ``source`` to ``target``
    come from the cache and, unless ``offline``, from CBS/PDOK. The result is
    stored in the cache as ``crosswalk_<level>_<source>_<target>`` with its
    inputs in the manifest, and reused while those inputs (and the codes to
    convert) are unchanged.

    Parameters
    ----------
    source_codes
        The codes of the table to convert: known codes of the source year, and
        when no evidence exists at all each is listed as unmatched with the
        reason and the files that would link it.
    """
    if source == target:
        return identity(level, target, source_codes)
    codes = sorted(set(source_codes))
    ev = Evidence(level, offline=offline, source_year=source, source_codes=codes)
    hops = path(ev, source, target)
    if not hops:
        reason = (f"nothing links the {plural(level)} of {source} to those of {target}: "
                  f"{link_advice(ev, source, target)}")
        rows = [{"code": c, "side": "from", "name": "", "reason": reason, "cause": "no_evidence"} for c in codes]
        return Crosswalk(level, source, target, "none", label(links_frame([]), {}, {}), unmatched_frame(rows))
    # the inputs the derivation may read (their manifests), to find a stored crosswalk derived from the same files
    for year in range(min(source, target), max(source, target) + 1):
        for kind in ("boundaries", "kwb"):
            ev._use(ev._cached(kind, year) or (ev.boundaries(year) if kind == "boundaries" else ev.kwb(year)))
        for entry in ev.buurt_entries(year) if level == "wijk" else []:
            ev._use(entry)
    inputs = sorted(ev.used.values(), key=lambda i: i["name"])
    digest = hashlib.sha256("\n".join(codes).encode()).hexdigest()[:16]
    name = f"crosswalk_{level}_{source}_{target}"
    stored = [e for e in cache.entries("crosswalk") if e.manifest.get("name") == name]
    for entry in stored:
        m = entry.manifest
        if m.get("inputs") == inputs and m.get("version") == _VERSION and m.get("codes") == digest:
            try:
                return _from_frame(entry.load(), m)
            except DataError:
                break
    result = derive(level, source, target, offline=offline, source_codes=codes, evidence=ev)
    result.inputs = inputs
    geometry = missing(ev, source, target, geometry_only=True)
    if geometry and len(result.unmatched):
        hint = f"; the boundaries of both years would show how: import {' or '.join(geometry)}"
        result.unmatched = result.unmatched.assign(
            reason=result.unmatched["reason"].where(result.unmatched["cause"] == "no_overlap",
                                                    result.unmatched["reason"] + hint))
    cache.store(_to_frame(result), {"kind": "crosswalk", "year": target, "name": name, "level": level,
                                    "source_indeling": source, "indeling": target, "method": result.method,
                                    "inputs": inputs, "codes": digest, "version": _VERSION, "columns": {},
                                    "title": f"crosswalk {level} {source} -> {target} ({result.method})",
                                    "retrieved_at": cache.now_utc()})
    return result


#: Bumped whenever the derivation rules change, so cached crosswalks are derived again.
_VERSION = 8


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
    links = links.astype({c: object for c in ("from_code", "to_code", "tier", "evidence", "relation")})
    unmatched = frame[frame["record"] == "unmatched"][UNMATCHED_COLUMNS].astype(object).reset_index(drop=True)
    names = {record: frame[frame["record"] == record].set_index("code")["name"].astype(str).to_dict()
             for record in ("source_name", "target_name")}
    return Crosswalk(manifest["level"], manifest["source_indeling"], manifest["indeling"], manifest["method"], links,
                     unmatched, names["source_name"], names["target_name"], manifest.get("inputs", []))



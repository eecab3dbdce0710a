"""The ``mgg-geo`` command line (also ``python -m mgg_geo``).

Exit codes
----------
0
    Done.
1
    Findings in the input: the register or an imported file has errors
    (each listed with file, row and column), or a report of the batch failed.
2
    Usage or environment error: a bad option, a missing file, no cached data
    offline, an unreachable service.

Every error is one line on standard error, starting with ``error:`` and
naming the option, file or URL; never a traceback (set ``MGG_DEBUG=1`` to see
one). Warnings print as ``warning:`` lines. Output piped into ``head`` ends
quietly.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
import warnings
from pathlib import Path

from mgg_geo import __version__, rules
from mgg_geo.checks import absolute, check_choice, check_date, check_float, check_int, check_year
from mgg_geo.data import kinds, regions
from mgg_geo.errors import MggError, ParameterError, RegisterError
from mgg_geo.text import cell

OK, FINDINGS, USAGE = 0, 1, 2
#: ``mgg-geo import shared``: the example files of the shared data folder (every other import is a source kind).
SHARED = "shared"


#: What ``mgg-geo --help`` says first (plain text: the terminal shows it as it is).
DESCRIPTION = ("Where should the next mental-health prevention effort in the province of Groningen go? Need, "
               "coverage and coverage gaps per wijk or buurt from open CBS/RIVM/PDOK data and the initiative "
               "register; Dutch reports for policy advisors.")
#: Short examples for the common tasks, under ``mgg-geo --help`` (each subcommand has its own).
EXAMPLES = {
    None: """examples:
  one report as PDF (and HTML), offline from the cache:
    mgg-geo reports --gemeente "Het Hogeland" --offline --pdf --out rapporten
  the area table as Excel (one sheet per municipality, Dutch headers):
    mgg-geo analyse --gemeente Pekela --out pekela.xlsx
  check my register (every problem with its row and column):
    mgg-geo register check mijn-register.csv --offline
  without internet: load the example files once, then add --offline:
    mgg-geo import shared ../shared/data

exit status: 0 ok, 1 findings in the input (or a report failed), 2 usage or environment error.
'mgg-geo command --help' shows the options of a command.""",
    "reports": """examples:
  mgg-geo reports --gemeente "Het Hogeland" --offline --pdf --out rapporten
  mgg-geo reports --offline                     # all ten municipalities and the overview into reports/
  mgg-geo reports --gemeente GM0014 --level buurt --force""",
    "analyse": """examples:
  mgg-geo analyse --gemeente Pekela --out pekela.xlsx          # Excel for advisors
  mgg-geo analyse --gemeente all --out wijken.gpkg --offline   # GeoPackage with the geometry, for GIS
  mgg-geo analyse --out wijken.csv --weights armoede=2,wonen=1""",
    "check": """examples:
  mgg-geo register check mijn-register.csv --offline
  mgg-geo register check data/initiatives/register.csv --reference-date 2026-01-01""",
    "import": """examples:
  mgg-geo import shared ../shared/data
  mgg-geo import kwb kwb-2023.xlsx --year 2023
  mgg-geo import boundaries wijken_2024.geojson --level wijk --year 2024""",
}


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors and exit code 2; help texts shown as written (examples keep their lines)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        message = re.sub(r"^argument [^:]+: (--[\w-]+: )", r"\1", message)  # the option is named once
        print(f"error: {message} (see '{self.prog} --help')", file=sys.stderr)
        raise SystemExit(USAGE)


class _Findings(MggError):
    """The input has problems that were listed; exit 1."""


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    print(f"warning: {message}", file=sys.stderr)


def _table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [[cell(v, "") for v in row] for row in rows]  # missing (None, NaN, <NA>) as empty
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- argument types


def _typed(check, name: str, **kw):
    """An argparse type from a checker of :mod:`mgg_geo.analysis.parameters` (its error names the option)."""
    def convert(text: str):
        if not text.strip():  # on the command line an empty value is a mistake, never "the default"
            raise argparse.ArgumentTypeError(f"--{name.replace('_', '-')}: an empty value is not allowed.")
        try:
            return check(name, text, **kw)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    convert.__name__ = name
    return convert


def _existing_file(text: str) -> Path:
    if not text.strip() or not absolute(text).is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file.")
    return absolute(text)


def _out_file(text: str) -> Path:
    try:
        return _check_out_file(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _check_out_file(text: str) -> Path:
    path = Path(text).expanduser()
    if path.suffix.lower() not in (".gpkg", ".csv", ".xlsx"):
        raise ParameterError(f"--out: {path} must end in .gpkg, .csv or .xlsx.")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise ParameterError(f"--out: {parent} is a file, not a folder.")
    if not parent.exists():
        raise ParameterError(f"--out: the folder {parent} does not exist.")
    if not os.access(parent, os.W_OK):
        raise ParameterError(f"--out: cannot write to the folder {parent}.")
    if path.is_dir():
        raise ParameterError(f"--out: {path} is a folder; give a file name ending in .gpkg, .csv or .xlsx.")
    return path


def _table_id(text: str) -> str:
    if not re.fullmatch(r"\d{5}NED", text.strip(), flags=re.IGNORECASE):
        raise argparse.ArgumentTypeError(f"--table: {text!r} is not a CBS table id such as 85039NED.")
    return text.strip().upper()


# --------------------------------------------------------------------------- commands


def cmd_import(args) -> int:
    """``mgg-geo import <kind>|shared``: manual downloads into the cache (offline route; kinds: the source
    registry, :mod:`mgg_geo.data.kinds`)."""
    from mgg_geo.data import imports
    from mgg_geo.errors import DataError

    try:
        if args.kind == SHARED:
            stored = imports.import_shared(args.file, if_empty=args.if_empty)
            if args.if_empty and not stored:
                print("cache already filled; nothing imported (run 'mgg-geo data status')")
                return OK
        else:
            kind = kinds.get(args.kind)
            stored = kind.import_file(args.file, **{kinds.IMPORT_OPTIONS[o]: getattr(args, o) for o in kind.options})
    except DataError as exc:
        if args.kind == SHARED:
            raise
        raise _Findings(str(exc)) from exc
    for entry in stored:
        m = entry.manifest
        levels = ", ".join(f"{n} {lvl}" for lvl, n in m["levels"].items())
        print(f"imported {m['kind']} {m['year']} ({m.get('table_id')}): {m['rows']} rows ({levels}), "
              f"{len(m['columns'])} indicator columns -> {entry.name}")
    return OK


def cmd_status(args) -> int:
    """``mgg-geo data status``: what the cache holds, per source table and indeling."""
    from mgg_geo import settings
    from mgg_geo.data import cache, sources
    from mgg_geo.errors import CacheError

    entries = cache.entries(warn=False)  # damaged ones are listed here instead
    damaged = cache.damaged()
    for message in damaged:
        print(f"damaged: {message}")
    if not entries:
        print(f"The cache ({settings.CACHE_DIR}) is {'without usable entries' if damaged else 'empty'}. Run "
              "'mgg-geo data fetch' (online) or 'mgg-geo import ...' (offline route; see README).")
        return OK
    rows = []
    for e in entries:
        m = e.manifest
        levels = ", ".join(f"{lvl} {n}" for lvl, n in m.get("levels", {}).items())
        munis = m.get("municipalities", [])
        current = len([c for c in munis if c in regions.MUNICIPALITIES])
        former = len([c for c in munis if c in regions.FORMER_MUNICIPALITIES])
        kind = kinds.of_manifest(m)
        rows.append([kind.name if kind else m["kind"], m.get("table_id") or "-", m["year"],
                     m.get("indeling", m["year"]), levels, m["rows"],
                     f"{current}" + (f" (+{former} of 2020)" if former else ""),
                     m.get("origin"), (m.get("retrieved_at") or "")[:10]])
    print(f"Cache: {settings.CACHE_DIR}\n")
    print(_table(rows, ["source", "table", "year", "indeling", "levels (rows)", "rows", "municipalities", "origin",
                        "retrieved"]))
    bounds = cache.find(kinds.BOUNDARIES.cache_kind, level="wijk")
    try:
        frame = bounds.load() if bounds is not None else None
    except CacheError as exc:
        print(f"\ndamaged: {exc}")
        frame = None
    if frame is not None:
        year = bounds.manifest["year"]
        figures = {e.name: e for e in entries if getattr(kinds.of_manifest(e.manifest), "role", None) == "figures"
                   and e.manifest.get("levels", {}).get("wijk")}
        same = {name: e for name, e in figures.items() if sources.indeling_of(e.manifest) == year}
        loaded = {}
        for name, e in same.items():
            try:
                loaded[name] = set(e.load().query("level == 'wijk'")["code"])
            except CacheError as exc:
                print(f"damaged: {exc}")
        print(f"\nWijken per municipality (boundaries {year}; columns: wijken with figures in each table on the "
              f"{year} indeling)\n")
        rows = []
        for code, name in regions.MUNICIPALITIES.items():
            wijken = frame[frame["gemeente_code"] == code].sort_values("code")
            rows.append([code, name, len(wijken)] + [len(set(wijken["code"]) & codes) for codes in loaded.values()])
        print(_table(rows, ["code", "municipality", "wijken"] + list(loaded)))
        other = sorted(name for name in figures if name not in same)
        if other:
            print(f"\nOn another indeling (moved onto the {year} wijken through a crosswalk; see "
                  f"'mgg-geo data vintages'): {', '.join(other)}")
        if args.areas:
            for code, name in regions.MUNICIPALITIES.items():
                wijken = frame[frame["gemeente_code"] == code].sort_values("code")
                print(f"\n{code} {name} ({len(wijken)} wijken)")
                for wcode, wname in zip(wijken["code"], wijken["name"], strict=True):
                    print(f"    {wcode}  {wname}")
    return OK


def cmd_vintages(args) -> int:
    """Print, per municipality, how each area gets its figures: source areas, relation, evidence and share."""
    from mgg_geo.data import areas, crosswalks, vintages

    if (args.source is None) != (args.target is None):
        raise ParameterError("--from and --to go together.")
    if args.source is not None:
        walks = {f"indeling {args.source}": vintages.crosswalk(args.level, args.source, args.target,
                                                                offline=args.offline)}
        frame = None
    else:
        frame = areas.build(args.level, offline=args.offline)
        walks = frame.crosswalks
        used = ", ".join(f"{k} {m.get('table_id')} {m['year']} (indeling {m.get('indeling')})"
                         for k, m in frame.sources.items())
        print(f"Tables used: {used}")
    print("Evidence, strongest first: " + "; ".join(f"{k}: {v}" for k, v in crosswalks.EVIDENCE.items()))
    for label, cw in walks.items():
        print(f"\n{label}: {cw.level} {cw.source} -> {cw.target}, method: {cw.method}"
              + (f"; inputs: {', '.join(i['name'] for i in cw.inputs)}" if cw.inputs else ""))
        prov = None if frame is None else frame.vintages[frame.vintages["source"] == label].set_index("code")
        for code in args.gemeente:
            rows, counts = _vintage_rows(cw, prov, code, frame, show_all=args.all)
            if not counts:
                continue
            summary = ", ".join(f"{n} {relation}" for relation, n in counts.items())
            print(f"\n{code} {regions.MUNICIPALITIES[code]}: {summary}")
            if rows:
                print(_table(rows, ["area", "name", "relation", "evidence", "from", "from name", "share", "detail"]))
    if frame is not None and len(frame.totals):
        print("\nResidents: sum over the areas against CBS's municipality row")
        rows = [[gm, regions.MUNICIPALITIES.get(gm, gm), f"{t['areas']:.0f}", f"{t['gemeente']:.0f}",
                 f"{t['difference']:+.0f}", "ok" if t["ok"] else "CHECK"] for gm, t in frame.totals.iterrows()
                if gm in args.gemeente]
        print(_table(rows, ["code", "municipality", "areas", "CBS", "difference", "within rounding"]))
    return OK


def _vintage_rows(cw, prov, code: str, frame, *, show_all: bool) -> tuple[list[list], dict[str, int]]:
    """The rows of ``data vintages`` for one municipality: one per source area of each target area (share = the
    part of the target's rate that comes from it), and the number of areas per relation."""
    import pandas as pd

    from mgg_geo.data import crosswalks

    links = cw.links.groupby("to_code")
    if frame is not None:
        targets = sorted(frame.areas.index[frame.areas["gemeente_code"] == code])
        names = frame.areas["name"]
    else:
        gms = {code} | set(regions.predecessors(code, cw.source, cw.target))
        targets = sorted(c for c in set(cw.links["to_code"]) | set(cw.unmatched.loc[cw.unmatched["side"] == "to",
                                                                                     "code"])
                         if regions.is_area_code(c) and regions.municipality_of(c) in gms)
        names = pd.Series(cw.target_names, dtype=object)
    lost = cw.unmatched[cw.unmatched["side"] == "to"].drop_duplicates("code").set_index("code")
    rows, counts = [], {}
    for target in targets:
        p = prov.loc[target] if prov is not None and target in prov.index else None
        relation = p["relation"] if p is not None else links.get_group(target)["relation"].iloc[0] \
            if target in links.groups else None
        relation = relation if isinstance(relation, str) else "missing"
        withheld = p["withheld"] if p is not None and isinstance(p.get("withheld"), str) else None
        key = f"{relation} ({withheld})" if withheld else relation
        counts[key] = counts.get(key, 0) + 1
        if relation == "same" and not withheld and not show_all:
            continue
        name = cell(names.get(target), "")
        if relation == "average":
            rows.append([target, name, relation, "average", p["from_codes"], "", "average", p["evidence"]])
        elif relation == "missing":
            reason = p["reason"] if p is not None else lost["reason"].get(target, "no link")
            rows.append([target, name, "missing", "", "", "", "", reason])
        else:
            for i, r in enumerate(links.get_group(target).sort_values("rate_weight", ascending=False).itertuples()):
                detail = r.evidence + (f"; rates withheld: {crosswalks.CAUSES[withheld]}" if withheld and i == 0
                                       else "")
                rows.append([target if i == 0 else "", name if i == 0 else "", relation if i == 0 else "", r.tier,
                             r.from_code, cell(cw.source_names.get(r.from_code), ""), f"{r.rate_weight:.2f}", detail])
    return rows, counts


def cmd_fetch(args) -> int:
    """``mgg-geo data fetch``: download KWB, RIVM and boundaries from CBS/PDOK into the cache."""
    from mgg_geo.data import sources

    kwb = sources.kwb(args.year, refresh=args.refresh)
    print(f"KWB: {kwb.label}: {len(kwb.frame)} rows")
    year = args.boundary_year or kwb.manifest["year"]
    health = sources.health(args.health_year, level=args.level, indeling=year, refresh=args.refresh)
    print(f"RIVM: {health.label}: {len(health.frame)} rows")
    for level in ("gemeente", "wijk", "buurt"):
        b = sources.boundaries(year, level, refresh=args.refresh)
        print(f"boundaries {level} {year}: {len(b.frame)} areas")
    return OK


def cmd_register_check(args) -> int:
    """``mgg-geo register check FILE``: validate and place a register; exit 1 when it has errors."""
    from mgg_geo.supply import initiatives

    try:
        register = initiatives.load(args.file, reference_date=args.reference_date,
                                    geocode=not (args.no_geocode or args.offline), offline=args.offline, strict=False,
                                    count_status=tuple(s for s in (args.include_status or "").split(",") if s))
    except RegisterError as exc:
        raise _Findings(str(exc)) from exc
    problems = register.problems
    if problems:
        rows = [[p.severity, p.row or "", p.column or "", p.message] for p in problems]
        print(_table(rows, ["severity", "row", "column", "problem"]))
        print()
    frame = register.initiatives
    placed = frame.groupby("placement").size().to_dict() if len(frame) else {}
    print(f"{args.file}: {len(frame)} initiative(s) placed ({', '.join(f'{n} {k}' for k, n in placed.items())}); "
          f"{int(frame['active'].sum()) if len(frame) else 0} active on {register.reference_date}; "
          f"{len(register.errors)} error(s), {len(register.warnings)} warning(s).")
    if len(frame):
        per = frame.groupby("gemeente_code").size()
        print("per municipality: " + ", ".join(f"{regions.MUNICIPALITIES.get(c, c)} {n}" for c, n in per.items()))
        statuses = frame["status"].value_counts()
        counted = ", ".join(["actief", *(s for s in (args.include_status or "").split(",") if s)])
        print("per status: " + ", ".join(f"{s} {int(statuses[s])}" for s in initiatives.STATUSES if s in statuses)
              + f" (counted for coverage: {counted})")
    return FINDINGS if register.errors else OK


def cmd_register_build(args) -> int:
    """``mgg-geo register build``: the register from the facts, the age ranges, the school list and the curated
    file; prints what changed; exit 1 (nothing written) when the result does not pass the register check."""
    from mgg_geo import settings
    from mgg_geo.errors import DataError
    from mgg_geo.supply import initiatives, registry

    args.out = args.out or Path(settings.REGISTER_PATH)
    layers = initiatives.boundary_layers(offline=args.offline)
    try:
        built = registry.build(args.facts, args.ages, args.curated, args.schools, layers=layers)
    except DataError as exc:  # a finding in the inputs: named by file, row and column
        raise _Findings(str(exc)) from exc
    before = registry.read_register(args.out)
    found = registry.changes(before, built.rows)
    print(f"Inputs: {', '.join(f'{k} {v}' for k, v in built.inputs.items() if v)}")
    for change in found:
        print(f"  {change}")
    for name, why in built.left_out:
        if not why.startswith("kind "):
            print(f"  left out: {name} ({why})")
    for name, note in built.notes:
        print(f"  note: {name}: {note}")
    rows = built.rows
    status = rows["status"].value_counts()
    kinds = {k: sum(c.kind == k for c in found) for k in ("added", "changed", "removed")}
    providers = sum(why.startswith("kind ") for _, why in built.left_out)
    print(f"{len(rows)} row(s) ({len(before)} before): {kinds['added']} added, {kinds['changed']} changed, "
          f"{kinds['removed']} removed, {len(rows) - kinds['added'] - kinds['changed']} unchanged; status "
          + ", ".join(f"{s} {int(status.get(s, 0))}" for s in initiatives.STATUSES if status.get(s, 0))
          + f"; {providers} provider row(s) of the facts not in the register.")
    per = rows.groupby("gemeente").size()
    print("per municipality: " + ", ".join(f"{g} {n}" for g, n in per.items()))
    if args.dry_run:
        print(f"dry run: {args.out} not written.")
        return OK
    if not found and before.shape[0] == len(rows) and list(before.columns) == list(registry.REGISTER_COLUMNS):
        print(f"{args.out}: no change.")
        return OK

    def check(path):
        register = initiatives.load(path, boundaries=layers, geocode=False, strict=False)
        if register.errors:
            raise _Findings(f"the built register has {len(register.errors)} error(s); {args.out} was not "
                            "changed:\n" + "\n".join(f"  {p}" for p in register.errors[:20]))

    registry.write(rows, args.out, check=check)
    print(f"wrote {args.out}; check it with 'mgg-geo register check {args.out}'.")
    return OK


def _parameters(args):
    """The :class:`~mgg_geo.analysis.parameters.ReportParameters` of an ``analyse`` or ``reports`` call.

    Every field comes from the option of the same name (``--min-population`` -> ``min_population``);
    ``--gemeente``, ``--register`` and ``--no-geocode`` give ``municipalities``, ``register_path`` and
    ``geocode``.
    """
    from dataclasses import fields

    from mgg_geo.analysis.parameters import ReportParameters

    values = {f.name: getattr(args, f.name) for f in fields(ReportParameters) if f.name in vars(args)}
    return ReportParameters(**values, municipalities=args.region, register_path=args.register,
                            geocode=not args.no_geocode)


def cmd_analyse(args) -> int:
    """``mgg-geo analyse``: run the analysis and write the area table (GPKG, CSV or XLSX)."""
    from mgg_geo import analysis
    from mgg_geo.present import export

    args.region = args.gemeente
    params = _parameters(args)
    # offline the analysis depends on the cache alone, so a saved one is reused; online it would serve this
    # command only (mgg_geo.analysis.memo), so it is computed without being saved
    result = analysis.run_cached(params) if params.offline else analysis.run(params)
    path = export.write(result, args.out)
    frame = result.areas
    target = int((frame["gap_class"] == rules.TARGET_CLASS).sum())
    within = f"within {result.parameters['reach_m'] / 1000:g} km"
    low, high = rules.RANK_PERCENTILES
    print(f"{len(frame)} {args.level}en, {int(frame['ranked'].sum())} ranked, {target} with high need and low "
          f"coverage -> {path}")
    top = result.priorities(top=3)
    rows = [[r["gemeente_name"], int(r["priority"]), code,
             r["name"] + (" [onvolledige gegevens]" if r.get("partial_data") else ""),
             "-" if r["need_index"] != r["need_index"] else f"{r['need_index']:.2f}",
             "-" if r["rank_p05"] != r["rank_p05"] else f"{r['rank_p05']:.0f}-{r['rank_p95']:.0f}",
             f"{100 * r['reach']:.0f}%", "-" if r["nearest_km"] != r["nearest_km"] else f"{r['nearest_km']:.1f}",
             f"{r['need_class']:.0f}-{r['coverage_class']:.0f}"] for code, r in top.iterrows()]
    print(_table(rows, ["municipality", "priority", "code", "name", "need", f"rank {low:g}-{high:g}%", within,
                        "nearest km", "class"]))
    sites = result.whatif_sites
    if len(sites):
        print(f"\nWhat-if (new sites per municipality, target population newly {within}; each person weighted by "
              "the need class of their area):")
        rows = [[r["gemeente_code"], int(r["step"]), r["code"], r["name"], f"{r['new_population']:.0f}",
                 f"{r['new_high_need']:.0f}"] for _, r in sites.iterrows()]
        print(_table(rows, ["municipality", "step", "buurt", "name", "newly reached", "of whom in high need"]))
    return OK


def cmd_reports(args) -> int:
    """``mgg-geo reports``: render the reports with the batch; exit 1 when any report failed."""
    from mgg_geo import batch

    args.region = ["all"]  # the classes are the province's; --gemeente chooses the reports
    result = batch.run(_parameters(args), reports_for=args.gemeente, out_dir=args.out, workers=args.workers,
                       progress=not args.no_progress, force=args.force, pdf=args.pdf)
    for outcome in sorted(result.outcomes, key=lambda o: o.job.name):
        print(f"{outcome.job.name}.html: {outcome.status}" + (f" ({outcome.seconds:.1f} s)" if outcome.seconds else ""))
        if outcome.pdf_status:
            print(f"{outcome.job.name}.pdf: {outcome.pdf_status}"
                  + (f" ({outcome.pdf_seconds:.1f} s)" if outcome.pdf_seconds else ""))
    done = [o for o in result.outcomes if o.ok]
    updated = sum(o.status == batch.UPDATED for o in result.outcomes)
    printed = sum(o.pdf_status == batch.PRINTED for o in result.outcomes)
    print(f"{len(done)} of {len(result.outcomes)} report(s) up to date in {args.out} ({updated} bijgewerkt, "
          f"{len(done) - updated} ongewijzigd" + (f"; {printed} pdf afgedrukt" if args.pdf else "")
          + f"); index: {result.index}")
    for outcome in result.failures:
        print(f"failed: {outcome.job.key}: {outcome.error} (notebook: {args.out}/notebooks/{outcome.job.name}.ipynb)",
              file=sys.stderr)
    for outcome in result.pdf_failures:
        print(f"failed: {outcome.job.name}.pdf: {outcome.pdf_error}", file=sys.stderr)
    if result.index_error:
        print(f"error: {result.index_error}", file=sys.stderr)
    return FINDINGS if result.exit_code else OK


# --------------------------------------------------------------------------- parser


def _analysis_options(p: argparse.ArgumentParser) -> None:
    """The options of ReportParameters, shared by ``analyse`` and ``reports``; defaults and choices come from
    :class:`~mgg_geo.analysis.parameters.ReportParameters` and the catalogue (defined there once)."""
    from mgg_geo.analysis.need import METHODS, check_weights
    from mgg_geo.analysis.parameters import CLASS_BREAKS, LEVELS, ReportParameters, check_share, check_statuses
    from mgg_geo.data import catalogue
    from mgg_geo.supply.initiatives import UNCERTAIN_STATUSES

    d = ReportParameters()
    groups = tuple(catalogue.TARGET_GROUPS)
    p.add_argument("--level", type=_typed(check_choice, "level", choices=LEVELS), default=d.level,
                   help=f"{' or '.join(LEVELS)} (default {d.level})")
    p.add_argument("--target-group", type=_typed(check_choice, "target_group", choices=groups),
                   default=d.target_group, help=f"{', '.join(groups)} (default {d.target_group})")
    p.add_argument("--include-unknown-ages", action="store_true",
                   help="count initiatives without an age range for the target group")
    p.add_argument("--include-status", type=_typed(check_statuses, "include_status"), default=None,
                   help="also count register rows with these statuses for coverage: "
                        f"{', '.join(UNCERTAIN_STATUSES)} (comma-separated) or 'alle' (default: none)")
    p.add_argument("--min-population", type=_typed(check_float, "min_population"), default=d.min_population,
                   help=f"areas with fewer residents are shown but not ranked (default {d.min_population:g})")
    p.add_argument("--max-missing-share", type=_typed(check_share, "max_missing_share"), default=d.max_missing_share,
                   help="areas missing more than this share of their need indicators are flagged 'onvolledige "
                        f"gegevens' (0-1, default {d.max_missing_share:g})")
    p.add_argument("--class-breaks", type=_typed(check_choice, "class_breaks", choices=CLASS_BREAKS),
                   default=d.class_breaks, help="need and map classes over the province (default, comparable) "
                                                "or per gemeente")
    p.add_argument("--weights", type=_typed(check_weights, "weights"),
                   help="domain weights, e.g. armoede=2,wonen=1,isolement=1 (default: equal)")
    p.add_argument("--method", type=_typed(check_choice, "method", choices=METHODS), default=d.method,
                   help=f"standardisation of the need indicators: {' or '.join(METHODS)} (default {d.method})")
    p.add_argument("--draws", type=_typed(check_int, "draws", minimum=0), default=d.draws,
                   help=f"Monte Carlo draws for the rank interval (0: none; default {d.draws})")
    p.add_argument("--seed", type=_typed(check_int, "seed", minimum=0), default=d.seed,
                   help=f"seed of those draws: the same seed gives the same rank intervals (default {d.seed})")
    p.add_argument("--k", type=_typed(check_int, "k", minimum=1, maximum=50), default=d.k,
                   help=f"what-if: new sites per municipality (1-50, default {d.k})")
    p.add_argument("--register", type=_existing_file,
                   help="initiative register (default: data/initiatives/register.csv)")
    p.add_argument("--reference-date", type=_typed(check_date, "reference_date"),
                   help="YYYY-MM-DD; initiatives ended before it do not count (default: today, Europe/Amsterdam)")
    p.add_argument("--kwb-year", type=_typed(check_year, "kwb_year"),
                   help="Kerncijfers year (default: newest with income)")
    p.add_argument("--health-year", type=_typed(check_year, "health_year"), help="RIVM survey year (default: newest)")
    p.add_argument("--boundary-year", type=_typed(check_year, "boundary_year"), help="default: the KWB year")
    p.add_argument("--offline", action="store_true", help="use the cache only: no download, no geocoding")
    p.add_argument("--no-geocode", action="store_true", help="do not ask PDOK Locatieserver")


def build_parser() -> argparse.ArgumentParser:
    """The ``mgg-geo`` argument parser: every option is checked by a :mod:`mgg_geo.checks` function."""
    from mgg_geo.analysis.parameters import check_municipalities

    parser = _Parser(prog="mgg-geo", description=textwrap.fill(DESCRIPTION, 79), epilog=EXAMPLES[None])
    parser.add_argument("--version", action="version", version=f"mgg_geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="command",
                                title="commands")
    gemeente = _typed(check_municipalities, "gemeente")
    year = _typed(check_year, "year")

    imp = sub.add_parser("import", help="offline route: load manually downloaded files into the cache",
                         epilog=EXAMPLES["import"])
    isub = imp.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    option_types = {"year": year, "table": _table_id, "indeling": _typed(check_year, "indeling"),
                    "level": _typed(check_choice, "level", choices=regions.LEVELS)}
    for kind in kinds.ALL:  # one import command per source kind of the registry
        p = isub.add_parser(kind.name, help=kind.import_help)
        p.add_argument("file", type=_existing_file, help=kind.file_help)
        for option, helptext in kind.options.items():
            choices = f" ({', '.join(regions.LEVELS)})" if option == "level" else ""
            p.add_argument(f"--{option}", type=option_types[option], help=helptext + choices)
        p.set_defaults(func=cmd_import)
    p = isub.add_parser(SHARED, help="the example files of the shared data folder")
    p.add_argument("file", type=Path, nargs="?", help="the folder (default: settings.SHARED_DATA)")
    p.add_argument("--if-empty", action="store_true", help="only when the cache holds nothing yet")
    p.set_defaults(func=cmd_import)

    data = sub.add_parser("data", help="the data cache")
    dsub = data.add_subparsers(dest="action", required=True, parser_class=_Parser)
    p = dsub.add_parser("status", help="what is in the cache")
    p.add_argument("--areas", action="store_true", help="also list every wijk per municipality")
    p.set_defaults(func=cmd_status)
    p = dsub.add_parser("vintages", help="how figures of other years' indelingen move onto the boundaries")
    p.add_argument("--gemeente", nargs="+", action="extend", type=gemeente,
                   help="GM code(s) or name(s), or 'all' (default)")
    p.add_argument("--level", type=_typed(check_choice, "level", choices=regions.LEVELS), default="wijk",
                   help=f"{' or '.join(regions.LEVELS)} (default wijk)")
    p.add_argument("--from", dest="source", type=year, help="source indeling (with --to; default: the tables used)")
    p.add_argument("--to", dest="target", type=year, help="target indeling (with --from)")
    p.add_argument("--all", action="store_true", help="also list the unchanged links")
    p.add_argument("--offline", action="store_true", help="use the cache only")
    p.set_defaults(func=cmd_vintages)
    p = dsub.add_parser("fetch", help="download KWB, RIVM and boundaries from CBS/PDOK (cache first)")
    p.add_argument("--year", type=year, help="KWB year (default: newest with income figures)")
    p.add_argument("--health-year", type=year, help="RIVM survey year (default: the newest)")
    p.add_argument("--boundary-year", type=year, help="default: the KWB year")
    p.add_argument("--level", type=_typed(check_choice, "level", choices=regions.LEVELS), default="wijk",
                   help=f"{' or '.join(regions.LEVELS)}: the level of the RIVM figures (default wijk)")
    p.add_argument("--refresh", action="store_true", help="download again even when cached")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("analyse", help="need, coverage, gap and what-if per area; writes GPKG/CSV/XLSX",
                       epilog=EXAMPLES["analyse"])
    p.add_argument("--gemeente", nargs="+", action="extend", type=gemeente,
                   help="the analysis region: GM code(s) or name(s), or 'all' (default)")
    p.add_argument("--out", type=_out_file, required=True,
                   help="output file: .xlsx (for advisors: Dutch headers, rounded, a sheet per municipality and one "
                        "with sources and definitions), .gpkg (with the geometry, for GIS) or .csv")
    _analysis_options(p)
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("reports", help="render the Dutch reports per municipality plus the overview (papermill)",
                       epilog=EXAMPLES["reports"])
    p.add_argument("--gemeente", nargs="+", action="extend", type=gemeente,
                   help="the municipality reports to render: GM code(s) or name(s), or 'all' (default)")
    p.add_argument("--workers", type=_typed(_workers, "workers"),
                   help="the most parallel runs, 1-64 (default: cores; fewer for a few reports)")
    p.add_argument("--out", type=Path, default=Path("reports"), help="the reports folder (default: reports)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    p.add_argument("--force", action="store_true",
                   help="render every report, also those whose inputs did not change since the last build")
    p.add_argument("--pdf", action="store_true",
                   help="also print each report and the overview to an A4 PDF beside it (headless Chromium at "
                        "MGG_CHROMIUM, default /usr/bin/chromium; only missing or outdated PDFs are printed)")
    _analysis_options(p)
    p.set_defaults(func=cmd_reports)

    reg = sub.add_parser("register", help="the initiative register")
    rsub = reg.add_subparsers(dest="action", required=True, parser_class=_Parser)
    p = rsub.add_parser("check", help="validate and place a register; exit 1 on errors", epilog=EXAMPLES["check"])
    p.add_argument("file", type=_existing_file, help="the register: CSV (semicolons), XLSX, GeoJSON or GeoPackage")
    p.add_argument("--reference-date", type=_typed(_date, "reference_date"),
                   help="YYYY-MM-DD; initiatives ended before it are inactive (default: today)")
    p.add_argument("--no-geocode", action="store_true", help="do not ask PDOK Locatieserver")
    p.add_argument("--offline", action="store_true", help="no network at all (implies --no-geocode)")
    p.add_argument("--include-status", type=_typed(_statuses, "include_status"), default=None,
                   help="statuses counted besides actief: gedateerd, gepland, gesloten (comma-separated) or 'alle'")
    p.set_defaults(func=cmd_register_check)
    p = rsub.add_parser("build", help="build the register from the facts, age ranges, school list and the "
                                      "project's curated file; prints what changed")
    p.add_argument("--facts", type=_existing_file, help="facts file (default: SHARED_DATA/initiatives/facts.csv)")
    p.add_argument("--ages", type=_existing_file,
                   help="age ranges (default: SHARED_DATA/initiatives/age_ranges.csv)")
    p.add_argument("--schools", type=_existing_file, help="DUO school list (default: settings.SCHOOLS_PATH)")
    p.add_argument("--curated", type=_existing_file,
                   help="the project's corrections and additions (default: data/initiatives/curated.csv)")
    p.add_argument("--out", type=_register_out, default=None,
                   help="the register to write (default: data/initiatives/register.csv)")
    p.add_argument("--dry-run", action="store_true", help="print what would change; write nothing")
    p.add_argument("--offline", action="store_true", help="use the cached boundaries only")
    p.set_defaults(func=cmd_register_build)
    return parser


def _register_out(text: str) -> Path:
    path = absolute(text)
    if path.suffix.lower() != ".csv":
        raise argparse.ArgumentTypeError(f"--out: {path} must end in .csv.")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"--out: the folder {path.parent} does not exist.")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"--out: {path} is a folder.")
    return path


def _statuses(name, text):
    from mgg_geo.analysis.parameters import check_statuses

    return check_statuses(name, text)


def _workers(name, text):

    return check_int(name, text, minimum=1, maximum=64)


def _date(name, text):

    return check_date(name, text)


def _flatten(values) -> list[str]:
    """``--gemeente`` values (each already resolved to a tuple of GM codes) as one list without repeats."""
    out: list[str] = []
    for value in values:
        for code in value if isinstance(value, tuple) else [value]:
            if code not in out:
                out.append(code)
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line parsed, with ``--gemeente`` as one list of GM codes: given more than once, every one
    counts; not given, all ten."""
    args = build_parser().parse_args(argv)
    if hasattr(args, "gemeente"):
        args.gemeente = _flatten(args.gemeente or [tuple(regions.MUNICIPALITIES)])
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    try:
        args = parse_args(argv)
        warnings.showwarning = _show_warning
        return int(args.func(args) or 0)
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else USAGE
    except _Findings as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FINDINGS
    except MggError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return USAGE
    except BrokenPipeError:
        # the reader (e.g. head) closed the pipe: stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        from mgg_geo.batch import output_problem

        where = Path(exc.filename).parent if exc.filename else Path.cwd()
        problem = output_problem(exc, where)
        if problem is None and not os.environ.get("MGG_DEBUG"):
            problem = f"{exc.strerror or exc} ({exc.filename or 'while reading or writing a file'})"
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return USAGE
    except Exception as exc:  # noqa: BLE001 - never a bare traceback for a user
        if os.environ.get("MGG_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (a bug in mgg_geo; run with MGG_DEBUG=1 for the "
              "traceback and report it)", file=sys.stderr)
        return USAGE


if __name__ == "__main__":
    sys.exit(main())

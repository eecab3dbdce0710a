"""The ``mgg-geo`` command line.

Every :class:`~mgg_geo.errors.MggError` is printed as one ``error:`` message
(no traceback) and gives exit status 2; warnings print as ``warning:`` lines.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import pandas as pd

from . import __version__, regions
from .errors import MggError


def _show_warning(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001
    print(f"warning: {message}", file=sys.stderr)


def _text(value) -> str:
    """A cell as text; missing (None, NaN, <NA>) as empty."""
    return "" if value is None or value is pd.NA or value != value else str(value)


def _table(rows: list[list], header: list[str]) -> str:
    cells = [header] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- import / data


def cmd_import(args) -> int:
    from . import imports

    if args.kind == "kwb":
        stored = imports.import_kwb(args.file, year=args.year, table_id=args.table)
    elif args.kind == "health":
        stored = imports.import_health(args.file, year=args.year, table_id=args.table, indeling=args.indeling)
    elif args.kind == "boundaries":
        stored = [imports.import_boundaries(args.file, level=args.level, year=args.year)]
    else:
        stored = imports.import_shared(args.file, if_empty=args.if_empty)
        if args.if_empty and not stored:
            print("cache already filled; nothing imported (run 'mgg-geo data status')")
            return 0
    for entry in stored:
        m = entry.manifest
        levels = ", ".join(f"{n} {lvl}" for lvl, n in m["levels"].items())
        print(f"imported {m['kind']} {m['year']} ({m.get('table_id')}): {m['rows']} rows ({levels}), "
              f"{len(m['columns'])} indicator columns -> {entry.name}")
    return 0


def cmd_status(args) -> int:
    from . import cache, settings, sources

    entries = cache.entries()
    if not entries:
        print(f"The cache ({settings.CACHE_DIR}) is empty. Run 'mgg-geo data fetch' (online) or "
              "'mgg-geo import ...' (offline route; see README).")
        return 0
    rows = []
    for e in entries:
        m = e.manifest
        levels = ", ".join(f"{lvl} {n}" for lvl, n in m.get("levels", {}).items())
        munis = m.get("municipalities", [])
        current = len([c for c in munis if c in regions.MUNICIPALITIES])
        former = len([c for c in munis if c in regions.FORMER_MUNICIPALITIES])
        rows.append([m["kind"], m.get("table_id") or "-", m["year"], m.get("indeling", m["year"]), levels, m["rows"],
                     f"{current}" + (f" (+{former} of 2020)" if former else ""),
                     m.get("origin"), (m.get("retrieved_at") or "")[:10]])
    print(f"Cache: {settings.CACHE_DIR}\n")
    print(_table(rows, ["source", "table", "year", "indeling", "levels (rows)", "rows", "municipalities", "origin",
                        "retrieved"]))
    bounds = cache.find("boundaries", level="wijk")
    if bounds is not None:
        frame = bounds.load()
        year = bounds.manifest["year"]
        figures = {e.name: e for e in entries if e.manifest["kind"] in ("kwb", "health")
                   and e.manifest.get("levels", {}).get("wijk")}
        same = {name: e for name, e in figures.items() if sources.indeling_of(e.manifest) == year}
        loaded = {name: set(e.load().query("level == 'wijk'")["code"]) for name, e in same.items()}
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
                for wcode, wname in zip(wijken["code"], wijken["name"]):
                    print(f"    {wcode}  {wname}")
    return 0


def cmd_vintages(args) -> int:
    """Print the crosswalks between indelingen per municipality (those the analysis uses, or --from/--to)."""
    from . import areas, vintages

    codes = regions.resolve_municipalities(args.gemeente)
    if args.source is not None or args.target is not None:
        if args.source is None or args.target is None:
            print("error: --from and --to go together", file=sys.stderr)
            return 2
        walks = {f"indeling {args.source}": vintages.crosswalk(args.level, args.source, args.target,
                                                                offline=args.offline)}
        totals = None
    else:
        frame = areas.build(args.level, offline=args.offline)
        walks, totals = frame.crosswalks, frame.totals
        used = ", ".join(f"{k} {m.get('table_id')} {m['year']} (indeling {m.get('indeling')})"
                         for k, m in frame.sources.items())
        print(f"Tables used: {used}")
    for label, cw in walks.items():
        print(f"\n{label}: {cw.level} {cw.source} -> {cw.target}, method: {cw.method}"
              + (f"; inputs: {', '.join(i['name'] for i in cw.inputs)}" if cw.inputs else ""))
        for code in codes:
            table = cw.table(code)
            if table.empty:
                continue
            moved = table[table["relation"] != "same"]
            print(f"\n{code} {regions.MUNICIPALITIES[code]}: {len(table)} link(s), "
                  f"{(table['relation'] == 'same').sum()} unchanged" + ("" if len(moved) else ", nothing moved"))
            if len(moved) or args.all:
                shown = table if args.all else moved
                rows = [[r.from_code, _text(r.from_name), r.to_code, _text(r.to_name), r.relation,
                         "" if r.count_weight != r.count_weight else f"{r.count_weight:.2f}",
                         "" if r.rate_weight != r.rate_weight else f"{r.rate_weight:.2f}", r.evidence]
                        for r in shown.itertuples()]
                print(_table(rows, ["from", "name", "to", "name", "relation", "counts", "rates", "evidence"]))
    if totals is not None and len(totals):
        print("\nResidents: sum over the areas against CBS's municipality row")
        rows = [[gm, regions.MUNICIPALITIES.get(gm, gm), f"{t['areas']:.0f}", f"{t['gemeente']:.0f}",
                 f"{t['difference']:+.0f}", "ok" if t["ok"] else "CHECK"] for gm, t in totals.iterrows()
                if gm in codes]
        print(_table(rows, ["code", "municipality", "areas", "CBS", "difference", "within rounding"]))
    return 0


def cmd_fetch(args) -> int:
    from . import sources

    kwb = sources.kwb(args.year, refresh=args.refresh)
    print(f"KWB: {kwb.label}: {len(kwb.frame)} rows")
    health = sources.health(args.health_year, level=args.level, refresh=args.refresh)
    print(f"RIVM: {health.label}: {len(health.frame)} rows")
    year = args.boundary_year or kwb.manifest["year"]
    for level in ("gemeente", "wijk", "buurt"):
        b = sources.boundaries(year, level, refresh=args.refresh)
        print(f"boundaries {level} {year}: {len(b.frame)} areas")
    return 0


def cmd_register_check(args) -> int:
    from . import initiatives
    from .errors import RegisterError

    try:
        register = initiatives.load(args.file, reference_date=args.reference_date, geocode=not args.no_geocode,
                                    strict=False)
    except RegisterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
    return 1 if register.errors else 0


def cmd_analyse(args) -> int:
    import pandas as pd

    from . import analysis

    from .need import parse_weights

    result = analysis.run(args.level, args.gemeente, weights=parse_weights(args.weights), method=args.method,
                          draws=args.draws, seed=args.seed, register_path=args.register,
                          reference_date=args.reference_date, k=args.k, offline=args.offline,
                          geocode=not args.no_geocode, target_group=args.target_group,
                          include_unknown_ages=args.include_unknown_ages, min_population=args.min_population)
    path = analysis.write(result, args.out)
    frame = result.areas
    target = int((frame["gap_class"] == "3-1").sum())
    print(f"{len(frame)} {args.level}en, {int(frame['ranked'].sum())} ranked, {target} with high need and low "
          f"coverage -> {path}")
    top = result.priorities(top=3)
    rows = [[r["gemeente_name"], int(r["priority"]), code, r["name"],
             "-" if pd.isna(r["need_index"]) else f"{r['need_index']:.2f}",
             "-" if pd.isna(r["rank_p05"]) else f"{r['rank_p05']:.0f}-{r['rank_p95']:.0f}",
             f"{100 * r['reach']:.0f}%", "-" if pd.isna(r["nearest_km"]) else f"{r['nearest_km']:.1f}",
             f"{r['need_class']:.0f}-{r['coverage_class']:.0f}"] for code, r in top.iterrows()]
    print(_table(rows, ["municipality", "priority", "code", "name", "need", "rank 5-95%", "within 3 km",
                        "nearest km", "class"]))
    sites = result.whatif_sites
    if len(sites):
        print("\nWhat-if (new sites per municipality, target population newly within 3 km):")
        rows = [[r["gemeente_code"], int(r["step"]), r["code"], r["name"], f"{r['new_population']:.0f}"]
                for _, r in sites.iterrows()]
        print(_table(rows, ["municipality", "step", "buurt", "name", "newly reached"]))
    return 0


def cmd_reports(args) -> int:
    from . import batch

    common = {"offline": args.offline}
    if args.reference_date:
        common["reference_date"] = args.reference_date
    if args.draws is not None:
        common["draws"] = args.draws
    result = batch.run(args.gemeente, level=args.level, out_dir=args.out, workers=args.workers, common=common,
                       progress=not args.no_progress)
    done = [o for o in result.outcomes if o.ok]
    print(f"{len(done)} of {len(result.outcomes)} report(s) written to {args.out}; index: {result.index}")
    for outcome in result.failures:
        print(f"failed: {outcome.job.key}: {outcome.error} (notebook: {args.out}/notebooks/{outcome.job.name}.ipynb)",
              file=sys.stderr)
    return result.exit_code


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mgg-geo", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"mgg_geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    imp = sub.add_parser("import", help="offline route: load manually downloaded files into the cache")
    isub = imp.add_subparsers(dest="kind", required=True)
    for kind, helptext in (("kwb", "CBS Kerncijfers wijken en buurten (xls/xlsx/csv)"),
                           ("health", "RIVM Gezondheid per wijk en buurt (StatLine CSV export)")):
        p = isub.add_parser(kind, help=helptext)
        p.add_argument("file", type=Path)
        p.add_argument("--year", type=int, help="reference year when the file does not say")
        p.add_argument("--table", help="CBS table id (e.g. 85039NED) when the file name does not carry it")
        if kind == "health":
            p.add_argument("--indeling", type=int, help="boundary year of the file's codes (known for catalogue tables)")
        p.set_defaults(func=cmd_import)
    p = isub.add_parser("boundaries", help="boundaries as GeoJSON or GeoPackage")
    p.add_argument("file", type=Path)
    p.add_argument("--level", choices=regions.LEVELS)
    p.add_argument("--year", type=int)
    p.set_defaults(func=cmd_import)
    p = isub.add_parser("shared", help="the example files of the shared data folder")
    p.add_argument("file", type=Path, nargs="?", help="the folder (default: settings.SHARED_DATA)")
    p.add_argument("--if-empty", action="store_true", help="only when the cache holds nothing yet")
    p.set_defaults(func=cmd_import)

    data = sub.add_parser("data", help="the data cache")
    dsub = data.add_subparsers(dest="action", required=True)
    p = dsub.add_parser("status", help="what is in the cache")
    p.add_argument("--areas", action="store_true", help="also list every wijk per municipality")
    p.set_defaults(func=cmd_status)
    p = dsub.add_parser("vintages", help="how figures of other years' indelingen move onto the boundaries")
    p.add_argument("--gemeente", nargs="+", default=["all"], help="GM code(s) or name(s), or 'all' (default)")
    p.add_argument("--level", choices=regions.LEVELS, default="wijk")
    p.add_argument("--from", dest="source", type=int, help="source indeling (with --to; default: the tables used)")
    p.add_argument("--to", dest="target", type=int, help="target indeling (with --from)")
    p.add_argument("--all", action="store_true", help="also list the unchanged links")
    p.add_argument("--offline", action="store_true", help="use the cache only")
    p.set_defaults(func=cmd_vintages)
    p = dsub.add_parser("fetch", help="download KWB, RIVM and boundaries from CBS/PDOK (cache first)")
    p.add_argument("--year", type=int, help="KWB year (default: newest with income figures)")
    p.add_argument("--health-year", type=int)
    p.add_argument("--boundary-year", type=int, help="default: the KWB year")
    p.add_argument("--level", choices=regions.LEVELS, default="wijk")
    p.add_argument("--refresh", action="store_true", help="download again even when cached")
    p.set_defaults(func=cmd_fetch)
    p = sub.add_parser("analyse", help="need, coverage, gap and what-if per area; writes GPKG/CSV/XLSX")
    p.add_argument("--gemeente", nargs="+", default=["all"], help="GM code(s) or name(s), or 'all' (default)")
    p.add_argument("--level", choices=("wijk", "buurt"), default="wijk")
    p.add_argument("--out", type=Path, required=True, help="output file: .gpkg, .csv or .xlsx")
    p.add_argument("--weights", help="domain weights, e.g. armoede=2,wonen=1,isolement=1 (default: equal)")
    p.add_argument("--method", choices=("zscore", "rank"), default="zscore")
    p.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws for the rank interval")
    p.add_argument("--seed", type=int, default=20231105)
    p.add_argument("--k", type=int, default=3, help="what-if: new sites per municipality")
    p.add_argument("--target-group", default="jongeren", help="jongeren (default), jongvolwassenen or ouderen")
    p.add_argument("--include-unknown-ages", action="store_true",
                   help="count initiatives without an age range as meeting the target group")
    p.add_argument("--min-population", type=float, default=100,
                   help="areas with fewer residents are shown but not ranked (default 100)")
    p.add_argument("--register", type=Path, help="initiative register (default: data/initiatives/register.csv)")
    p.add_argument("--reference-date", help="YYYY-MM-DD (default: today)")
    p.add_argument("--offline", action="store_true", help="use the cache only")
    p.add_argument("--no-geocode", action="store_true")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("reports", help="render the Dutch reports per municipality plus the overview (papermill)")
    p.add_argument("--gemeente", nargs="+", default=["all"], help="GM code(s) or name(s), or 'all' (default)")
    p.add_argument("--level", choices=("wijk", "buurt"), default="wijk")
    p.add_argument("--workers", type=int, help="parallel runs (default: number of cores)")
    p.add_argument("--out", type=Path, default=Path("reports"))
    p.add_argument("--reference-date", help="YYYY-MM-DD (default: today)")
    p.add_argument("--draws", type=int, help="Monte Carlo draws (default 1000)")
    p.add_argument("--offline", action="store_true", help="use the data cache only")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=cmd_reports)

    reg = sub.add_parser("register", help="the initiative register")
    rsub = reg.add_subparsers(dest="action", required=True)
    p = rsub.add_parser("check", help="validate and place a register; exit 1 on errors")
    p.add_argument("file", type=Path)
    p.add_argument("--reference-date", help="YYYY-MM-DD; initiatives ended before it are inactive (default: today)")
    p.add_argument("--no-geocode", action="store_true", help="do not ask PDOK Locatieserver")
    p.set_defaults(func=cmd_register_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except MggError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

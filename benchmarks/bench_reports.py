"""Benchmark: the report batch against the naive loop a user would write, and incremental rebuilds.

On one warm cache (the shared example files imported once, the province
analysis memoised), it times:

* **batch**: ``mgg_geo.batch.run(force=True)`` for the 10 municipalities plus
  the overview into a fresh folder (warm kernels, one per worker, HTML
  converted in process, index written);
* **naive**: one municipality after another, ``papermill`` CLI then
  ``jupyter nbconvert --to html --no-input`` CLI, and the same for the overview;
* **unchanged rebuild**: ``batch.run`` again on a complete folder (nothing changed);
* **unchanged, whole command**: ``mgg-geo reports --offline`` on that folder in a new process (what
  ``make reports`` costs when nothing changed: the process's imports included);
* **one register row**: ``batch.run`` after changing one row of the register
  (the name of a youth centre in Veendam that the reports list), which
  re-renders Veendam and the overview only.

Targets on the 2-core build machine: batch >= 8x faster than the naive loop;
unchanged rebuild < 2 s (the whole command < 3 s); one register row < 6 s; every report <= 2 MB. Prints
the medians, the ratio, the largest report and the peak memory (largest
resident set of the process and of one child).

Needs the shared data folder (``MGG_SHARED_DATA``, default ../shared/data).
Run: ``.venv/bin/python benchmarks/bench_reports.py [--runs 3] [--naive-runs 1] [--workers 2]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--naive-runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mgg-bench-reports-"))
    os.environ["MGG_CACHE_DIR"] = str(work / "cache")
    for name in ("MGG_CBS_OPENDATA_URL", "MGG_CBS_THIRD_PARTY_URL", "MGG_PDOK_SERVICE_URL", "MGG_PDOK_API_URL"):
        os.environ[name] = "http://127.0.0.1:9"  # the bench measures rendering, not the network
    os.environ["MGG_HTTP_RETRIES"] = "0"
    from mgg_geo import analysis, batch, settings
    from mgg_geo.data import imports, regions

    if not settings.SHARED_DATA.is_dir():
        sys.exit(f"shared data folder {settings.SHARED_DATA} not found; set MGG_SHARED_DATA")
    imports.import_shared(settings.SHARED_DATA)
    register = work / "register.csv"
    shipped = settings.REGISTER_PATH.read_text(encoding="utf-8-sig")
    name = "Jongerencentrum Break! (deBasis Veendam)"
    if name not in shipped:
        sys.exit(f"the register no longer lists {name!r}; choose another row for the one-row rebuild")
    register.write_text(shipped, encoding="utf-8-sig")
    params = analysis.ReportParameters(level="wijk", offline=True, register_path=register)
    analysis.run_cached(params)  # warm: both contenders find the analysis memoised

    def timed(out: Path, **kw) -> tuple[float, object]:
        t0 = time.perf_counter()
        result = batch.run(params, out_dir=out, workers=args.workers, progress=False, **kw)
        seconds = time.perf_counter() - t0
        if result.exit_code:
            sys.exit(f"batch failed: {[(o.job.key, o.error) for o in result.failures]}")
        return seconds, result

    batch_times, sizes = [], []
    for run in range(args.runs):
        out = work / f"batch-{run}"
        seconds, _ = timed(out, force=True)
        batch_times.append(seconds)
        sizes += [p.stat().st_size for p in out.glob("*.html")]
    unchanged, one_row, rebuilt = [], [], set()
    out = work / "batch-0"
    for run in range(args.runs):
        seconds, result = timed(out)
        assert all(o.status == batch.UNCHANGED for o in result.outcomes), "an unchanged rebuild rendered a report"
        unchanged.append(seconds)
        renamed = name.replace("(deBasis Veendam)", f"(Veendam, versie {run + 1})")
        register.write_text(shipped.replace(name, renamed), encoding="utf-8-sig")
        analysis.run_cached(params)  # the analysis is part of every rebuild; memoised here as in the batch
        seconds, result = timed(out)
        one_row.append(seconds)
        rebuilt |= {o.job.key for o in result.outcomes if o.status == batch.UPDATED}
    command = []
    for _ in range(args.runs):  # the register as the folder was last built from, so nothing is rendered
        t0 = time.perf_counter()
        done = subprocess.run([str(BIN / "mgg-geo"), "reports", "--offline", "--register", str(register), "--out",
                               str(out), "--workers", str(args.workers), "--no-progress"],
                              capture_output=True, text=True)
        command.append(time.perf_counter() - t0)
        if done.returncode or "(0 bijgewerkt" not in done.stdout:
            sys.exit(f"the whole command rendered or failed: {done.stdout[-500:]} {done.stderr[-1000:]}")

    naive_times = []
    for run in range(args.naive_runs):
        out = work / f"naive-{run}"  # the shipped register, as a user of the CLIs would have it
        out.mkdir()
        jobs = [(["-p", "gemeente_code", code, "-p", "offline", "True"], "gemeente_rapport", code)
                for code in regions.MUNICIPALITIES] + [(["-p", "offline", "True"], "provincie_overzicht", "overview")]
        t0 = time.perf_counter()
        for params, notebook, key in jobs:
            executed = out / f"{key}.ipynb"
            subprocess.run([str(BIN / "papermill"), str(ROOT / "notebooks" / f"{notebook}.ipynb"), str(executed),
                            *params, "--cwd", str(ROOT), "--no-progress-bar", "-k", batch.kernel_name()],
                           check=True, capture_output=True)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                           check=True, capture_output=True)
        naive_times.append(time.perf_counter() - t0)

    b, n = statistics.median(batch_times), statistics.median(naive_times)
    u, r, c = statistics.median(unchanged), statistics.median(one_row), statistics.median(command)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"10 municipality reports + overview at wijk level; workers={args.workers}; shared example data\n")
    print(f"{'contender':<46}{'runs':>6}{'median s':>10}{'min s':>9}{'max s':>9}")
    print(f"{'batch (mgg-geo reports)':<46}{len(batch_times):>6}{b:>10.1f}{min(batch_times):>9.1f}"
          f"{max(batch_times):>9.1f}")
    print(f"{'naive loop (papermill CLI + nbconvert CLI)':<46}{len(naive_times):>6}{n:>10.1f}{min(naive_times):>9.1f}"
          f"{max(naive_times):>9.1f}")
    print(f"{'unchanged rebuild (nothing rendered)':<46}{len(unchanged):>6}{u:>10.2f}{min(unchanged):>9.2f}"
          f"{max(unchanged):>9.2f}")
    print(f"{'unchanged, whole command (mgg-geo reports)':<46}{len(command):>6}{c:>10.2f}{min(command):>9.2f}"
          f"{max(command):>9.2f}")
    print(f"{'one register row changed':<46}{len(one_row):>6}{r:>10.2f}{min(one_row):>9.2f}{max(one_row):>9.2f}")
    print(f"\nspeed-up: {n / b:.1f}x (target >= 8x: {'met' if n / b >= 8 else 'NOT met'}); "
          f"unchanged rebuild {u:.2f} s (target < 2 s: {'met' if u < 2 else 'NOT met'}), the whole command "
          f"{c:.2f} s (target < 3 s: {'met' if c < 3 else 'NOT met'}); one register row "
          f"{r:.2f} s, re-rendering {', '.join(sorted(rebuilt))} (target < 6 s: {'met' if r < 6 else 'NOT met'})")
    print(f"largest report: {max(sizes) / 1e6:.2f} MB (target <= 2 MB: {'met' if max(sizes) <= 2e6 else 'NOT met'})")
    print(f"peak memory: this process {own:.0f} MB, largest child process {child:.0f} MB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

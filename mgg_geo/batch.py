"""The report batch: one papermill run per municipality plus the province overview.

For every requested municipality ``notebooks/gemeente_rapport.ipynb`` runs with
papermill (parameters: the municipality, level, ...) and the overview runs
once. Runs go in parallel (``workers``, default: the number of cores) on
threads; each run has its own kernel process. A kernel that fails to start
(the known papermill/jupyter-client launch race) is retried; a cell error is
not. Before the runs, the province analysis is computed once and memoised
(:func:`mgg_geo.analysis.run_cached`), so each notebook loads it instead of
recomputing.

Outputs in ``out_dir`` (each written to a temporary name and renamed, so no
half report is ever visible):

* ``<code>-<naam>.html``: the report, without code (nbconvert, template ``rapport``);
* ``provincie-groningen.html``: the overview;
* ``notebooks/<name>.ipynb``: the executed notebooks (audit trail, also of failures);
* ``data/<code>.json``: key figures written by each notebook (the documented channel to the index);
* ``kaarten/<code>.html``: the interactive maps (offline pages; background tiles optional);
* ``index.html``: links to every report in the folder with its key figures, and every failure
  (``data/<key>.error.json``), rebuilt under a file lock by every build.

Temporary files live in ``.mgg-tmp/`` folders (in ``out_dir`` and its subfolders) and carry the id of the
process writing them; a new build removes those of processes that no longer run (a killed batch leaves
nothing behind) and never touches any other file.

One failing municipality does not stop the others; failures are listed in the
index and make the exit status non-zero.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
import traceback
import unicodedata
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from filelock import FileLock

from mgg_geo import analysis, settings
from mgg_geo.analysis.parameters import ReportParameters, check_municipalities
from mgg_geo.checks import absolute, check_int
from mgg_geo.data import cache, regions
from mgg_geo.errors import MggError, ParameterError
from mgg_geo.present import pages, reports

MUNICIPALITY_NOTEBOOK = "gemeente_rapport.ipynb"
OVERVIEW_NOTEBOOK = "provincie_overzicht.ipynb"
OVERVIEW_NAME = "provincie-groningen"
KERNEL_NAME = "mgg-geo"


def slug(text: str) -> str:
    """A file-name-safe ASCII form of ``text``: "Het Hogeland" -> "het-hogeland"."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass
class Job:
    """One notebook run of the batch: ``key`` (GM code or "overview"), the notebook, the output file stem
    and the papermill parameters."""
    key: str  # GM code, or "overview"
    notebook: Path
    name: str  # output file stem
    parameters: dict


@dataclass
class Outcome:
    """How one :class:`Job` ended: ``ok``, wall time in seconds, the one-line error and the attempts made."""
    job: Job
    ok: bool
    seconds: float
    error: str = ""
    attempts: int = 1


@dataclass
class BatchResult:
    """All outcomes of a batch and the index page written."""
    outcomes: list[Outcome] = field(default_factory=list)
    index: Path | None = None
    index_error: str = ""  # why the index could not be written (e.g. a full disk)

    @property
    def failures(self) -> list[Outcome]:
        """The outcomes that failed."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def exit_code(self) -> int:
        """0 when every report and the index were written, 1 otherwise (the command line's exit status)."""
        return 1 if self.failures or self.index_error else 0


def kernel_name() -> str:
    """The project's kernel when registered (``make`` does), else the current environment's ``python3``."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def _atomic_write(path: Path, text: str) -> None:
    with cache.atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _is_kernel_start_failure(exc: BaseException) -> bool:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS:
        return False
    return not isinstance(exc, (PapermillExecutionError, MggError))


def execute(job: Job, out_dir: Path, *, retries: int = 2, kernel: str | None = None) -> Outcome:
    """Run one notebook with papermill, keep it, and convert it to the report HTML."""
    import papermill

    started = time.perf_counter()
    executed_path = out_dir / "notebooks" / f"{job.name}.ipynb"
    error = ""
    attempt = 0
    try:
        # the executed notebook is kept, also when a cell failed (audit trail)
        with cache.atomic_file(executed_path, suffix=".ipynb") as tmp:
            for attempt in range(1, retries + 2):
                try:
                    # shutdown_kernel="immediate": once every cell has run, nbclient need not wait for a
                    # graceful exit (about 0.6 s per notebook)
                    papermill.execute_notebook(_literal(job.notebook), _literal(tmp), parameters=job.parameters,
                                               kernel_name=kernel or kernel_name(), cwd=str(settings.PROJECT_ROOT),
                                               progress_bar=False, log_output=False, start_timeout=120,
                                               shutdown_kernel="immediate")
                    error = ""
                    break
                except Exception as exc:  # noqa: BLE001 - every failure is recorded, the batch goes on
                    error = _describe(exc, out_dir)
                    if not _is_kernel_start_failure(exc) or attempt > retries:
                        break
                    time.sleep(1.0 * attempt)
            if not tmp.stat().st_size:
                raise RuntimeError("papermill wrote no notebook")  # nothing to keep
            nb = nbformat.read(tmp, as_version=4)  # a notebook cut short (full disk) never gets its final name
        if not error:
            title = reports.page_title(None if job.key == "overview" else job.key)
            _atomic_write(out_dir / f"{job.name}.html", pages.notebook_html(nb, title))
    except Exception as exc:  # noqa: BLE001
        error = error or _describe(exc, out_dir)
    return Outcome(job, ok=not error, seconds=time.perf_counter() - started, error=error, attempts=attempt)


def _literal(path: Path) -> str:
    """A path for papermill, which fills ``{name}`` placeholders of its paths with the parameters: braces are
    doubled, so the path means exactly what it says."""
    return str(path).replace("{", "{{").replace("}", "}}")


#: Errors of the file system that no retry cures: disk full, quota, read-only, permission.
_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def output_problem(exc: BaseException, folder: Path) -> str | None:
    """One line for a write that failed because of the disk (full, quota, read-only, permission), naming
    ``folder``; None for any other error."""
    from papermill.exceptions import PapermillExecutionError

    number = exc.errno if isinstance(exc, OSError) else None
    if isinstance(exc, PapermillExecutionError) and exc.ename in ("OSError", "PermissionError"):
        found = re.search(r"\[Errno (\d+)\]", str(exc.evalue))
        number = int(found.group(1)) if found else None
    if number == errno.ENOSPC or number == errno.EDQUOT:
        return f"no space left on the disk of {folder}: free some space (or choose another --out) and run again"
    if number in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write to {folder} ({os.strerror(number)}): choose another --out"
    return None


def _describe(exc: BaseException, folder: Path | None = None) -> str:
    from papermill.exceptions import PapermillExecutionError

    problem = output_problem(exc, folder) if folder is not None else None
    if problem:
        return problem
    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}".strip()
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) < 2000 else text[:2000] + " ..." + "".join(traceback.format_exception_only(exc))[-200:]


def report_name(code: str) -> str:
    """The file stem of a report: ``GM0765-pekela``, or ``provincie-groningen`` for the overview."""
    return OVERVIEW_NAME if code == "overview" else f"{code}-{slug(regions.MUNICIPALITIES[code])}"


def prepare_output(out_dir: str | Path) -> Path:
    """The reports folder, created and checked writable; leftovers of killed runs are removed.

    Raises
    ------
    ParameterError
        When ``out_dir`` is a file or cannot be written (the message names ``--out``).
    """
    out = absolute(out_dir)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out: {out} is a file; give a folder for the reports.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        cache.release(cache.temp_path(out, "probe"))
    except OSError as exc:
        raise ParameterError(f"--out: cannot write to {out} ({exc.strerror or exc}).") from None
    cache.remove_stale(out)
    return out


def run(params: ReportParameters | None = None, *, reports_for=None, out_dir: str | Path = "reports",
        workers: int | None = None, per_municipality: dict[str, dict] | None = None, overview: bool = True,
        progress: bool = True, retries: int = 2) -> BatchResult:
    """Render the reports (see the module docstring).

    Parameters
    ----------
    params
        The analysis and report choices (:class:`~mgg_geo.analysis.parameters.ReportParameters`); the
        analysis region is ``params.municipalities`` (the province by default), so that every
        report shares the province's classes.
    reports_for
        GM codes or names of the municipality reports to render (default: every municipality of
        the region).
    per_municipality
        Extra notebook parameters per GM code (overriding ``params``).
    workers
        Parallel runs (at least 1; default: the number of cores).
    """
    params = params or ReportParameters()
    codes = list(params.municipalities) if reports_for is None else list(
        check_municipalities("gemeente", reports_for))
    if workers is not None:
        workers = check_int("workers", workers, minimum=1, maximum=64)
    out = prepare_output(out_dir)
    notebooks = settings.NOTEBOOK_DIR
    analysis.run_cached(params)  # compute once; every notebook finds it memoised
    common = params.to_notebook()
    jobs = [Job(code, notebooks / MUNICIPALITY_NOTEBOOK, report_name(code),
                {**common, "gemeente_code": code, "interactive": False, "output_dir": str(out),
                 **(per_municipality or {}).get(code, {})}) for code in codes]
    if overview:
        jobs.append(Job("overview", notebooks / OVERVIEW_NOTEBOOK, OVERVIEW_NAME, common))
    kernel = kernel_name()
    result = BatchResult()
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(jobs), desc="rapporten", unit="rapport")
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures = {pool.submit(execute, job, out, retries=retries, kernel=kernel): job for job in jobs}
        for future in as_completed(futures):
            outcome = future.result()
            result.outcomes.append(outcome)
            _record(out, outcome)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{outcome.job.key} {'ok' if outcome.ok else 'MISLUKT'}")
    if bar is not None:
        bar.close()
    try:
        result.index = write_index(out)
    except OSError as exc:
        result.index_error = output_problem(exc, out) or f"cannot write {out / 'index.html'} ({exc})"
    return result


def _record(out: Path, outcome: Outcome) -> None:
    """Keep a failure on disk (``data/<key>.error.json``) so that any later index lists it; a success clears it."""
    path = out / "data" / f"{outcome.job.key}.error.json"
    try:
        if outcome.ok:
            path.unlink(missing_ok=True)
        else:
            cache.write_json_atomic(path, {"key": outcome.job.key, "error": outcome.error, "at": reports.today()})
    except OSError:
        pass  # e.g. a full disk: the failure is still reported by this run


def _read_json(path: Path):
    """A JSON file of the reports folder, or None when it cannot be read (never half a report in the index)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def write_index(out: Path) -> Path:
    """Write ``index.html`` from every result present in ``out``, under a lock.

    Every municipality with a report and its key-figure sidecar is listed, and
    every recorded failure, whichever build made them: two builds into one
    folder both end up in the index.
    """
    with FileLock(str(out / ".index.lock"), timeout=120):
        entries, failures = [], []
        for sidecar in sorted((out / "data").glob("GM*.json")):
            code = sidecar.name.split(".")[0]
            if code not in regions.MUNICIPALITIES or sidecar.name.endswith(".error.json") or sidecar.is_symlink():
                continue
            report = out / f"{report_name(code)}.html"
            figures = _read_json(sidecar)
            if figures is not None and report.is_file() and not report.is_symlink():
                entries.append({"gemeente_code": code, "href": f"{report_name(code)}.html", "figures": figures})
        for record in sorted((out / "data").glob("*.error.json")):
            failure = _read_json(record)
            if not isinstance(failure, dict) or not isinstance(failure.get("key"), str):
                continue
            key = failure["key"]
            failures.append({"gemeente_code": "PV20" if key == "overview" else key,
                             "gemeente": "provinciaal overzicht" if key == "overview"
                             else regions.MUNICIPALITIES.get(key, key), "error": str(failure.get("error", ""))})
        href = f"{OVERVIEW_NAME}.html" if (out / f"{OVERVIEW_NAME}.html").exists() else None
        path = out / "index.html"
        _atomic_write(path, reports.index_html(entries, failures, overview=href, generated=reports.today()))
    return path

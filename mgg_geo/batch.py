"""The report batch: one papermill run per municipality plus the province overview.

For every requested municipality ``notebooks/gemeente_rapport.ipynb`` runs with
papermill (parameters: the municipality, level, ...) and the overview runs
once. Before the runs, the province analysis is computed once and memoised
(:func:`mgg_geo.analysis.run_cached`), so each notebook loads it instead of
recomputing.

Incremental: every report has a build key (:func:`build_key`: the part of the
analysis it reads, its notebook, its parameters, the code version with the
templates). A report whose key equals the one recorded when it was last
completed (``data/<key>.build.json``, written only after all its files are in
place and removed before it is rendered again) is left as it is
("ongewijzigd"); the others are rendered ("bijgewerkt"). ``force`` renders all.

Runs go in parallel on at most ``workers`` threads (default: the number of
cores), each with one warm kernel (:mod:`mgg_geo.kernels`: started once, the
library imported, reset between notebooks), and one thread for every
:data:`NOTEBOOKS_PER_KERNEL` notebooks to render (a kernel costs about as much
as two or three notebooks); ``warm=False`` starts a fresh kernel per
notebook. A kernel that fails to start (the known papermill/jupyter-client
launch race) is retried; a cell error is not.

Outputs in ``out_dir`` (each written to a temporary name and renamed, so no
half report is ever visible):

* ``<code>-<naam>.html``: the report, without code (nbconvert, template ``rapport``);
* ``provincie-groningen.html``: the overview;
* ``notebooks/<name>.ipynb``: the executed notebooks (audit trail, also of failures);
* ``data/<code>.json``: key figures written by each notebook (the documented channel to the index);
* ``kaarten/<code>.html``: the interactive maps (offline pages; background tiles optional);
* with ``pdf``: ``<code>-<naam>.pdf`` and ``provincie-groningen.pdf``, each report printed on A4 by headless
  Chromium (:mod:`mgg_geo.present.pdf`); ``data/<key>.pdf.json`` records the digest of the HTML it was printed
  from, so a PDF is printed again only when its report changed or the PDF is missing (a report whose HTML is
  unchanged gets only its PDF printed). When a report is rendered again, the PDF this batch printed of its old
  version is removed first: no PDF older than its report stays in the folder;
* ``index.html``: links to every report in the folder with its key figures, and every failure
  (``data/<key>.error.json``), rebuilt under a file lock by every build.

The batch replaces these files only in a folder of its own: a new folder, or one marked by an earlier build
(``.mgg-reports``, written by :func:`prepare_output`; a folder of a version before the mark has build records in
``data/``). A folder without either that already holds an index, a report or a file in one of those subfolders
is refused before anything is written: those files are the user's.

Temporary files live in ``.mgg-tmp/`` folders (in ``out_dir`` and its subfolders) and carry the id of the
process writing them; a new build removes those of processes that no longer run (a killed batch leaves
no temporary file behind) and never touches any other file.

One failing municipality does not stop the others; failures are listed in the
index and make the exit status non-zero.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import queue
import re
import threading
import time
import traceback
from dataclasses import dataclass, field, fields
from pathlib import Path

import nbformat
from filelock import FileLock

from mgg_geo import analysis, settings
from mgg_geo.analysis.parameters import ReportParameters, check_municipalities
from mgg_geo.checks import absolute, check_int
from mgg_geo.data import cache, regions
from mgg_geo.errors import MggError, ParameterError
from mgg_geo.kernels import ENGINE, FRESH_ENGINE
from mgg_geo.present import fmt, folder, pages
from mgg_geo.present import pdf as printing

MUNICIPALITY_NOTEBOOK = "gemeente_rapport.ipynb"
OVERVIEW_NOTEBOOK = "provincie_overzicht.ipynb"
OVERVIEW_NAME = "provincie-groningen"
KERNEL_NAME = "mgg-geo"
#: A warm kernel costs about as much to start as two or three notebooks cost to run (2-core machine, shared
#: data: Pekela and the overview take 7.7 s wall and 7.6 s CPU on one kernel, 6.7-7.4 s wall and 9.4-10.0 s CPU
#: on two), so a batch starts another kernel only for every this many notebooks (with ``workers`` the most).
NOTEBOOKS_PER_KERNEL = 3


@dataclass
class Job:
    """One notebook run of the batch: ``key`` (GM code or "overview"), the notebook, the output file stem
    and the papermill parameters."""
    key: str  # GM code, or "overview"
    notebook: Path
    name: str  # output file stem
    parameters: dict
    build_key: str = ""  # everything the report is made from (:func:`build_key`)


@dataclass
class Outcome:
    """How one :class:`Job` ended: ``ok``, wall time in seconds, the one-line error and the attempts made."""
    job: Job
    ok: bool
    seconds: float
    error: str = ""
    attempts: int = 1
    status: str = ""  # bijgewerkt, ongewijzigd or MISLUKT
    pdf_status: str = ""  # with pdf: afgedrukt, ongewijzigd or MISLUKT
    pdf_seconds: float = 0.0
    pdf_error: str = ""

    def __post_init__(self):
        self.status = self.status or (UPDATED if self.ok else FAILED)


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
    def pdf_failures(self) -> list[Outcome]:
        """The outcomes whose PDF could not be printed."""
        return [o for o in self.outcomes if o.pdf_error]

    @property
    def exit_code(self) -> int:
        """0 when every report (and PDF) and the index were written, 1 otherwise (the command line's exit status)."""
        return 1 if self.failures or self.pdf_failures or self.index_error else 0


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


def execute(job: Job, out_dir: Path, *, retries: int = 2, kernel: str | None = None, warm: bool = False) -> Outcome:
    """Run one notebook with papermill (on this thread's warm kernel when ``warm``), keep it, and convert it to
    the report HTML."""
    import papermill

    from mgg_geo import kernels

    kernels.register()
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
                                               engine_name=ENGINE if warm else FRESH_ENGINE)
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
            title = folder.page_title(None if job.key == "overview" else job.key)
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


def output_problem(exc: BaseException, out: Path) -> str | None:
    """One line for a write that failed because of the disk (full, quota, read-only, permission), naming the
    folder ``out``; None for any other error."""
    from papermill.exceptions import PapermillExecutionError

    number = exc.errno if isinstance(exc, OSError) else None
    if isinstance(exc, PapermillExecutionError) and exc.ename in ("OSError", "PermissionError"):
        found = re.search(r"\[Errno (\d+)\]", str(exc.evalue))
        number = int(found.group(1)) if found else None
    if number == errno.ENOSPC or number == errno.EDQUOT:
        return f"no space left on the disk of {out}: free some space (or choose another --out) and run again"
    if number in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write to {out} ({os.strerror(number)}): choose another --out"
    return None


def _describe(exc: BaseException, out: Path | None = None) -> str:
    from papermill.exceptions import PapermillExecutionError

    problem = output_problem(exc, out) if out is not None else None
    if problem:
        return problem
    if isinstance(exc, PapermillExecutionError):
        return f"{exc.ename}: {exc.evalue}".strip()
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) < 2000 else text[:2000] + " ..." + "".join(traceback.format_exception_only(exc))[-200:]


def report_name(code: str) -> str:
    """The file stem of a report: ``GM0765-pekela``, or ``provincie-groningen`` for the overview."""
    return OVERVIEW_NAME if code == "overview" else folder.report_stem(code)


#: The folders the batch writes into inside ``out_dir`` (see the module docstring).
SUBFOLDERS = ("notebooks", "data", "kaarten")
#: The file that marks a reports folder of mgg_geo (see the module docstring).
MARKER = ".mgg-reports"


def foreign_files(out: Path) -> list[str]:
    """The files in ``out`` a build would replace though mgg_geo did not write them (relative names, sorted): none
    when ``out`` is new or a reports folder of mgg_geo (:data:`MARKER`, or the build records of an earlier
    version); else its index, reports and PDFs, and every visible file in :data:`SUBFOLDERS`. A folder with the
    user's own ``index.html`` and ``data/GM0765.json`` was written over without a word (attack on ``--out``)."""
    if not out.is_dir() or (out / MARKER).is_file() or any((out / "data").glob("*.build.json")):
        return []
    ours = {"index.html"} | {f"{report_name(c)}{s}" for c in (*regions.MUNICIPALITIES, "overview")
                             for s in (".html", ".pdf")}
    found = [p.name for p in out.iterdir() if p.name in ours]
    for name in SUBFOLDERS:
        if (out / name).is_dir():
            found += [f"{name}/{p.name}" for p in (out / name).iterdir() if not p.name.startswith(".")]
    return sorted(found)


def prepare_output(out_dir: str | Path) -> Path:
    """The reports folder, created and checked writable; leftovers of killed runs are removed.

    Raises
    ------
    ParameterError
        When ``out_dir`` is a file or cannot be written, one of its :data:`SUBFOLDERS` is a link or a file, or it
        holds files of the user's that a build would replace (:func:`foreign_files`; the message names ``--out``).
    """
    out = absolute(out_dir)
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out: {out} is a file; give a folder for the reports.")
    for name in SUBFOLDERS:  # a link there would let the batch write (and replace files) outside the folder
        sub = out / name
        if sub.is_symlink():
            raise ParameterError(f"--out: {sub} is a link (to {os.readlink(sub)}); the reports write into {name}/ "
                                 "and would change files outside the reports folder. Remove the link or choose "
                                 "another folder.")
        if sub.exists() and not sub.is_dir():
            raise ParameterError(f"--out: {sub} is a file; the reports need a folder {name}/ there. Move the "
                                 "file or choose another folder.")
    foreign = foreign_files(out)
    if foreign:
        raise ParameterError(f"--out: {out} holds files that mgg_geo did not write and a build would replace ("
                             + ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
                             + "); choose a new or empty folder for the reports, or move those files.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        cache.release(cache.temp_path(out, "probe"))
        if not (out / MARKER).is_file():
            _atomic_write(out / MARKER, "A reports folder of mgg_geo: its builds replace the reports, the index "
                                        "and the files in notebooks/, data/ and kaarten/.\n")
    except OSError as exc:
        raise ParameterError(f"--out: cannot write to {out} ({exc.strerror or exc}).") from None
    cache.remove_stale(out)
    return out


def run(params: ReportParameters | None = None, *, reports_for=None, out_dir: str | Path = "reports",
        workers: int | None = None, per_municipality: dict[str, dict] | None = None, overview: bool = True,
        progress: bool = True, retries: int = 2, force: bool = False, warm: bool = True,
        pdf: bool = False) -> BatchResult:
    """Render the reports that changed (see the module docstring).

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
        Extra notebook parameters per GM code (overriding ``params``), checked like ``params``.
    workers
        The most parallel runs (at least 1; default: the number of cores); one per
        :data:`NOTEBOOKS_PER_KERNEL` notebooks to render.
    force
        Render every report, also those whose build key is unchanged.
    warm
        Run the notebooks on warm kernels (:mod:`mgg_geo.kernels`), one per worker; False: a fresh kernel
        per notebook.
    pdf
        Also print every report and the overview to an A4 PDF beside it (headless Chromium, checked before anything
        runs); only PDFs that are missing or older than their report are printed.

    Raises
    ------
    SettingsError
        With ``pdf``, when Chromium is not installed (the message names ``MGG_CHROMIUM``).
    """
    params = params or ReportParameters()
    codes = list(params.municipalities) if reports_for is None else list(
        check_municipalities("gemeente", reports_for))
    if workers is not None:
        workers = check_int("workers", workers, minimum=1, maximum=64)
    overrides = check_overrides(per_municipality, params)
    if pdf:
        printing.chromium()  # a missing browser is named before anything runs
    out = prepare_output(out_dir)
    analysis.new_run()  # online, the analysis serves this run's notebooks only (mgg_geo.analysis.memo)
    try:
        return _run_batch(params, codes, out, overrides, workers=workers, overview=overview, progress=progress,
                          retries=retries, force=force, warm=warm, pdf=pdf)
    finally:
        analysis.release_run()


def _run_batch(params: ReportParameters, codes: list[str], out: Path, overrides: dict[str, dict], *, workers,
               overview: bool, progress: bool, retries: int, force: bool, warm: bool, pdf: bool) -> BatchResult:
    """:func:`run` once its arguments are checked and the output folder is prepared."""
    notebooks = settings.NOTEBOOK_DIR
    found = analysis.run_cached(params)  # compute once; every notebook finds it memoised
    common = params.to_notebook()
    jobs = [Job(code, notebooks / MUNICIPALITY_NOTEBOOK, report_name(code),
                {**common, "gemeente_code": code, "interactive": False, "output_dir": str(out),
                 **overrides.get(code, {})}) for code in codes]
    if overview:
        jobs.append(Job("overview", notebooks / OVERVIEW_NOTEBOOK, OVERVIEW_NAME, common))
    result = BatchResult()
    todo = []
    for job in jobs:
        job.build_key = build_key(found, job)
        if not force and up_to_date(out, job):
            result.outcomes.append(Outcome(job, ok=True, seconds=0.0, status=UNCHANGED))
        else:
            todo.append(job)
    bar = None
    if progress and todo:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc="rapporten", unit="rapport")

    def done(outcome: Outcome) -> None:
        result.outcomes.append(outcome)
        _record(out, outcome)
        if bar is not None:
            bar.update(1)
            bar.set_postfix_str(f"{outcome.job.key} {outcome.status}")

    try:
        _run_jobs(todo, out, workers=workers or os.cpu_count() or 1, retries=retries, warm=warm, done=done)
        if bar is not None:
            bar.close()
        printed = print_pdfs(out, [o for o in result.outcomes if o.ok], progress=progress) if pdf else 0
    except KeyboardInterrupt:  # Ctrl-C: the index lists what is there now (a PDF removed before its report was
        with contextlib.suppress(Exception):  # rendered again is no longer linked), then the interrupt goes on
            write_index(out)
        raise
    if todo or printed or not (out / "index.html").exists():  # nothing new: the index is as it was
        try:
            result.index = write_index(out)
        except OSError as exc:
            result.index_error = output_problem(exc, out) or f"cannot write {out / 'index.html'} ({exc})"
    else:
        result.index = out / "index.html"
    return result


def check_overrides(per_municipality: dict | None, params: ReportParameters) -> dict[str, dict]:
    """Per-municipality notebook parameters, checked before anything runs: known GM codes, and values that
    :class:`~mgg_geo.analysis.parameters.ReportParameters` accepts (or the notebook-only ``interactive``)."""
    checked: dict[str, dict] = {}
    for key, values in (per_municipality or {}).items():
        code = check_municipalities("gemeente", key)
        if len(code) != 1 or not isinstance(values, dict):
            raise ParameterError(f"per_municipality: {key!r} must be one municipality with a dict of parameters.")
        names = {f.name for f in fields(ReportParameters)} - {"municipalities"} | {"interactive"}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ParameterError(f"per_municipality[{key!r}]: unknown parameter(s) {', '.join(unknown)}; allowed: "
                                 f"{', '.join(sorted(names))}.")
        ReportParameters.from_namespace({**params.to_notebook(), **values})  # raises ParameterError
        checked[code[0]] = dict(values)
    return checked


#: How a report of a batch ended.
UPDATED, UNCHANGED, FAILED = "bijgewerkt", "ongewijzigd", "MISLUKT"
#: A PDF printed by this build.
PRINTED = "afgedrukt"


def build_key(found, job: Job) -> str:
    """The key of everything a report is made from: the part of the analysis it reads
    (:func:`mgg_geo.analysis.fingerprint.fingerprint`), its notebook, its parameters and the library's code
    version (which covers the templates and the stylesheet)."""
    from mgg_geo.analysis.fingerprint import fingerprint
    from mgg_geo.analysis.memo import code_version

    parameters = {k: v for k, v in job.parameters.items()}
    payload = {"code": code_version(), "notebook": cache.sha256(job.notebook), "parameters": parameters,
               "analysis": fingerprint(found, None if job.key == "overview" else job.key)}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _build_record(out: Path, job: Job) -> Path:
    return out / "data" / f"{job.key}.build.json"


def _pdf_record(out: Path, key: str) -> Path:
    return out / "data" / f"{key}.pdf.json"


def pdf_up_to_date(out: Path, key: str, name: str) -> bool:
    """Whether ``<name>.pdf`` in ``out`` is the PDF this batch printed of the current ``<name>.html``."""
    record = _read_json(_pdf_record(out, key))
    html, pdf = out / f"{name}.html", out / f"{name}.pdf"
    if not (isinstance(record, dict) and html.is_file() and pdf.is_file()):
        return False
    return record.get("html") == cache.sha256(html) and record.get("pdf") == cache.sha256(pdf)


def _drop_pdf(out: Path, job: Job) -> None:
    """Before a report is rendered again: remove the PDF this batch printed of it (its digest is recorded), so that
    no PDF older than its report stays; a PDF that is not the recorded one is left alone."""
    record_path = _pdf_record(out, job.key)
    record = _read_json(record_path)
    pdf = out / f"{job.name}.pdf"
    if isinstance(record, dict) and pdf.is_file() and not pdf.is_symlink() \
            and record.get("pdf") == cache.sha256(pdf):
        pdf.unlink()
    record_path.unlink(missing_ok=True)


def print_pdfs(out: Path, outcomes: list[Outcome], *, progress: bool = False) -> int:
    """Print the PDF of every report in ``outcomes`` whose PDF is missing or older than its HTML, on one Chromium.

    Sets each outcome's ``pdf_status`` (and ``pdf_error``); returns the number printed.
    """
    todo = []
    for outcome in outcomes:
        if pdf_up_to_date(out, outcome.job.key, outcome.job.name):
            outcome.pdf_status = UNCHANGED
        else:
            todo.append(outcome)
    if not todo:
        return 0
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=len(todo), desc="pdf", unit="pdf")
    printed = 0
    with printing.Printer() as printer:
        for outcome in todo:
            job = outcome.job
            try:
                _pdf_record(out, job.key).unlink(missing_ok=True)
                done = printer.print(out / f"{job.name}.html", out / f"{job.name}.pdf")
                cache.write_json_atomic(_pdf_record(out, job.key), {
                    "html": done.html_sha256, "pdf": cache.sha256(done.pdf), "file": done.pdf.name,
                    "refused": done.refused, "page_one_pt": done.page_one_pt, "page_one_fits": done.page_one_fits})
                outcome.pdf_status, outcome.pdf_seconds = PRINTED, done.seconds
                printed += 1
            except (MggError, OSError) as exc:
                outcome.pdf_status, outcome.pdf_error = FAILED, _describe(exc, out)
            if bar is not None:
                bar.update(1)
                bar.set_postfix_str(f"{job.key} {outcome.pdf_status}")
    if bar is not None:
        bar.close()
    return printed


def _outputs(job: Job) -> list[str]:
    """The files one report consists of, relative to the reports folder."""
    files = [f"{job.name}.html", f"notebooks/{job.name}.ipynb"]
    if job.key != "overview":
        files += [f"data/{job.key}.json", f"kaarten/{job.key}.html"]
    return files


def up_to_date(out: Path, job: Job) -> bool:
    """Whether the report of ``job`` in ``out`` was completed from exactly the inputs of ``job.build_key``."""
    record = _read_json(_build_record(out, job))
    return (isinstance(record, dict) and record.get("key") == job.build_key
            and all((out / f).is_file() for f in record.get("files", [None]) if f))


def _run_jobs(jobs: list[Job], out: Path, *, workers: int, retries: int, warm: bool, done) -> None:
    """Run ``jobs`` on ``workers`` threads, each with its own (warm) kernel; ``done(outcome)`` as each ends."""
    if not jobs:
        return
    kernel = kernel_name()
    pending: queue.Queue = queue.Queue()
    for job in jobs:
        pending.put(job)
    lock = threading.Lock()

    def worker() -> None:
        try:
            while True:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    _build_record(out, job).unlink(missing_ok=True)  # a killed run never leaves it up to date
                    _drop_pdf(out, job)
                    outcome = execute(job, out, retries=retries, kernel=kernel, warm=warm)
                    if outcome.ok:
                        cache.write_json_atomic(_build_record(out, job), {"key": job.build_key,
                                                                          "files": _outputs(job)})
                except OSError as exc:  # the record could not be kept: the report is rendered again next time
                    outcome = Outcome(job, ok=False, seconds=0.0, error=_describe(exc, out))
                with lock:
                    done(outcome)
        finally:
            if warm:
                from mgg_geo.kernels import WarmKernel

                WarmKernel.release()

    # a fresh kernel per notebook (not warm) gains nothing from sharing: then every worker runs
    count = min(workers, -(-len(jobs) // NOTEBOOKS_PER_KERNEL) if warm else len(jobs))
    threads = [threading.Thread(target=worker, name=f"mgg-worker-{i}", daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _record(out: Path, outcome: Outcome) -> None:
    """Keep a failure on disk (``data/<key>.error.json``) so that any later index lists it; a success clears it."""
    path = out / "data" / f"{outcome.job.key}.error.json"
    try:
        if outcome.ok:
            path.unlink(missing_ok=True)
        else:
            cache.write_json_atomic(path, {"key": outcome.job.key, "error": outcome.error, "at": fmt.when()})
    except OSError:
        pass  # e.g. a full disk: the failure is still reported by this run


def _read_json(path: Path):
    """A JSON file of the reports folder, or None when it cannot be read (never half a report in the index), is
    not a regular file (a link, a FIFO) or is larger than ``settings.MAX_MANIFEST_BYTES``."""
    try:
        return json.loads(cache.read_small(path, settings.MAX_MANIFEST_BYTES))
    except (OSError, UnicodeDecodeError, ValueError):
        return None


#: What the index reads of a key-figure sidecar, and the types it must have (None allowed: a figure not known).
INDEX_FIGURES = {"gemeente": str, "population": (int, float), "target_population": (int, float), "areas": int,
                 "sites_physical": int, "area_wide_offers": list, "areas_target_cell": int,
                 "target_within_reach_share": (int, float), "reach_km": (int, float), "level": str,
                 "target_group": str, "population_year": (int, str)}


def index_figures(figures) -> dict | None:
    """A sidecar's key figures when every one the index reads has its type (:data:`INDEX_FIGURES`; the offers
    text), else None: a sidecar edited by hand or left by another program with ``"population": "<b>x</b>"``
    stopped the index with an internal error and left the old one in place (attack on the reports folder)."""
    if not isinstance(figures, dict):
        return None
    for name, kind in INDEX_FIGURES.items():
        value = figures.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kind)):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return None
    if not all(isinstance(o, str) for o in figures.get("area_wide_offers") or []):
        return None
    return figures


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
            if code not in regions.MUNICIPALITIES or sidecar.name != f"{code}.json" or sidecar.is_symlink():
                # only the key-figure sidecar: never the .error, .build or .pdf records beside it
                continue
            report = out / f"{report_name(code)}.html"
            figures = index_figures(_read_json(sidecar))  # a damaged or foreign sidecar: as one that cannot be read
            if figures is not None and report.is_file() and not report.is_symlink():
                entries.append({"gemeente_code": code, "href": f"{report_name(code)}.html", "figures": figures,
                                "pdf": f"{report_name(code)}.pdf" if pdf_up_to_date(out, code, report_name(code))
                                else None})
        for record in sorted((out / "data").glob("*.error.json")):
            failure = _read_json(record)
            if not isinstance(failure, dict) or not isinstance(failure.get("key"), str):
                continue
            key = failure["key"]
            failures.append({"gemeente_code": "PV20" if key == "overview" else key,
                             "gemeente": "provinciaal overzicht" if key == "overview"
                             else regions.MUNICIPALITIES.get(key, key), "error": str(failure.get("error", ""))})
        href = f"{OVERVIEW_NAME}.html" if (out / f"{OVERVIEW_NAME}.html").exists() else None
        overview_pdf = f"{OVERVIEW_NAME}.pdf" if href and pdf_up_to_date(out, "overview", OVERVIEW_NAME) else None
        path = out / "index.html"
        _atomic_write(path, folder.index_html(entries, failures, overview=href, overview_pdf=overview_pdf,
                                              generated=fmt.when()))
    return path

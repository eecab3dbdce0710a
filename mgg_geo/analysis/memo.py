"""The analysis memo: a run saved as data files, keyed by its inputs and the code that computed it.

:func:`run_cached` is :func:`mgg_geo.analysis.chain.run` memoised on disk as GeoParquet, Parquet and JSON with a
sha256 manifest. Nothing read from the cache folder is ever executed (no pickle).

* **Offline** an analysis depends on the cache alone: it is kept in ``CACHE_DIR/analyses/<key>/`` for every
  later run with the same parameters, date, inputs and code.
* **Online** a service may not have answered (initiatives then placed on their area codes, a table left out),
  and the run itself may add to its inputs (geocoding answers, downloads). Its analysis serves only this run
  (:data:`RUN_ID`): the report batch starts a run (:func:`new_run`), hands its id to the kernels of its notebooks
  (:data:`RUN_ENV`) and removes the run's analyses when they are done (:func:`release_run`). They live in
  ``CACHE_DIR/analyses/runs/<run>.<key>/``. What a killed batch left there, and what notebooks in JupyterLab or
  direct calls saved (no batch releases them), is removed by a later online save once older than
  :data:`RUN_MAX_AGE`. The next online run computes again and asks the services for what the cache lacks.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import time
import uuid
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import __version__, settings
from mgg_geo.analysis.chain import Analysis, run
from mgg_geo.analysis.parameters import ReportParameters
from mgg_geo.data import cache
from mgg_geo.errors import CacheError, MggWarning
from mgg_geo.supply import initiatives

#: The environment variable that hands a run's id to the kernels of its batch (:mod:`mgg_geo.kernels`).
RUN_ENV = "MGG_RUN_ID"
#: Online analyses older than this (seconds) are left-overs (a killed batch, a notebook): a later save removes them.
RUN_MAX_AGE = 24 * 3600
_RUN_NAME = re.compile(r"[0-9a-f]{32}\.[0-9a-f]{20}")


def _given_run() -> str | None:
    given = os.environ.get(RUN_ENV, "")
    return given if re.fullmatch(r"[0-9a-f]{32}", given) else None


#: This run: the id the batch gave this kernel (:data:`RUN_ENV`), else one of this process (see :func:`new_run`).
RUN_ID = _given_run() or uuid.uuid4().hex


def new_run() -> str:
    """Start a new run in this process (the report batch does, each time it is called) and return its id."""
    global RUN_ID
    RUN_ID = uuid.uuid4().hex
    return RUN_ID


def from_notebook(namespace: dict) -> Analysis:
    """The province analysis for a report notebook's parameters (its ``globals()``), memoised.

    The notebooks and the batch both call this with the same parameters, so a
    batch computes the province once and every notebook run finds it in the memo.
    """
    return run_cached(ReportParameters.from_namespace(namespace))


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The package version and a hash of the library's own source (Python files and templates).

    Part of the memo key: after any code change, a saved analysis is computed again.
    """
    root = Path(__file__).resolve().parents[1]  # the mgg_geo package
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".j2", ".json", ".css")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{__version__}+{digest.hexdigest()[:16]}"


def memo_key(params: ReportParameters) -> str:
    """The memo key of :func:`run_cached`: parameters, date and code version; offline every input's checksum,
    online the run (whose own downloads and geocoding answers change its inputs as it goes)."""
    key_source = {
        "parameters": params.analysis_key(),
        "date": str(params.reference_date or settings.today()),
        "code": code_version(),
    }
    if not params.offline:
        key_source["run"] = RUN_ID
    else:
        register = Path(params.register_path or settings.REGISTER_PATH)
        geocode = Path(settings.CACHE_DIR) / "geocode.json"
        schools = Path(settings.SCHOOLS_PATH)
        key_source.update({
            "entries": sorted((e.name, e.manifest.get("sha256")) for e in cache.entries() if e.manifest["kind"]
                              != "crosswalk"),
            "register": cache.sha256(register) if register.is_file() else str(register),
            "geocode": cache.sha256(geocode) if geocode.is_file() else None,
            "schools": cache.sha256(schools) if schools.is_file() else None,
        })
    return hashlib.sha256(json.dumps(key_source, sort_keys=True, default=str).encode()).hexdigest()[:20]


def _runs() -> Path:
    """The folder of the online runs' analyses (see the module docstring)."""
    return Path(settings.CACHE_DIR) / "analyses" / "runs"


def folder_for(params: ReportParameters) -> Path:
    """Where :func:`run_cached` keeps the analysis of ``params``: ``CACHE_DIR/analyses/<key>`` offline,
    ``CACHE_DIR/analyses/runs/<run>.<key>`` online (see the module docstring)."""
    return _runs().parent / memo_key(params) if params.offline else _runs() / f"{RUN_ID}.{memo_key(params)}"


def _remove_runs(which) -> None:
    """Remove the online analyses in ``runs`` for which ``which(folder)`` holds: only folders the memo named
    (:data:`_RUN_NAME`), never a link."""
    runs = _runs()
    if not runs.is_dir() or runs.is_symlink():
        return
    for folder in runs.iterdir():
        if _RUN_NAME.fullmatch(folder.name) and folder.is_dir() and not folder.is_symlink() and which(folder):
            shutil.rmtree(folder, ignore_errors=True)


def release_run() -> None:
    """Remove the online analyses of this run (:data:`RUN_ID`; those of a batch's per-municipality parameters
    too), and the folder ``runs`` when it is then empty; nothing offline, nothing of another run."""
    _remove_runs(lambda folder: folder.name.startswith(f"{RUN_ID}."))
    with contextlib.suppress(OSError):
        _runs().rmdir()


def _prune_runs() -> None:
    """Remove the online analyses older than :data:`RUN_MAX_AGE` (left by killed batches and notebooks)."""
    now = time.time()

    def old(folder: Path) -> bool:
        try:
            return now - folder.lstat().st_mtime > RUN_MAX_AGE
        except OSError:
            return False

    _remove_runs(old)


def run_cached(params: ReportParameters | None = None, **changes) -> Analysis:
    """:func:`run`, memoised on disk in ``CACHE_DIR/analyses/`` (Parquet, GeoParquet and JSON; :func:`folder_for`).

    The key (:func:`memo_key`) covers the arguments, the date, the code
    version and, offline, every cache entry's checksum, the register file, the school list
    and the geocoding answers, so any change gives a new run; online the run itself instead
    (see the module docstring), so that a later run asks the services again. A saved analysis that is damaged
    or unreadable is computed again; nothing in the cache folder is ever
    executed (no pickle).
    """
    params = ReportParameters.resolve(params, **changes)
    folder = folder_for(params)
    if folder.exists() or folder.is_symlink():
        try:
            return _load_once(folder)
        except Exception as exc:  # noqa: BLE001 - whatever is wrong with a saved analysis, it is recomputed
            warnings.warn(MggWarning(f"The saved analysis {folder} cannot be used ({type(exc).__name__}: {exc}); "
                                     "computing it again."), stacklevel=2)
            if folder.is_symlink():  # not the project's: left alone, and nothing is saved over it
                return run(params)
            shutil.rmtree(folder, ignore_errors=True)  # a folder named by this key: the memo's own
    result = run(params)
    try:
        save(result, folder)
    except OSError as exc:  # e.g. a full or read-only cache: the computed result serves, the next run computes
        warnings.warn(MggWarning(f"The analysis could not be saved in {folder.parent} ({exc.strerror or exc}); "
                                 "it is computed again next time."), stacklevel=2)
        return result
    try:
        return load(folder)  # what every notebook reads: the saved analysis, not the one in memory
    except Exception:  # noqa: BLE001 - a saved folder that cannot be read back: the computed result serves
        return result


def storage(value) -> str:
    """How :func:`save` stores one field of :class:`Analysis`, by its type: ``geo`` (GeoParquet), ``frame``
    (Parquet), ``records`` (a table with nested values, as JSON records), ``register`` (the initiative register:
    GeoParquet and JSON) or ``json``.

    Raises
    ------
    TypeError
        For any other type: a new field must be given a way to be stored (the memo never pickles).
    """
    if isinstance(value, initiatives.Register):
        return "register"
    if isinstance(value, gpd.GeoDataFrame):
        return "geo"
    if isinstance(value, pd.DataFrame):
        nested = any(isinstance(v, (dict, list)) for column in value.columns if value[column].dtype == object
                     for v in value[column])
        return "records" if nested else "frame"
    if isinstance(value, (dict, list, str, int, float, bool, type(None))):
        return "json"
    raise TypeError(f"Analysis field of type {type(value).__name__} cannot be stored in the memo; give "
                    "mgg_geo.analysis.memo.storage a way to store it (never pickle).")


def save(result: Analysis, folder: str | Path) -> Path:
    """Store an analysis as data files: every field of :class:`Analysis` by its type (:func:`storage`), with
    the kinds and sha256 of the files in ``manifest.json``.

    The folder appears in one rename; a folder that exists already is left as it is. Saving an online analysis
    (in ``runs``) removes those that killed runs left there (see the module docstring).
    """
    folder = Path(folder)
    kinds = {f.name: storage(getattr(result, f.name)) for f in dataclasses.fields(result)}
    folder.parent.mkdir(parents=True, exist_ok=True)
    cache.remove_stale(folder.parent)
    if folder.parent == _runs():
        _prune_runs()
    tmp = cache.temp_path(folder.parent, folder.name, directory=True)
    try:
        meta = {}
        for name, kind in kinds.items():
            value = getattr(result, name)
            if kind in ("geo", "frame"):
                value.to_parquet(tmp / f"{name}.parquet")
            elif kind == "register":
                value.initiatives.to_parquet(tmp / f"{name}.parquet")
                meta[name] = {"path": str(value.path), "reference_date": str(value.reference_date),
                              "problems": [dataclasses.asdict(p) for p in value.problems]}
            elif kind == "records":
                meta[name] = {"index": value.index.name, "records": json.loads(
                    value.reset_index().to_json(orient="records", force_ascii=False))}
            else:
                meta[name] = value
        (tmp / "analysis.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
        files = {p.name: cache.sha256(p) for p in sorted(tmp.iterdir())}
        (tmp / "manifest.json").write_text(json.dumps({"code": code_version(), "fields": kinds, "files": files}),
                                           encoding="utf-8")
        os.replace(tmp, folder)
    except OSError:
        if not folder.is_dir():
            raise
    finally:
        cache.release(tmp)
    return folder


_LOADED: dict[tuple[str, str], Analysis] = {}


def _load_once(folder: Path) -> Analysis:
    """:func:`load`, kept in memory for this process (a warm kernel renders several reports from one
    analysis); every caller gets its own copy. Keyed by the folder and its manifest's checksum."""
    key = (str(folder), cache.sha256(folder / "manifest.json"))
    if key not in _LOADED:
        _LOADED.clear()  # one analysis at a time
        _LOADED[key] = load(folder)
    return copy.deepcopy(_LOADED[key])


def load(folder: str | Path) -> Analysis:
    """Read an analysis written by :func:`save`, checking every file against its checksum.

    Raises
    ------
    CacheError
        When a file is missing, damaged or from another code version.
    """
    folder = Path(folder)
    if folder.is_symlink() or (folder / "manifest.json").is_symlink():
        raise CacheError(f"{folder} is a link; only folders inside the cache are read.")
    manifest = json.loads(cache.read_small(folder / "manifest.json", settings.MAX_MANIFEST_BYTES))
    if manifest.get("code") != code_version():
        raise CacheError(f"{folder} was saved by another version of mgg_geo.")
    kinds = manifest.get("fields")
    if not isinstance(kinds, dict) or set(kinds) != {f.name for f in dataclasses.fields(Analysis)}:
        raise CacheError(f"{folder / 'manifest.json'} does not list the fields of an analysis.")
    expected = {f"{name}.parquet" for name, kind in kinds.items() if kind in ("geo", "frame", "register")}
    if not isinstance(manifest.get("files"), dict) or set(manifest["files"]) != expected | {"analysis.json"}:
        raise CacheError(f"{folder / 'manifest.json'} does not list the files of a saved analysis.")
    for name, digest in manifest["files"].items():
        if (folder / name).is_symlink() or cache.sha256(folder / name) != digest:
            raise CacheError(f"{folder / name} does not match its checksum.")
    meta = json.loads(cache.read_small(folder / "analysis.json", settings.MAX_ANSWER_BYTES))
    values = {}
    for name, kind in kinds.items():
        if kind == "geo":
            values[name] = gpd.read_parquet(folder / f"{name}.parquet")
        elif kind == "frame":
            values[name] = pd.read_parquet(folder / f"{name}.parquet")
        elif kind == "register":
            reg = meta[name]
            values[name] = initiatives.Register(
                path=Path(reg["path"]), initiatives=gpd.read_parquet(folder / f"{name}.parquet"),
                problems=[initiatives.Problem(**p) for p in reg["problems"]],
                reference_date=dt.date.fromisoformat(reg["reference_date"]))
        elif kind == "records":
            frame = pd.DataFrame(meta[name]["records"])
            index = meta[name]["index"]
            values[name] = frame.set_index(index) if index in frame else frame
        elif kind == "json":
            values[name] = meta[name]
        else:
            raise CacheError(f"{folder / 'manifest.json'}: unknown storage {kind!r} of field {name}.")
    return Analysis(**values)

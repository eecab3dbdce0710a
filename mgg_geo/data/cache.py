"""The download cache in ``settings.CACHE_DIR`` (``data/cache/``, git-ignored).

An entry is two files:

``<name>.<sha12>.parquet``
    The tidy table (Parquet) or boundaries (GeoParquet, EPSG:28992); the name
    carries the first 12 hex digits of its sha256, so a new version never
    overwrites the old one in place.
``<name>.json``
    The manifest: ``kind`` (kwb, health, boundaries), ``year``, ``table_id``,
    ``title``, ``modified`` (the table's ``Modified`` date), ``source_url`` or
    ``source_file``, ``origin`` (live or import), ``retrieved_at`` (UTC),
    ``rows``, ``levels`` (rows per level), ``municipalities``, ``sha256``,
    ``data_file``, ``columns`` (concept -> source column, title and unit),
    ``absent`` (concepts the table does not publish) and ``notes``.

Writes are atomic: the data file is written under a temporary name and
renamed, then the manifest likewise; the manifest's rename is the moment the
new entry becomes visible. An interrupted write leaves the previous entry
intact (and at most a stray temporary file in ``.mgg-tmp/``, tagged with the
process id and removed by the next write once that process is gone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import settings
from mgg_geo.data import kinds
from mgg_geo.errors import CacheError, MggWarning

#: Columns every data file of a kind must have (a file without them is a damaged entry).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "kwb": ("code", "level", "gemeente_code"),
    "health": ("code", "level", "gemeente_code"),
    "boundaries": ("code", "level", "gemeente_code", "geometry"),
    "crosswalk": ("from_code", "to_code", "relation"),
}
#: Manifest fields without which an entry cannot be read.
MANIFEST_FIELDS = ("kind", "name", "year", "data_file", "sha256")
#: Files in the cache folder that are not entries.
NOT_ENTRIES = ("geocode.json",)
_DATA_FILE = re.compile(r"^[\w.-]+\.parquet$")


def repair_hint(manifest: dict | None) -> str:
    """The command that rebuilds an entry: import its source file again, or download it again."""
    manifest = manifest if isinstance(manifest, dict) else {}
    kind, source = manifest.get("kind"), manifest.get("source_file")
    source_kind = kinds.of_manifest(manifest)
    if manifest.get("origin") == "import" and source_kind is not None and source:
        return source_kind.import_command(source, level=manifest.get("level"), year=manifest.get("year"))
    if kind == "crosswalk":
        return "mgg-geo data vintages (derives it again from the cached tables)"
    return "mgg-geo data fetch --refresh (online), or mgg-geo import ... / mgg-geo import shared (offline)"


@dataclass(frozen=True)
class Entry:
    """One cached table: its manifest and where it lives."""

    manifest: dict
    path: Path  # the manifest file

    @property
    def name(self) -> str:
        """The entry's name, e.g. ``kwb_2021_85039NED``."""
        return self.manifest["name"]

    def _damaged(self, why: str) -> CacheError:
        return CacheError(f"Cache entry {self.name} ({self.path}) is damaged: {why}. Nothing of it was used; "
                          f"repair it with: {repair_hint(self.manifest)}")

    @property
    def data_path(self) -> Path:
        """The data file of the entry (Parquet or GeoParquet; geometry in EPSG:28992): a plain file inside the
        cache folder, never a link or a path elsewhere (:class:`~mgg_geo.errors.CacheError` otherwise)."""
        name = str(self.manifest.get("data_file", ""))
        if not _DATA_FILE.match(name) or name.startswith("."):
            raise self._damaged(f"its data_file {name!r} is not a file name inside the cache folder (refused)")
        path = self.path.parent / name
        if path.is_symlink():
            raise self._damaged(f"its data file {name} is a link (refused: only files inside the cache are read)")
        return path

    def load(self) -> pd.DataFrame | gpd.GeoDataFrame:
        """Read the entry, checking its checksum and columns against the manifest."""
        path = self.data_path
        if not path.is_file():
            raise CacheError(f"Cache entry {self.name} is incomplete: {path} is missing. Repair it with: "
                             f"{repair_hint(self.manifest)}")
        if sha256(path) != self.manifest["sha256"]:
            raise self._damaged(f"{path.name} does not match its manifest checksum")
        try:
            if self.manifest.get("format") == "geoparquet":
                frame = gpd.read_parquet(path)
            else:
                frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - whatever the reader says, the entry is damaged
            raise self._damaged(f"{path.name} cannot be read ({type(exc).__name__}: {exc})") from None
        missing = [c for c in REQUIRED_COLUMNS.get(self.manifest.get("kind"), ()) if c not in frame.columns]
        if missing:
            raise self._damaged(f"{path.name} lacks the column(s) {', '.join(missing)}")
        return frame


def sha256(path: Path) -> str:
    """The sha256 hex digest of a file's bytes; OSError for anything but a regular file (a FIFO planted where a
    file is expected would never end)."""
    h = hashlib.sha256()
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file (a FIFO, device or folder is never read)")
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def now_utc() -> str:
    """Now in UTC as ISO 8601 text (seconds)."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def entry_name(kind: str, year: int, table_id: str | None = None, level: str | None = None) -> str:
    """The cache name of a source table: kind, year, and table id or level."""
    parts = [kind, str(year)] + ([table_id] if table_id else []) + ([level] if level else [])
    return "_".join(parts)


def entries(kind: str | None = None, *, warn: bool = True) -> list[Entry]:
    """All readable entries, optionally of one kind, sorted by name.

    A manifest that is not valid JSON, lacks a required field or is a link is a damaged entry: it is skipped
    with a warning that names it and the command that repairs it (:func:`damaged` lists them).
    """
    found, problems = _scan()
    for message in problems if warn else ():
        if message not in _WARNED:  # once per process, however often the cache is asked
            _WARNED.add(message)
            warnings.warn(MggWarning(message), stacklevel=2)
    return [e for e in found if kind is None or e.manifest.get("kind") == kind]


_WARNED: set[str] = set()


def damaged() -> list[str]:
    """One message per damaged manifest in the cache (see :func:`entries`)."""
    return _scan()[1]


def _scan() -> tuple[list[Entry], list[str]]:
    root = Path(settings.CACHE_DIR)
    if not root.is_dir():
        return [], []
    key = root.absolute()  # a relative folder names another folder after a change of directory
    with _READ_LOCK:
        known = _READ.pop(key, {})
    read: dict[str, tuple[tuple[int, ...], dict | str]] = {}
    out, problems = [], []
    for path in sorted(root.glob("*.json")):
        if path.name in NOT_ENTRIES:
            continue
        try:
            st = path.lstat()
        except OSError:
            continue  # removed since the listing
        stamp = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode)
        found = known.get(path.name)
        if found is not None and found[0] == stamp:
            manifest = found[1]
            read[path.name] = found
        else:
            manifest, lasting = _read_manifest(path, st)
            if lasting:  # a read that failed may succeed next time: not remembered
                read[path.name] = (stamp, manifest)
        if isinstance(manifest, str):
            problems.append(manifest)
        else:
            out.append(Entry(dict(manifest), path))  # a copy: a caller's change never reaches the next scan
    with _READ_LOCK:
        _READ[key] = read
        while len(_READ) > _READ_ROOTS:
            del _READ[next(iter(_READ))]
    return out, problems


#: The manifests read, per cache folder (the last :data:`_READ_ROOTS`), by file name: the file's device, inode,
#: size, modification and change times (ns) and mode when it was read, and the manifest or the message saying why
#: it is damaged. An entry is replaced by renaming a new manifest over the old one (a new inode), and an edit, a
#: change of permissions or a link in its place changes the stamp, so a file with the same stamp is not read and
#: parsed again: an analysis asks the cache a few hundred times.
_READ: dict[Path, dict[str, tuple[tuple[int, ...], dict | str]]] = {}
_READ_ROOTS = 8
_READ_LOCK = threading.Lock()  # the report batch asks from several threads


def _read_manifest(path: Path, st: os.stat_result) -> tuple[dict | str, bool]:
    """The manifest in ``path``, or the message that names it as damaged and the command that repairs it; and
    whether that answer lasts while the file is unchanged (not when the file could not be read)."""
    manifest = None
    try:
        if stat.S_ISLNK(st.st_mode):
            raise ValueError("the manifest is a link (refused: only files inside the cache are read)")
        manifest = json.loads(read_small(path, settings.MAX_MANIFEST_BYTES))
        if not isinstance(manifest, dict):
            raise ValueError("the manifest is not a JSON object")
        missing = [f for f in MANIFEST_FIELDS if f not in manifest]
        if missing:
            raise ValueError(f"the manifest lacks {', '.join(missing)}")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        why = f"not valid JSON ({exc})" if isinstance(exc, json.JSONDecodeError) else str(exc)
        return (f"Cache entry {path.name} is damaged: {why}; it is ignored. Repair it with: "
                f"{repair_hint(manifest)}"), not isinstance(exc, OSError)
    return manifest, True


def read_small(path: Path, limit: int) -> str:
    """The UTF-8 text of ``path``, read only when it is a regular file (not a link, FIFO or device) of at most
    ``limit`` bytes: a file planted in the cache can neither hold a scan (a FIFO never ends) nor fill the memory.
    Raises ValueError saying why not (OSError when it cannot be opened)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("it is not a regular file (a FIFO, device or folder is never read)")
        if st.st_size > limit:
            raise ValueError(f"it is larger than {limit:,} bytes".replace(",", "."))
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew while being read
        raise ValueError(f"it is larger than {limit:,} bytes".replace(",", "."))
    return data.decode("utf-8")


def find(kind: str, *, year: int | None = None, table_id: str | None = None, level: str | None = None,
         require: tuple[str, ...] = ()) -> Entry | None:
    """The newest entry of ``kind`` that matches; None if there is none.

    Parameters
    ----------
    year, table_id
        Exact vintage / table wanted (None: any, newest year first).
    level
        The entry must hold rows at this level (gemeente, wijk or buurt).
    require
        Concept keys the entry must carry (e.g. the income concepts).
    """
    candidates = []
    for entry in entries(kind):
        m = entry.manifest
        if year is not None and m.get("year") != year:
            continue
        if table_id is not None and m.get("table_id") != table_id:
            continue
        if level is not None and not m.get("levels", {}).get(level):
            continue
        if any(c not in m.get("columns", {}) for c in require):
            continue
        candidates.append(entry)
    candidates.sort(key=lambda e: (e.manifest.get("year", 0), e.manifest.get("retrieved_at", "")))
    return candidates[-1] if candidates else None


def store(frame: pd.DataFrame | gpd.GeoDataFrame, manifest: dict) -> Entry:
    """Write ``frame`` and its manifest atomically and return the new entry.

    ``manifest`` must hold ``kind`` and ``year``; ``name``, ``rows``,
    ``levels``, ``municipalities``, ``sha256``, ``data_file`` and ``format``
    are filled in here.
    """
    root = Path(settings.CACHE_DIR)
    root.mkdir(parents=True, exist_ok=True)
    kind = manifest["kind"]
    name = manifest.get("name") or entry_name(kind, manifest["year"],
                                              None if kind == "boundaries" else manifest.get("table_id"),
                                              manifest.get("level"))
    remove_stale(root)
    is_geo = isinstance(frame, gpd.GeoDataFrame)
    tmp = temp_path(root, name, ".parquet")
    try:
        frame.to_parquet(tmp, index=False)
        digest = sha256(tmp)
        os.chmod(tmp, 0o644)
        data_file = f"{name}.{digest[:12]}.parquet"
        os.replace(tmp, root / data_file)
    finally:
        release(tmp)
    levels = frame["level"].value_counts().to_dict() if "level" in frame else {}
    municipalities = sorted({c for c in frame.get("gemeente_code", pd.Series(dtype=str)).dropna() if c})
    manifest = {
        **manifest,
        "name": name,
        "rows": int(len(frame)),
        "levels": {str(k): int(v) for k, v in levels.items()},
        "municipalities": municipalities,
        "sha256": digest,
        "data_file": data_file,
        "format": "geoparquet" if is_geo else "parquet",
    }
    write_json_atomic(root / f"{name}.json", manifest)
    for old in root.glob(f"{name}.*.parquet"):  # earlier versions of this entry (the names store() gives)
        if old.name != data_file and re.fullmatch(re.escape(name) + r"\.[0-9a-f]{12}\.parquet", old.name) \
                and old.is_file() and not old.is_symlink():
            old.unlink(missing_ok=True)
    return Entry(manifest, root / f"{name}.json")


#: The one folder of temporary files in any folder the project writes to (the cache, the reports folder and
#: their subfolders). Nothing else is ever cleaned up.
TEMP_DIR = ".mgg-tmp"
_TEMP_NAME = re.compile(r"^(\d+)-")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temp_path(folder: str | Path, stem: str, suffix: str = ".tmp", *, directory: bool = False) -> Path:
    """A new temporary file (or folder) for ``folder``: ``folder/.mgg-tmp/<pid>-<random>.<stem><suffix>``.

    It lives in :data:`TEMP_DIR`, a folder only this project writes, on the same file system as ``folder``
    (so a rename into place is atomic); the process id in its name lets :func:`remove_stale` tell the
    leftovers of killed runs from the files a concurrent run is still writing.
    """
    stem = re.sub(r"[^\w.-]+", "_", stem)[:80] or "tmp"
    for _ in range(10):  # another run may remove the empty temporary folder between mkdir and mkstemp
        tmp_dir = Path(folder) / TEMP_DIR
        tmp_dir.mkdir(parents=True, exist_ok=True)
        try:
            if directory:
                return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", suffix=f".{stem}", dir=tmp_dir))
            fd, name = tempfile.mkstemp(prefix=f"{os.getpid()}-", suffix=f".{stem}{suffix}", dir=tmp_dir)
            os.close(fd)
            return Path(name)
        except FileNotFoundError:
            continue
    raise OSError(f"cannot create a temporary file in {Path(folder) / TEMP_DIR}")


def release(tmp: Path) -> None:
    """Remove the temporary file ``tmp`` (if still there) and its :data:`TEMP_DIR` folder when that is empty."""
    tmp = Path(tmp)
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)
    if tmp.parent.name == TEMP_DIR:
        try:
            tmp.parent.rmdir()
        except OSError:
            pass  # not empty: a concurrent run is writing


def remove_stale(folder: str | Path) -> list[Path]:
    """Remove what killed runs left in the :data:`TEMP_DIR` folders of ``folder`` and its direct subfolders.

    Only entries of a :data:`TEMP_DIR` folder whose name starts with the id of a process that no longer runs
    are removed (and the folder itself once empty); no other file is ever touched. Returns what was removed.
    """
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir() or folder.is_symlink():
        return removed
    candidates = [folder / TEMP_DIR] + [sub / TEMP_DIR for sub in folder.iterdir()
                                        if sub.is_dir() and not sub.is_symlink() and sub.name != TEMP_DIR]
    for tmp_dir in candidates:
        if not tmp_dir.is_dir() or tmp_dir.is_symlink():
            continue
        for path in tmp_dir.iterdir():
            match = _TEMP_NAME.match(path.name)
            if match and not _alive(int(match.group(1))):
                release(path)
                removed.append(path)
        try:
            tmp_dir.rmdir()
        except OSError:
            pass
    return removed


@contextmanager
def atomic_file(path: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary file for ``path``; when the block succeeds it becomes ``path``.

    The temporary file lives in ``.mgg-tmp/`` beside ``path`` (:func:`temp_path`) and ends in ``suffix``
    (pass the real extension for writers that choose their format by it). On success the file is made
    readable (0644) and renamed over ``path`` in one step; on any error it is removed and ``path`` is left
    as it was. No half-written file is ever visible under ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path.parent, path.stem, suffix)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        try:
            os.replace(tmp, path)
        except OSError as exc:  # named by the file the user asked for, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    finally:
        release(tmp)


def write_json_atomic(path: Path, payload: dict) -> None:
    """Write JSON to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8")


def snapshot() -> dict[str, str]:
    """``{file name: sha256}`` of every file in the cache (for tests: 'the cache is as it was')."""
    root = Path(settings.CACHE_DIR)
    if not root.exists():
        return {}
    return {p.name: sha256(p) for p in sorted(root.iterdir()) if p.is_file()}

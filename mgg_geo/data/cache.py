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
intact (and at most a stray temporary file, tagged with the process id and
removed by the next write once that process is gone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from mgg_geo import settings
from mgg_geo.errors import CacheError


@dataclass(frozen=True)
class Entry:
    """One cached table: its manifest and where it lives."""

    manifest: dict
    path: Path  # the manifest file

    @property
    def name(self) -> str:
        """The entry's name, e.g. ``kwb_2021_85039NED``."""
        return self.manifest["name"]

    @property
    def data_path(self) -> Path:
        """The data file of the entry (Parquet or GeoParquet; geometry in EPSG:28992)."""
        return self.path.parent / self.manifest["data_file"]

    def load(self) -> pd.DataFrame | gpd.GeoDataFrame:
        """Read the entry, checking its sha256 against the manifest."""
        path = self.data_path
        if not path.exists():
            raise CacheError(f"Cache entry {self.name} is incomplete: {path} is missing. Download or import it again.")
        if sha256(path) != self.manifest["sha256"]:
            raise CacheError(
                f"Cache entry {self.name} is damaged: {path} does not match its manifest checksum. "
                "Download it again with --refresh or import it again."
            )
        if self.manifest.get("format") == "geoparquet":
            return gpd.read_parquet(path)
        return pd.read_parquet(path)


def sha256(path: Path) -> str:
    """The sha256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
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


def entries(kind: str | None = None) -> list[Entry]:
    """All valid entries (manifest present), optionally of one kind, sorted by name."""
    root = Path(settings.CACHE_DIR)
    if not root.exists():
        return []
    out = []
    for path in sorted(root.glob("*.json")):
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if kind is None or manifest.get("kind") == kind:
            out.append(Entry(manifest, path))
    return out


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
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(name), suffix=".tmp", dir=root)
    os.close(fd)
    tmp = Path(tmp)
    try:
        frame.to_parquet(tmp, index=False)
        digest = sha256(tmp)
        os.chmod(tmp, 0o644)
        data_file = f"{name}.{digest[:12]}.parquet"
        os.replace(tmp, root / data_file)
    finally:
        tmp.unlink(missing_ok=True)
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
    for old in root.glob(f"{name}.*.parquet"):
        if old.name != data_file:
            old.unlink(missing_ok=True)
    return Entry(manifest, root / f"{name}.json")


_TEMP = re.compile(r"^\..+\.(\d+)-[^/]*$")


def temp_prefix(stem: str) -> str:
    """The prefix of a temporary file or folder: hidden, and tagged with this process's id.

    The id lets :func:`remove_stale` tell leftovers of killed runs from the
    files a concurrent run is still writing.
    """
    return f".{stem}.{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: str | Path) -> list[Path]:
    """Remove temporary files and folders (under ``folder``) left by runs that no longer exist; returns them."""
    folder = Path(folder)
    removed = []
    if not folder.is_dir():
        return removed
    for path in folder.rglob(".*"):
        match = _TEMP.match(path.name)
        if match and not _alive(int(match.group(1))):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextmanager
def atomic_file(path: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary file beside ``path``; when the block succeeds it becomes ``path``.

    The temporary name starts with a dot and ends in ``suffix`` (pass the real
    extension for writers that choose their format by it). On success the file
    is made readable (0644) and renamed over ``path`` in one step; on any error
    it is removed and ``path`` is left as it was. No half-written file is ever
    visible under ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path.stem), suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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

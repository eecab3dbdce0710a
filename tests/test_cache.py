import os

import pandas as pd
import pytest

from mgg_geo import settings
from mgg_geo.data import cache
from mgg_geo.errors import CacheError


def _frame(n=3):
    return pd.DataFrame({"code": [f"WK00140{i}" for i in range(n)], "level": "wijk", "gemeente_code": "GM0014",
                         "population": range(n)})


def test_store_and_load_roundtrip():
    entry = cache.store(_frame(), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    assert entry.name == "kwb_2021_85039NED"
    assert entry.manifest["rows"] == 3 and entry.manifest["levels"] == {"wijk": 3}
    assert entry.manifest["municipalities"] == ["GM0014"]
    pd.testing.assert_frame_equal(entry.load(), _frame())
    assert cache.find("kwb", year=2021).name == entry.name
    assert cache.find("kwb", level="buurt") is None


def test_interrupted_write_leaves_previous_entry_intact(monkeypatch):
    cache.store(_frame(2), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    before = cache.snapshot()

    def boom(self, *a, **k):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.store(_frame(5), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    assert cache.snapshot() == before
    assert len(cache.find("kwb", year=2021).load()) == 2


def test_damaged_entry_is_reported():
    entry = cache.store(_frame(), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    entry.data_path.write_bytes(b"garbage")
    with pytest.raises(CacheError, match="damaged.*--refresh"):
        entry.load()


def test_newer_version_replaces_old_data_file():
    cache.store(_frame(2), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    cache.store(_frame(4), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    files = sorted(p.name for p in settings.CACHE_DIR.iterdir())
    assert len([f for f in files if f.endswith(".parquet")]) == 1
    assert len(cache.find("kwb", year=2021).load()) == 4


def test_atomic_file_keeps_target_on_error_and_publishes_readable_file(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with cache.atomic_file(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["report.html"]
    with cache.atomic_file(target, suffix=".html") as tmp:
        assert tmp.parent == tmp_path / cache.TEMP_DIR and tmp.name.endswith(".report.html")
        tmp.write_text("new")
    assert target.read_text() == "new" and (target.stat().st_mode & 0o777) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    # a target that cannot be replaced (a folder) is named in the error, not the temporary file (attack on the export)
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(OSError) as failed:
        with cache.atomic_file(tmp_path / "folder.csv", suffix=".csv") as tmp:
            tmp.write_text("x")
    assert failed.value.filename == str(tmp_path / "folder.csv") and cache.TEMP_DIR not in str(failed.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.csv", "report.html"]


def test_a_manifest_is_read_again_only_when_its_file_changed(monkeypatch):
    """The cache remembers the manifests it read (an analysis asks it a few hundred times), by the file's device,
    inode, size, times and mode: an unchanged file is not read again, a file edited in place (even with its
    modification time put back) or replaced is, and a caller that changes the manifest it was given does not change
    what the next caller is given."""
    from pathlib import Path

    entry = cache.store(_frame(), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})
    assert [e.name for e in cache.entries()] == [entry.name]  # read once
    reads = []
    real = cache.read_small  # every manifest is read through it (bounded, regular files only)
    monkeypatch.setattr(cache, "read_small", lambda path, limit: reads.append(Path(path).name) or real(path, limit))
    assert cache.find("kwb", year=2021).manifest == entry.manifest
    assert reads == []  # unchanged since
    cache.find("kwb", year=2021).manifest["title"] = "changed by a caller"
    assert cache.find("kwb", year=2021).manifest.get("title") == entry.manifest.get("title")
    entry.path.write_text("{not json", encoding="utf-8")  # edited in place: same inode, new size and time
    with pytest.warns(Warning, match="kwb_2021_85039NED.json is damaged: not valid JSON"):
        assert cache.find("kwb", year=2021) is None
    assert reads == [entry.path.name]
    cache.store(_frame(2), {"kind": "kwb", "year": 2021, "table_id": "85039NED"})  # a new manifest renamed over it
    assert cache.find("kwb", year=2021).manifest["rows"] == 2 and cache.damaged() == []
    # an edit that keeps the size and puts the modification time back (as a copy or an unpacked archive does)
    path = cache.find("kwb", year=2021).path
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace('"rows": 2', '"rows": 7'), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and cache.find("kwb", year=2021).manifest["rows"] == 7

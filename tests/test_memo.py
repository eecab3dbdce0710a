"""The memo stores every field of an Analysis by its type and reads it back the same (no pickle, nothing dropped)."""
import dataclasses
import os
import shutil
import time

import geopandas as gpd
import pandas as pd
import pytest

from mgg_geo import settings
from mgg_geo.analysis import memo
from mgg_geo.analysis.chain import Analysis
from mgg_geo.analysis.parameters import ReportParameters
from mgg_geo.errors import MggWarning
from mgg_geo.supply import initiatives

pytestmark = pytest.mark.shared


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns with every missing value as None (Parquet reads a missing text as NaN, pandas may hold None)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out


def _same(a, b, name):
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, type(a)), name
        pd.testing.assert_frame_equal(_missing_as_none(b), _missing_as_none(a), check_dtype=False,
                                      check_index_type=False, check_column_type=False, obj=name)
    elif isinstance(a, initiatives.Register):
        assert (b.path, b.reference_date, b.problems) == (a.path, a.reference_date, a.problems), name
        _same(a.initiatives, b.initiatives, f"{name}.initiatives")
    else:
        assert b == a, name


def test_every_field_of_an_analysis_survives_the_memo(province_analysis, tmp_path):
    folder = memo.save(province_analysis, tmp_path / "saved")
    loaded = memo.load(folder)
    names = [f.name for f in dataclasses.fields(Analysis)]
    for name in names:  # a field added to Analysis without a way to store it fails save() above, or here
        _same(getattr(province_analysis, name), getattr(loaded, name), name)
    assert set(memo.storage(getattr(province_analysis, n)) for n in names) >= {"geo", "frame", "records", "json",
                                                                              "register"}


def test_a_field_of_a_type_the_memo_cannot_store_is_refused(province_analysis, tmp_path):
    @dataclasses.dataclass
    class Extended(Analysis):
        extra: object = dataclasses.field(default_factory=object)

    extended = Extended(**{f.name: getattr(province_analysis, f.name) for f in dataclasses.fields(Analysis)})
    with pytest.raises(TypeError, match="cannot be stored in the memo"):
        memo.save(extended, tmp_path / "saved")
    assert not (tmp_path / "saved").exists()


def test_storage_by_type():
    frame = pd.DataFrame({"a": [1, 2]})
    assert memo.storage(gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy([0, 1], [0, 1]))) == "geo"
    assert memo.storage(frame) == "frame"
    assert memo.storage(pd.DataFrame({"a": [{"x": 1}, [2]]})) == "records"
    assert memo.storage({"k": [1, "two"]}) == "json"


def test_an_analysis_that_cannot_be_saved_still_serves_with_a_warning(province_analysis, tmp_path, monkeypatch):
    monkeypatch.setattr(memo, "run", lambda params: province_analysis)  # computed: only the saving is looked at
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "analyses").write_text("a file where the memo folder would go")
    with pytest.warns(MggWarning, match=r"could not be saved in .*analyses .*computed again next time"):
        result = memo.run_cached(ReportParameters(offline=True, geocode=False))
    assert result is province_analysis
    assert (tmp_path / "cache" / "analyses").read_text() == "a file where the memo folder would go"


def test_an_online_analysis_serves_only_the_run_that_computed_it(province_analysis, tmp_path, monkeypatch):
    """Online a service may not have answered (initiatives left on their area codes, a table left out): the next
    run asks the services again instead of reading this analysis. The run itself (the batch and the notebooks it
    renders) reads it; an offline analysis is kept for every run."""
    computed = []
    monkeypatch.setattr(memo, "run", lambda params: computed.append(params.offline) or province_analysis)
    monkeypatch.setattr(settings, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(memo, "RUN_ID", memo.RUN_ID)  # this process's run again after the test
    online, offline = ReportParameters(offline=False, geocode=False), ReportParameters(offline=True, geocode=False)
    runs = tmp_path / "cache" / "analyses" / "runs"
    first_run = memo.new_run()
    memo.run_cached(online)
    memo.run_cached(online)
    (tmp_path / "cache" / "geocode.json").write_text("{}")  # the run's own geocoding answers: still this run's
    memo.run_cached(online)
    memo.run_cached(offline)
    memo.run_cached(offline)
    assert computed == [False, True]  # once each in this run
    first = memo.folder_for(online)
    assert first.is_dir() and first.parent == runs and first.name.startswith(f"{first_run}.")
    assert memo.folder_for(offline).parent == runs.parent

    second_run = memo.new_run()  # the next run
    memo.run_cached(online)
    memo.run_cached(offline)
    assert computed == [False, True, False] and memo.folder_for(online) != first and first.is_dir()

    killed = runs / f"{'0' * 32}.{'1' * 20}"  # what a killed run left a day ago ...
    killed.mkdir()
    (killed / "manifest.json").write_text("{}")
    os.utime(killed, (time.time() - memo.RUN_MAX_AGE - 60,) * 2)
    running = runs / f"{'2' * 32}.{'3' * 20}"  # ... and another run's, still running
    shutil.copytree(first, running)
    theirs = runs / "not-an-analysis"  # and a folder the project did not name
    theirs.mkdir()
    third_run = memo.new_run()
    memo.run_cached(online)  # saving removes what killed runs left, nothing of a running one
    assert not killed.exists() and running.is_dir() and first.is_dir() and theirs.is_dir()

    monkeypatch.setattr(memo, "RUN_ID", second_run)
    memo.release_run()  # the batch of the second run, when its notebooks are done: its analyses go, no other
    assert sorted(p.name.split(".")[0] for p in runs.iterdir()) == sorted(
        [first_run, third_run, "2" * 32, "not-an-analysis"])
    assert memo.folder_for(offline).is_dir() and computed == [False, True, False, False]

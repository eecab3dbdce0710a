"""Reports at the speed of a click: only what changed is rendered, on warm kernels that equal fresh ones.

Each test starts from a copy of the imported cache with the analysis of ``PARAMS`` in its memo (as after a first
batch); a test that changes the register computes its own. The batches run on one worker (one kernel) unless the
test is about the kernels: what is rendered or left alone does not depend on how many run at once (tests/test_reports.py
and tests/test_safety.py render on two).
"""
import shutil

import nbformat
import pandas as pd
import pytest

from mgg_geo import batch, settings
from mgg_geo.analysis.parameters import ReportParameters
from tests.conftest import REPORTS

pytestmark = pytest.mark.shared
PARAMS = ReportParameters(**REPORTS)


@pytest.fixture
def private_cache(memo_cache, tmp_path, monkeypatch):
    cache_dir = tmp_path / "cache"
    shutil.copytree(memo_cache, cache_dir)
    monkeypatch.setattr(settings, "CACHE_DIR", cache_dir)
    monkeypatch.setenv("MGG_CACHE_DIR", str(cache_dir))
    return cache_dir


def snapshot(folder):
    """Every file under ``folder`` with its inode and modification time (ns)."""
    return {p.relative_to(folder): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def statuses(result):
    return {o.job.key: o.status for o in result.outcomes}


def test_an_unchanged_rebuild_touches_no_file(private_cache, tmp_path):
    out = tmp_path / "reports"
    first = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, workers=1)
    assert statuses(first) == {"GM0765": "bijgewerkt", "overview": "bijgewerkt"}, [o.error for o in first.failures]
    before = snapshot(out)
    again = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, workers=1)
    assert statuses(again) == {"GM0765": "ongewijzigd", "overview": "ongewijzigd"} and again.exit_code == 0
    assert snapshot(out) == before  # not one file written, replaced or added
    forced = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, force=True, workers=1)
    assert statuses(forced) == {"GM0765": "bijgewerkt", "overview": "bijgewerkt"}


def _register_with(tmp_path, rows: list[str]):
    shipped = settings.REGISTER_PATH.read_text(encoding="utf-8-sig").rstrip("\r\n")
    header = shipped.splitlines()[0].split(";")
    lines = [";".join(dict(zip(header, [""] * len(header), strict=True), **dict(
        kv.split("=", 1) for kv in row.split("|"))).values()) for row in rows]
    path = tmp_path / "register.csv"
    path.write_text(shipped + "\n" + "\n".join(lines) + "\n", encoding="utf-8-sig")
    return path


def test_a_changed_register_row_rebuilds_exactly_the_reports_it_changes(private_cache, tmp_path):
    out = tmp_path / "reports"
    codes = ["Pekela", "Westerwolde"]
    register = _register_with(tmp_path, [])
    params = PARAMS.replace(register_path=register)
    first = batch.run(params, reports_for=codes, out_dir=out, progress=False, workers=1)
    assert first.exit_code == 0, [o.error for o in first.failures]
    before = snapshot(out)
    # a new youth site in Ter Apel (Westerwolde), far from Pekela
    _register_with(tmp_path, ["naam=Jongerenplek Ter Apel|programma=jongerenwerk|leeftijd_min=12|leeftijd_max=23|"
                              "gebiedscode=WK195007|plaats=Ter Apel"])
    second = batch.run(params, reports_for=codes, out_dir=out, progress=False, workers=1)
    assert statuses(second) == {"GM0765": "ongewijzigd", "GM1950": "bijgewerkt", "overview": "bijgewerkt"}, \
        [o.error for o in second.failures]
    after = snapshot(out)
    for name in ("GM0765-pekela.html", "notebooks/GM0765-pekela.ipynb", "kaarten/GM0765.html", "data/GM0765.json"):
        assert after[pd.io.common.Path(name)] == before[pd.io.common.Path(name)]  # untouched
    assert after[pd.io.common.Path("GM1950-westerwolde.html")] != before[pd.io.common.Path("GM1950-westerwolde.html")]
    assert "Jongerenplek Ter Apel" in (out / "kaarten" / "GM1950.html").read_text(encoding="utf-8")


def test_a_failed_or_killed_run_is_never_marked_up_to_date(private_cache, tmp_path):
    out = tmp_path / "reports"
    first = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, overview=False)
    assert first.exit_code == 0
    record = out / "data" / "GM0765.build.json"
    assert record.is_file()
    (out / "kaarten" / "GM0765.html").unlink()  # a report that lost a file is not complete
    again = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, overview=False)
    assert statuses(again) == {"GM0765": "bijgewerkt"}
    failing = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, overview=False, force=True,
                        per_municipality={"GM0765": {"kwb_year": 2023}})  # no KWB 2023 in the cache: fails
    assert statuses(failing) == {"GM0765": "MISLUKT"} and not record.exists()
    later = batch.run(PARAMS, reports_for=["Pekela"], out_dir=out, progress=False, overview=False)
    assert statuses(later) == {"GM0765": "bijgewerkt"} and record.is_file()


def _outputs(notebook):
    """Every cell's displayed outputs (no stderr, no timings) of an executed notebook; its folder reads OUT."""
    nb = nbformat.reads(notebook.read_text(encoding="utf-8").replace(str(notebook.parents[1]), "OUT"), as_version=4)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = [{k: v for k, v in o.items() if k not in ("metadata",)} for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
        cells.append((cell.source, cell.get("execution_count"), kept))
    return cells


def test_a_warm_kernel_report_equals_a_fresh_kernel_report(private_cache, tmp_path):
    warm = batch.run(PARAMS, reports_for=["Pekela"], out_dir=tmp_path / "warm", progress=False, workers=1,
                     warm=True)
    fresh = batch.run(PARAMS, reports_for=["Pekela"], out_dir=tmp_path / "fresh", progress=False, workers=1,
                      warm=False)
    assert warm.exit_code == 0 and fresh.exit_code == 0
    for name in ("GM0765-pekela", "provincie-groningen"):
        a = (tmp_path / "warm" / f"{name}.html").read_text(encoding="utf-8")
        b = (tmp_path / "fresh" / f"{name}.html").read_text(encoding="utf-8")
        assert a == b, name
        assert _outputs(tmp_path / "warm" / "notebooks" / f"{name}.ipynb") == \
            _outputs(tmp_path / "fresh" / "notebooks" / f"{name}.ipynb"), name
    # the map page too, byte for byte
    assert (tmp_path / "warm" / "kaarten" / "GM0765.html").read_bytes() == \
        (tmp_path / "fresh" / "kaarten" / "GM0765.html").read_bytes()
    # the second notebook on the warm kernel (the overview, after Pekela) started from a clean namespace: its
    # first cell is number 1
    assert [o.job.key for o in warm.outcomes] == ["GM0765", "overview"]
    counts = [c[1] for c in _outputs(tmp_path / "warm" / "notebooks" / "provincie-groningen.ipynb") if c[1]]
    assert counts[0] == 1


def test_a_warm_kernel_keeps_no_history_and_freezes_its_warm_up(tmp_path, monkeypatch):
    """The batch kernels write no IPython history (nothing in the profile, which parallel kernels would share)
    and move the warmed-up modules out of the garbage collector's reach (mgg_geo.kernels)."""
    from mgg_geo import kernels

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # the kernel's profile: looked at afterwards
    kernel = kernels.WarmKernel(batch.kernel_name())
    try:
        kernel.start()
        for _ in range(2):  # a notebook's cells are stored (as papermill runs them), then the next reset
            kernel._sync(kernel.kc.execute_interactive, "x = 1", store_history=True, output_hook=lambda msg: None)
            kernel.reset()
        seen = tmp_path / "seen.txt"
        kernel.run(f"open({str(seen)!r}, 'w').write(repr((get_ipython().history_manager.enabled, "
                   "__import__('gc').get_freeze_count() > 0, len(get_ipython().history_manager.db_input_cache))))")
    finally:
        kernel.shutdown()
    assert seen.read_text() == "(False, True, 0)"  # no history, frozen, and no cell sources piling up
    assert not list((tmp_path / "ipython").rglob("history.sqlite"))

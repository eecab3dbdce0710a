"""Notebook hygiene: one parameters cell of documented literals (papermill only warns when the tag is missing)."""
import ast
from pathlib import Path

import nbformat
import papermill
import pytest

from mgg_geo.analysis.parameters import ReportParameters

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: The report notebooks' parameters are derived from ReportParameters (names and default values).
REPORT = ReportParameters.notebook_defaults()
EXPECTED = {
    "gemeente_rapport": {**REPORT, **ReportParameters.NOTEBOOK_ONLY},
    "provincie_overzicht": REPORT,
    "verkennen": {"level": "wijk", "indicator": "lonely", "variant_weights": {"armoede": 3, "mentale_gezondheid": 2},
                  "compare": ["WK001409", "WK189505", "WK195202"], "offline": False},
}


def test_all_notebooks_are_known():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    info = papermill.inspect_notebook(str(path))
    assert set(info) == set(EXPECTED[path.stem])
    for name, spec in info.items():
        assert spec["help"], f"{name} has no comment"
        assert ast.literal_eval(spec["default"]) == EXPECTED[path.stem][name], name  # literals, the defaults
        expected_type = type(EXPECTED[path.stem][name]).__name__  # e.g. weights: dict, never a string
        assert spec["inferred_type_name"] == expected_type, f"{name} is annotated {spec['inferred_type_name']}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_thin_and_stripped(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    logic = [c for c in code if "parameters" not in c.metadata.get("tags", [])]  # the parameters cell is literals
    assert max(len(c.source.splitlines()) for c in logic) <= 15
    assert not any("def " in c.source or "class " in c.source for c in code), "logic belongs in mgg_geo"
    with_output = [c for c in code if c.outputs]
    assert all("NBVAL_CHECK_OUTPUT" in c.source for c in with_output), "only checked cells keep outputs"
    assert path.stat().st_size < 50_000


def test_notebooks_are_stripped_by_nbstripout():
    """The pre-commit hook's own check (cells with keep_output, the checked ones, keep their output)."""
    import shutil
    import subprocess
    import sys

    tool = Path(sys.executable).parent / "nbstripout"
    assert shutil.which(str(tool)), "nbstripout is in the test extra"
    proc = subprocess.run([str(tool), "--keep-id", "--keep-count", "--verify", *map(str, NOTEBOOKS)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""Notebook hygiene: one parameters cell of documented literals (papermill only warns when the tag is missing)."""
import ast
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED = {
    "gemeente_rapport": {"gemeente_code", "level", "kwb_year", "health_year", "boundary_year", "register_path",
                         "weights", "reference_date", "draws", "target_group", "include_unknown_ages", "min_population",
                         "offline", "interactive", "output_dir"},
    "provincie_overzicht": {"level", "kwb_year", "health_year", "boundary_year", "register_path", "weights",
                            "reference_date", "draws", "target_group", "include_unknown_ages", "min_population",
                            "offline"},
    "verkennen": {"level", "indicator", "weights_a", "weights_b", "compare", "offline"},
}


def test_all_notebooks_are_known():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    info = papermill.inspect_notebook(str(path))
    assert set(info) == EXPECTED[path.stem]
    for name, spec in info.items():
        assert spec["help"], f"{name} has no comment"
        ast.literal_eval(spec["default"])  # literals only
        assert spec["inferred_type_name"] != "None", f"{name} has no type annotation"


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
